package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/drover-sh/drover"
)

// forwardStatsTimeout bounds a forwarded stats request: the answer is one
// in-memory lookup on the other agent.
const forwardStatsTimeout = 10 * time.Second

// handleAllocStats answers GET /v1/client/allocation/{id}/stats: the
// resource usage of a running allocation, from the local client when it
// runs the allocation, else from the agent of the node that does.
func handleAllocStats(rpc RPC, client Client, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		allocID := r.PathValue("id")
		forwarded := r.Header.Get(forwardedHeader) != ""
		if forwarded && client == nil {
			writeError(w, drover.Errorf(drover.ErrNotSupported,
				"a request for allocation %s was forwarded to this agent, which runs no client", drover.ShortID(allocID)))
			return
		}
		if client != nil {
			usage, err := client.AllocStats(allocID)
			if err == nil {
				writeJSON(w, http.StatusOK, usage)
				return
			}
			if !errors.Is(err, drover.ErrNotFound) || forwarded {
				writeError(w, err)
				return
			}
		}
		node, err := statsNode(r.Context(), rpc, client, allocID, q)
		if err != nil {
			writeError(w, err)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), forwardStatsTimeout)
		defer cancel()
		forwardToAgent(w, r.WithContext(ctx), node, allocID, nil)
	})
}

// statsNode finds the node whose agent can answer for an allocation this
// agent's client does not run. An unknown allocation is a 404 and a
// finished one a 409: it has no usage anywhere.
func statsNode(ctx context.Context, rpc RPC, client Client, allocID string, q drover.QueryOptions) (*drover.Node, error) {
	var reply drover.SingleAllocResponse
	if err := rpc.RPC(ctx, drover.MethodAllocGetAlloc, &drover.AllocSpecificRequest{AllocID: allocID, QueryOptions: q}, &reply); err != nil {
		return nil, err
	}
	a := reply.Alloc
	if a == nil {
		return nil, notFound("alloc")
	}
	if a.Terminal() {
		status := a.ClientStatus
		if !a.ClientTerminal() {
			status = "stopped"
		}
		return nil, drover.Errorf(drover.ErrConflict,
			"allocation %s is %s: its tasks no longer run, so it has no resource usage", drover.ShortID(a.ID), status)
	}
	if a.NodeID == "" {
		return nil, drover.Errorf(drover.ErrConflict, "allocation %s is not placed on a node yet", drover.ShortID(a.ID))
	}
	if client != nil && a.NodeID == client.NodeID() {
		return nil, drover.Errorf(drover.ErrNotFound,
			"allocation %s is not running on this client yet", drover.ShortID(a.ID))
	}
	return allocAgent(ctx, rpc, q, a)
}
