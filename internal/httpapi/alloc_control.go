package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/driver"
)

// The allocation controls. Stop is a server write; restart and signal are
// client-local: the agent that runs the allocation acts on it, and another
// agent forwards the request to that node's HTTP address.

// allocRestartBody is the body of PUT /v1/client/allocation/<id>/restart,
// as Nomad's: no task and no AllTasks restarts every running task.
type allocRestartBody struct {
	TaskName string
	AllTasks bool
}

// allocSignalBody is the body of PUT /v1/client/allocation/<id>/signal, as
// Nomad's: no task signals every running task.
type allocSignalBody struct {
	Task   string
	Signal string
}

// handleAllocStop stops an allocation and has it replaced; the answer is
// the evaluation that does it, {"EvalID", "Index"}.
func handleAllocStop(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		noDelay, err := boolParam(r, "no_shutdown_delay")
		if err != nil {
			writeError(w, err)
			return
		}
		args := &drover.AllocStopRequest{
			AllocID: r.PathValue("id"), NoShutdownDelay: noDelay,
			WriteRequest: drover.WriteRequest{Region: q.Region, Namespace: q.Namespace},
		}
		var reply drover.AllocStopResponse
		callWrite(w, r, rpc, drover.MethodAllocStop, args, &reply, &reply.WriteMeta)
	})
}

// handleAllocRestart restarts tasks of an allocation in place.
func handleAllocRestart(rpc RPC, client Client, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		var body allocRestartBody
		if err := decodeOptionalBody(r, &body); err != nil {
			writeError(w, err)
			return
		}
		if body.TaskName != "" && body.AllTasks {
			writeError(w, drover.Errorf(drover.ErrInvalid, "TaskName and AllTasks are mutually exclusive"))
			return
		}
		serveAllocControl(w, r, rpc, client, q, body.TaskName, body, func(c Client, allocID string) error {
			return c.RestartAlloc(allocID, body.TaskName, body.AllTasks)
		})
	})
}

// handleAllocSignal sends a signal to tasks of an allocation.
func handleAllocSignal(rpc RPC, client Client, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		var body allocSignalBody
		if err := decodeOptionalBody(r, &body); err != nil {
			writeError(w, err)
			return
		}
		if body.Signal == "" {
			writeError(w, drover.Errorf(drover.ErrInvalid, "Signal is required (SIGHUP, SIGUSR1, ...)"))
			return
		}
		if _, err := driver.ParseSignal(body.Signal); err != nil {
			writeError(w, drover.Errorf(drover.ErrInvalid, "Signal: %v", err))
			return
		}
		serveAllocControl(w, r, rpc, client, q, body.Task, body, func(c Client, allocID string) error {
			return c.SignalAlloc(allocID, body.Task, body.Signal)
		})
	})
}

// serveAllocControl reads the allocation (404 when unknown), checks that
// it has the named task (400 naming it), then acts on it through the local
// client when this agent's node runs it, or forwards body to the agent of
// the node that does. A successful control answers {}.
func serveAllocControl(w http.ResponseWriter, r *http.Request, rpc RPC, client Client, q drover.QueryOptions,
	task string, body any, act func(Client, string) error) {
	var reply drover.SingleAllocResponse
	args := &drover.AllocSpecificRequest{AllocID: r.PathValue("alloc"), QueryOptions: q}
	if err := rpc.RPC(r.Context(), drover.MethodAllocGetAlloc, args, &reply); err != nil {
		writeError(w, err)
		return
	}
	alloc := reply.Alloc
	if alloc == nil {
		writeError(w, notFound("alloc"))
		return
	}
	if tasks := allocTaskNames(alloc); task != "" && !slices.Contains(tasks, task) {
		writeError(w, drover.Errorf(drover.ErrInvalid, "allocation %s has no task %q; its tasks: %s",
			drover.ShortID(alloc.ID), task, strings.Join(tasks, ", ")))
		return
	}
	if client != nil && alloc.NodeID == client.NodeID() {
		if err := act(client, alloc.ID); err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, struct{}{})
		return
	}
	if r.Header.Get(forwardedHeader) != "" {
		writeError(w, drover.Errorf(drover.ErrNotSupported,
			"allocation %s runs on node %s (%s), not on this agent's node", drover.ShortID(alloc.ID), alloc.NodeName, alloc.NodeID))
		return
	}
	forwardToNode(w, r, rpc, q, alloc, body)
}

// forwardToNode sends the control request, with body, to the HTTP API of
// the agent of the node that runs alloc and copies its answer.
func forwardToNode(w http.ResponseWriter, r *http.Request, rpc RPC, q drover.QueryOptions, alloc *drover.Allocation, body any) {
	node, err := allocAgent(r.Context(), rpc, q, alloc)
	if err != nil {
		writeError(w, err)
		return
	}
	b, err := json.Marshal(body)
	if err != nil {
		writeError(w, fmt.Errorf("encoding the forwarded request: %w", err))
		return
	}
	forwardToAgent(w, r, node, alloc.ID, b)
}

// decodeOptionalBody decodes a JSON body into v; an empty body leaves v as
// it is.
func decodeOptionalBody(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), errReader{err}))
		return decodeBody(r, v) // reports the read error as decodeBody does
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return decodeBody(r, v)
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
