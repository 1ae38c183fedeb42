package httpapi

import (
	"net/http"

	"github.com/drover-sh/drover"
)

func handleAllocList(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		var reply drover.AllocListResponse
		if callRead(w, r, rpc, drover.MethodAllocList, &drover.AllocListRequest{QueryOptions: q}, &reply, &reply.QueryMeta) {
			writeJSON(w, http.StatusOK, orEmpty(reply.Allocations))
		}
	})
}

func handleAllocGet(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		args := &drover.AllocSpecificRequest{AllocID: r.PathValue("id"), QueryOptions: q}
		var reply drover.SingleAllocResponse
		if !callRead(w, r, rpc, drover.MethodAllocGetAlloc, args, &reply, &reply.QueryMeta) {
			return
		}
		if reply.Alloc == nil {
			writeError(w, notFound("alloc"))
			return
		}
		writeJSON(w, http.StatusOK, reply.Alloc)
	})
}
