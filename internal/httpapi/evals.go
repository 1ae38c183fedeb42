package httpapi

import (
	"net/http"

	"github.com/drover-sh/drover"
)

func handleEvalList(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		var reply drover.EvalListResponse
		if callRead(w, r, rpc, drover.MethodEvalList, &drover.EvalListRequest{QueryOptions: q}, &reply, &reply.QueryMeta) {
			writeJSON(w, http.StatusOK, orEmpty(reply.Evaluations))
		}
	})
}

func handleEvalGet(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		args := &drover.EvalSpecificRequest{EvalID: r.PathValue("id"), QueryOptions: q}
		var reply drover.SingleEvalResponse
		if !callRead(w, r, rpc, drover.MethodEvalGetEval, args, &reply, &reply.QueryMeta) {
			return
		}
		if reply.Eval == nil {
			writeError(w, notFound("eval"))
			return
		}
		writeJSON(w, http.StatusOK, reply.Eval)
	})
}

// handleEvalAllocations lists the allocations an evaluation placed. The RPC
// contract has no per-eval call, so it filters the allocation list; a
// blocking query still waits on the allocations' index.
func handleEvalAllocations(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		evalID := r.PathValue("id")
		q.Prefix = ""
		var reply drover.AllocListResponse
		if !callRead(w, r, rpc, drover.MethodAllocList, &drover.AllocListRequest{QueryOptions: q}, &reply, &reply.QueryMeta) {
			return
		}
		out := []*drover.AllocListStub{}
		for _, a := range reply.Allocations {
			if a.EvalID == evalID {
				out = append(out, a)
			}
		}
		writeJSON(w, http.StatusOK, out)
	})
}
