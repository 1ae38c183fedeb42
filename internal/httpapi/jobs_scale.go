package httpapi

import (
	"net/http"

	"github.com/drover-sh/drover"
)

// jobScaleBody is the body of PUT /v1/job/<id>/scale, as Nomad's
// ScalingRequest. Target names the job and the group.
type jobScaleBody struct {
	Count          *int64
	Target         map[string]string
	Message        string
	Error          bool
	Meta           map[string]any
	PolicyOverride bool
	JobModifyIndex uint64
}

// jobScaleStatus is the answer of GET /v1/job/<id>/scale, as Nomad's.
type jobScaleStatus struct {
	JobID          string
	Namespace      string
	JobCreateIndex uint64
	JobModifyIndex uint64
	JobStopped     bool
	TaskGroups     map[string]*groupScaleStatus
}

// groupScaleStatus is one group's part of jobScaleStatus. drover keeps no
// deployments and no scaling events: Healthy and Unhealthy are 0 and
// Events is empty.
type groupScaleStatus struct {
	Desired   int
	Placed    int
	Running   int
	Healthy   int
	Unhealthy int
	Events    []any
}

// handleJobScale sets one group's count: a new version of the job,
// registered guarded by the job modify index it was made from (and by the
// body's JobModifyIndex when set), so a concurrent change is never lost.
func handleJobScale(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		var body jobScaleBody
		if err := decodeBody(r, &body); err != nil {
			writeError(w, err)
			return
		}
		id := r.PathValue("id")
		if t := body.Target["Job"]; t != "" && t != id {
			writeError(w, drover.Errorf(drover.ErrInvalid, "Target.Job %q does not match %q in the path", t, id))
			return
		}
		group := body.Target["Group"]
		if group == "" {
			writeError(w, drover.Errorf(drover.ErrInvalid, "Target.Group must name the task group to scale"))
			return
		}
		if body.Count == nil {
			writeError(w, drover.Errorf(drover.ErrNotSupported,
				"drover does not record scaling events: a scale request must set Count"))
			return
		}
		if *body.Count < 0 {
			writeError(w, drover.Errorf(drover.ErrInvalid, "Count %d must not be negative", *body.Count))
			return
		}
		cur, err := currentJob(r.Context(), rpc, id, q)
		if err != nil {
			writeError(w, err)
			return
		}
		if cur == nil {
			writeError(w, notFound("job"))
			return
		}
		if body.JobModifyIndex != 0 && body.JobModifyIndex != cur.JobModifyIndex {
			writeError(w, drover.Errorf(drover.ErrConflict, "job %q: JobModifyIndex %d does not match the job's %d",
				id, body.JobModifyIndex, cur.JobModifyIndex))
			return
		}
		job := cur.Copy()
		var tg *drover.TaskGroup
		for _, g := range job.TaskGroups {
			if g.Name == group {
				tg = g
			}
		}
		if tg == nil {
			writeError(w, drover.Errorf(drover.ErrInvalid, "job %q has no task group %q", id, group))
			return
		}
		tg.Count = int(*body.Count)
		args := &drover.JobRegisterRequest{Job: job, EnforceIndex: true, JobModifyIndex: cur.JobModifyIndex,
			WriteRequest: drover.WriteRequest{Region: q.Region, Namespace: q.Namespace}}
		var reply drover.JobRegisterResponse
		callWrite(w, r, rpc, drover.MethodJobRegister, args, &reply, &reply.WriteMeta)
	})
}

// handleJobScaleStatus answers each group's desired count and its placed
// and running allocations. A blocking query waits on the job.
func handleJobScaleStatus(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		id := r.PathValue("id")
		var jr drover.SingleJobResponse
		if err := rpc.RPC(r.Context(), drover.MethodJobGetJob, &drover.JobSpecificRequest{JobID: id, QueryOptions: q}, &jr); err != nil {
			writeError(w, err)
			return
		}
		if jr.Job == nil {
			writeError(w, notFound("job"))
			return
		}
		aq := q
		aq.MinQueryIndex, aq.MaxQueryTime = 0, 0
		var ar drover.JobAllocationsResponse
		if err := rpc.RPC(r.Context(), drover.MethodJobAllocations, &drover.JobSpecificRequest{JobID: id, QueryOptions: aq}, &ar); err != nil {
			writeError(w, err)
			return
		}
		job := jr.Job
		st := jobScaleStatus{JobID: job.ID, Namespace: job.Namespace, JobCreateIndex: job.CreateIndex,
			JobModifyIndex: job.JobModifyIndex, JobStopped: job.Stop, TaskGroups: map[string]*groupScaleStatus{}}
		for _, tg := range job.TaskGroups {
			st.TaskGroups[tg.Name] = &groupScaleStatus{Desired: tg.Count, Events: []any{}}
		}
		for _, a := range ar.Allocations {
			g := st.TaskGroups[a.TaskGroup]
			if g == nil || a.DesiredStatus != drover.AllocDesiredStatusRun {
				continue
			}
			g.Placed++
			if a.ClientStatus == drover.AllocClientStatusRunning {
				g.Running++
			}
		}
		meta := jr.QueryMeta
		meta.Index = max(meta.Index, ar.Index)
		setMeta(w, meta)
		writeJSON(w, http.StatusOK, &st)
	})
}

// handleJobDeployments answers the deployment endpoints of a job: drover
// keeps no deployment objects, and says so rather than answering an empty
// list that would read as "not deployed yet".
func handleJobDeployments() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, drover.Errorf(drover.ErrNotSupported,
			"deployments are not supported yet: drover keeps no deployment objects (GET %s)", r.URL.Path))
	})
}
