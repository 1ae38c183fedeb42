package httpapi

import (
	"net/http"

	"github.com/drover-sh/drover"
)

// handleEvalList lists the evaluations of the request's namespace ("*":
// all), sorted by ID, as Nomad's: ?job= and ?status= keep those of one job
// or status; ?per_page= and ?next_token= page through them (the next page's
// token, the ID it starts at, is in X-Nomad-NextToken). A ?filter=
// expression is refused as not supported rather than ignored.
func handleEvalList(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		v := r.URL.Query()
		if err := refuseFilter(r); err != nil {
			writeError(w, err)
			return
		}
		perPage, err := perPageParam(r)
		if err != nil {
			writeError(w, err)
			return
		}
		job, status, next := v.Get("job"), v.Get("status"), v.Get("next_token")
		var reply drover.EvalListResponse
		if !callRead(w, r, rpc, drover.MethodEvalList, &drover.EvalListRequest{QueryOptions: q}, &reply, &reply.QueryMeta) {
			return
		}
		out := []*drover.Evaluation{}
		for _, e := range reply.Evaluations {
			ns := e.Namespace
			if ns == "" {
				ns = drover.DefaultNamespace
			}
			switch {
			case q.Namespace != allNamespaces && ns != q.Namespace,
				job != "" && e.JobID != job,
				status != "" && e.Status != status,
				next != "" && e.ID < next:
				continue
			}
			if perPage > 0 && len(out) == perPage {
				w.Header().Set("X-Nomad-NextToken", e.ID)
				break
			}
			out = append(out, e)
		}
		writeJSON(w, http.StatusOK, out)
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
