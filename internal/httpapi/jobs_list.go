package httpapi

import (
	"net/http"
	"strconv"

	"github.com/hashicorp/go-bexpr"

	"github.com/drover-sh/drover"
)

// jobListPage is how much of a job list one answer holds, from the query
// parameters Nomad's list endpoints take: ?filter= (a go-bexpr expression
// evaluated against each listed job), ?per_page= and ?next_token= (the ID
// of the first job of the page), ?meta=true (include each job's meta).
type jobListPage struct {
	filter    *bexpr.Evaluator // nil: every job
	perPage   int              // 0: no limit
	nextToken string
	meta      bool
}

// parseJobListPage reads the paging and filter parameters of a job list.
func parseJobListPage(r *http.Request) (jobListPage, error) {
	v := r.URL.Query()
	var p jobListPage
	if f := v.Get("filter"); f != "" {
		ev, err := bexpr.CreateEvaluator(f)
		if err != nil {
			return p, drover.Errorf(drover.ErrInvalid, "filter %q: %v", f, err)
		}
		p.filter = ev
	}
	if s := v.Get("per_page"); s != "" {
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil || n < 0 {
			return p, drover.Errorf(drover.ErrInvalid, "per_page %q is not a non-negative integer", s)
		}
		p.perPage = int(n)
	}
	p.nextToken = v.Get("next_token")
	meta, err := boolParam(r, "meta")
	if err != nil {
		return p, err
	}
	p.meta = meta
	return p, nil
}

// apply returns the page of jobs (sorted by ID) and the token of the next
// page ("" when this is the last). The filter applies before paging, so a
// page holds per_page matching jobs.
func (p jobListPage) apply(jobs []*drover.JobListStub) ([]*drover.JobListStub, string, error) {
	out := []*drover.JobListStub{}
	for _, j := range jobs {
		if p.nextToken != "" && j.ID < p.nextToken {
			continue
		}
		if p.filter != nil {
			ok, err := p.filter.Evaluate(j)
			if err != nil {
				return nil, "", drover.Errorf(drover.ErrInvalid, "filter: %v", err)
			}
			if !ok {
				continue
			}
		}
		if p.perPage > 0 && len(out) == p.perPage {
			return out, j.ID, nil
		}
		if !p.meta && j.Meta != nil {
			c := *j
			c.Meta = nil
			j = &c
		}
		out = append(out, j)
	}
	return out, "", nil
}

// handleJobList lists jobs sorted by ID: ?prefix= narrows by ID, and the
// paging and filter parameters of jobListPage apply. The next page's token
// is in X-Nomad-NextToken.
func handleJobList(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		page, err := parseJobListPage(r)
		if err != nil {
			writeError(w, err)
			return
		}
		var reply drover.JobListResponse
		if err := rpc.RPC(r.Context(), drover.MethodJobList, &drover.JobListRequest{QueryOptions: q}, &reply); err != nil {
			writeError(w, err)
			return
		}
		jobs, next, err := page.apply(reply.Jobs)
		if err != nil {
			writeError(w, err)
			return
		}
		setMeta(w, reply.QueryMeta)
		if next != "" {
			w.Header().Set("X-Nomad-NextToken", next)
		}
		writeJSON(w, http.StatusOK, jobs)
	})
}
