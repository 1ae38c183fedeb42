package httpapi

import (
	"net/http"

	"github.com/drover-sh/drover"
)

func handleNodeList(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		var reply drover.NodeListResponse
		if callRead(w, r, rpc, drover.MethodNodeList, &drover.NodeListRequest{QueryOptions: q}, &reply, &reply.QueryMeta) {
			writeJSON(w, http.StatusOK, orEmpty(reply.Nodes))
		}
	})
}

func handleNodeGet(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		args := &drover.NodeSpecificRequest{NodeID: r.PathValue("id"), QueryOptions: q}
		var reply drover.SingleNodeResponse
		if !callRead(w, r, rpc, drover.MethodNodeGetNode, args, &reply, &reply.QueryMeta) {
			return
		}
		if reply.Node == nil {
			writeError(w, notFound("node"))
			return
		}
		writeJSON(w, http.StatusOK, reply.Node)
	})
}

func handleNodeAllocations(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		args := &drover.NodeSpecificRequest{NodeID: r.PathValue("id"), QueryOptions: q}
		var reply drover.NodeAllocsResponse
		if callRead(w, r, rpc, drover.MethodNodeGetAllocs, args, &reply, &reply.QueryMeta) {
			writeJSON(w, http.StatusOK, orEmpty(reply.Allocs))
		}
	})
}
