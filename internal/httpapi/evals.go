package httpapi

import (
	"net/http"
	"sort"
	"time"

	"github.com/drover-sh/drover"
)

// handleEvalList lists the evaluations of the request's namespace ("*":
// all), sorted by ID, as Nomad's: ?job= and ?status= keep those of one job
// or status; ?per_page= and ?next_token= page through them (the next page's
// token, the ID it starts at, is in X-Nomad-NextToken); ?filter= keeps
// those a go-bexpr expression matches, before paging.
func handleEvalList(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		v := r.URL.Query()
		filter, err := filterParam(r)
		if err != nil {
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
			ok, err := filterMatch(filter, e)
			if err != nil {
				writeError(w, err)
				return
			}
			if !ok {
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
		related, err := boolParam(r, "related")
		if err != nil {
			writeError(w, err)
			return
		}
		if !related {
			writeJSON(w, http.StatusOK, reply.Eval)
			return
		}
		var jobEvals drover.JobEvaluationsResponse
		jq := q
		jq.MinQueryIndex, jq.Namespace = 0, reply.Eval.Namespace
		if err := rpc.RPC(r.Context(), drover.MethodJobEvaluations, &drover.JobSpecificRequest{JobID: reply.Eval.JobID, QueryOptions: jq}, &jobEvals); err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, evalWithRelated{Evaluation: reply.Eval, RelatedEvals: relatedEvals(reply.Eval, jobEvals.Evaluations)})
	})
}

// evalWithRelated is an evaluation with ?related=true: Nomad's
// RelatedEvals, the stubs of the evaluations linked to it.
type evalWithRelated struct {
	*drover.Evaluation
	RelatedEvals []*evalStub
}

// evalStub is Nomad's EvaluationStub.
type evalStub struct {
	ID                string
	Priority          int
	Type              string
	TriggeredBy       string
	Namespace         string
	JobID             string
	NodeID            string
	DeploymentID      string
	Status            string
	StatusDescription string
	WaitUntil         time.Time
	NextEval          string
	PreviousEval      string
	BlockedEval       string
	CreateIndex       uint64
	ModifyIndex       uint64
	CreateTime        int64
	ModifyTime        int64
}

// relatedEvals follows e's links (NextEval, PreviousEval, BlockedEval, in
// both directions) through evals, the evaluations of its job, and returns
// the stubs of every evaluation reached, e excluded, in ID order.
func relatedEvals(e *drover.Evaluation, evals []*drover.Evaluation) []*evalStub {
	byID := make(map[string]*drover.Evaluation, len(evals))
	for _, o := range evals {
		byID[o.ID] = o
	}
	links := func(o *drover.Evaluation) []string { return []string{o.NextEval, o.PreviousEval, o.BlockedEval} }
	// Links point both ways: an evaluation whose PreviousEval is e is
	// related to e even when e does not name it.
	back := map[string][]string{}
	for _, o := range evals {
		for _, l := range links(o) {
			if l != "" {
				back[l] = append(back[l], o.ID)
			}
		}
	}
	seen := map[string]bool{e.ID: true}
	queue := []string{e.ID}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		next := back[id]
		if o := byID[id]; o != nil {
			next = append(next, links(o)...)
		} else if id == e.ID {
			next = append(next, links(e)...)
		}
		for _, n := range next {
			if n != "" && !seen[n] && byID[n] != nil {
				seen[n] = true
				queue = append(queue, n)
			}
		}
	}
	out := []*evalStub{}
	for _, o := range evals {
		if o.ID == e.ID || !seen[o.ID] {
			continue
		}
		out = append(out, &evalStub{
			ID: o.ID, Priority: o.Priority, Type: o.Type, TriggeredBy: o.TriggeredBy, Namespace: o.Namespace,
			JobID: o.JobID, NodeID: o.NodeID, Status: o.Status, StatusDescription: o.StatusDescription,
			WaitUntil: o.WaitUntil, NextEval: o.NextEval, PreviousEval: o.PreviousEval, BlockedEval: o.BlockedEval,
			CreateIndex: o.CreateIndex, ModifyIndex: o.ModifyIndex, CreateTime: o.CreateTime, ModifyTime: o.ModifyTime,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
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
