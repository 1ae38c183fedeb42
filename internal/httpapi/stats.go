package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/drover-sh/drover"
)

// forwardedHeader marks a request one agent forwarded to the agent of the
// node that runs the allocation. That agent answers from its own client or
// fails; it never forwards again, so a stale node address cannot loop.
const forwardedHeader = "X-Drover-Forwarded"

// forwardTimeout bounds a forwarded stats request: the answer is one
// in-memory lookup on the other agent.
const forwardTimeout = 10 * time.Second

// forwardClient carries requests forwarded to other agents.
var forwardClient = &http.Client{Timeout: forwardTimeout}

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
		forwardStats(w, r, node, allocID)
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
	var nr drover.SingleNodeResponse
	if err := rpc.RPC(ctx, drover.MethodNodeGetNode, &drover.NodeSpecificRequest{NodeID: a.NodeID, QueryOptions: q}, &nr); err != nil {
		return nil, err
	}
	if nr.Node == nil {
		return nil, drover.Errorf(drover.ErrNotFound, "node %s of allocation %s not found", a.NodeID, drover.ShortID(a.ID))
	}
	if nr.Node.HTTPAddr == "" {
		return nil, drover.Errorf(drover.ErrUnavailable,
			"node %s (%s) runs allocation %s but has no HTTP address to ask", nr.Node.Name, nr.Node.ID, drover.ShortID(a.ID))
	}
	return nr.Node, nil
}

// forwardStats asks the agent of node for the allocation's stats and
// copies its answer, status and body, to w.
func forwardStats(w http.ResponseWriter, r *http.Request, node *drover.Node, allocID string) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	target := scheme + "://" + node.HTTPAddr + "/v1/client/allocation/" + url.PathEscape(allocID) + "/stats"
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, target, nil)
	if err != nil {
		writeError(w, fmt.Errorf("forward to node %s: %w", node.Name, err))
		return
	}
	for _, h := range []string{"X-Nomad-Token", "X-Drover-Token"} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	req.Header.Set(forwardedHeader, "1")
	resp, err := forwardClient.Do(req)
	if err != nil {
		writeError(w, drover.Errorf(drover.ErrUnavailable,
			"allocation %s runs on node %s (%s), whose agent at %s did not answer: %v",
			drover.ShortID(allocID), node.Name, node.ID, node.HTTPAddr, err))
		return
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(resp.StatusCode)
	// The status is sent: a copy failure is a broken connection, which the
	// requester sees.
	_, _ = io.Copy(w, io.LimitReader(resp.Body, DefaultMaxRequestBytes))
}
