package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/drover-sh/drover"
)

// Client-local endpoints (stats, restart, signal) are answered by the agent
// whose client runs the allocation; any other agent forwards the request
// there, once.

// forwardedHeader marks a request one agent forwarded to the agent of the
// node that runs the allocation. That agent answers from its own client or
// fails; it never forwards again, so a stale node address cannot loop.
const forwardedHeader = "X-Drover-Forwarded"

// forwardClient carries requests forwarded to other agents. It has no
// timeout of its own: a restart waits out the task's kill timeout, and the
// caller's request context bounds every forward.
var forwardClient = &http.Client{}

// allocAgent returns the node that runs alloc, whose agent answers for it.
// A node that is gone, or has no HTTP address, is drover.ErrUnavailable:
// the allocation exists, but nobody can answer for it.
func allocAgent(ctx context.Context, rpc RPC, q drover.QueryOptions, alloc *drover.Allocation) (*drover.Node, error) {
	var nr drover.SingleNodeResponse
	if err := rpc.RPC(ctx, drover.MethodNodeGetNode, &drover.NodeSpecificRequest{NodeID: alloc.NodeID, QueryOptions: q}, &nr); err != nil {
		return nil, err
	}
	if nr.Node == nil {
		return nil, drover.Errorf(drover.ErrUnavailable, "node %s of allocation %s not found", alloc.NodeID, drover.ShortID(alloc.ID))
	}
	if nr.Node.HTTPAddr == "" {
		return nil, drover.Errorf(drover.ErrUnavailable,
			"node %s (%s) runs allocation %s but has no HTTP address to ask", nr.Node.Name, nr.Node.ID, drover.ShortID(alloc.ID))
	}
	return nr.Node, nil
}

// forwardToAgent sends r's method and URI, with body (nil: none), to the
// agent of node, passing the caller's token on, and copies its answer
// (status, content type and body) to w.
func forwardToAgent(w http.ResponseWriter, r *http.Request, node *drover.Node, allocID string, body []byte) {
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, scheme+node.HTTPAddr+r.URL.RequestURI(), rd)
	if err != nil {
		writeError(w, drover.Errorf(drover.ErrInvalid, "forwarding to node %s: %v", node.Name, err))
		return
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range []string{"X-Nomad-Token", "X-Drover-Token", "Authorization"} {
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
	// requester sees. Each chunk is flushed as it comes, so a followed log
	// or file stream reaches the requester as the other agent sends it.
	_ = copyFlushing(w, resp.Body)
}

// copyFlushing copies src to w, flushing after every read.
func copyFlushing(w http.ResponseWriter, src io.Reader) error {
	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			if ferr := rc.Flush(); ferr != nil && !errors.Is(ferr, http.ErrNotSupported) {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// forwardIfElsewhere reads the allocation of a client-local GET request
// and, when another node's agent runs it, forwards the request there (at
// most once) and reports handled. Otherwise it returns the allocation for
// this agent's client to serve. Errors are written, and handled.
func forwardIfElsewhere(w http.ResponseWriter, r *http.Request, rpc RPC, client Client, q drover.QueryOptions, allocID string) (*drover.Allocation, bool) {
	var reply drover.SingleAllocResponse
	if err := rpc.RPC(r.Context(), drover.MethodAllocGetAlloc, &drover.AllocSpecificRequest{AllocID: allocID, QueryOptions: q}, &reply); err != nil {
		writeError(w, err)
		return nil, true
	}
	alloc := reply.Alloc
	if alloc == nil {
		writeError(w, notFound("alloc"))
		return nil, true
	}
	if alloc.NodeID == "" || (client != nil && alloc.NodeID == client.NodeID()) {
		return alloc, false
	}
	if r.Header.Get(forwardedHeader) != "" {
		writeError(w, drover.Errorf(drover.ErrNotSupported,
			"allocation %s runs on node %s (%s), not on this agent's node", drover.ShortID(alloc.ID), alloc.NodeName, alloc.NodeID))
		return nil, true
	}
	node, err := allocAgent(r.Context(), rpc, q, alloc)
	if err != nil {
		writeError(w, err)
		return nil, true
	}
	forwardToAgent(w, r, node, alloc.ID, nil)
	return nil, true
}
