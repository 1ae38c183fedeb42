package httpapi

import (
	"net/http"

	"github.com/drover-sh/drover"
)

// jobPlanBody is the body of PUT /v1/job/<id>/plan, as Nomad's.
type jobPlanBody struct {
	Job  *drover.Job
	Diff bool
}

// jobValidateBody is the body of PUT /v1/validate/job, as Nomad's.
type jobValidateBody struct {
	Job *drover.Job
}

// jobRevertBody is the body of PUT /v1/job/<id>/revert, as Nomad's.
type jobRevertBody struct {
	JobID               string
	JobVersion          uint64
	EnforcePriorVersion *uint64
}

// jobVersionsAnswer is the answer of GET /v1/job/<id>/versions.
type jobVersionsAnswer struct {
	Versions []*drover.Job
	Diffs    []*drover.JobDiff
}

// bodyJob checks the job a body carries: present, with the path's ID when
// the path names one, in the request's namespace and region when it names
// none, and its driver config numbers normalized.
func bodyJob(r *http.Request, job *drover.Job, q drover.QueryOptions) (*drover.Job, error) {
	if job == nil {
		return nil, drover.Errorf(drover.ErrInvalid, "Job must be specified in the request body")
	}
	if id := r.PathValue("id"); id != "" && job.ID != id {
		return nil, drover.Errorf(drover.ErrInvalid, "job ID %q in the body does not match %q in the path", job.ID, id)
	}
	if job.Namespace == "" {
		job.Namespace = q.Namespace
	}
	if job.Region == "" {
		job.Region = q.Region
	}
	job.NormalizeConfigNumbers()
	return job, nil
}

// handleJobPlan is a dry run of registering the body's job.
func handleJobPlan(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		var body jobPlanBody
		raw, err := decodeJobBody(r, &body)
		if err != nil {
			writeError(w, err)
			return
		}
		fillLeftOut(raw, body.Job)
		job, err := bodyJob(r, body.Job, q)
		if err != nil {
			writeError(w, err)
			return
		}
		args := &drover.JobPlanRequest{Job: job, Diff: body.Diff,
			WriteRequest: drover.WriteRequest{Region: job.Region, Namespace: job.Namespace}}
		var reply drover.JobPlanResponse
		if err := rpc.RPC(r.Context(), drover.MethodJobPlan, args, &reply); err != nil {
			writeError(w, err)
			return
		}
		reply.Warnings = withUnsupportedWarning(reply.Warnings, raw)
		setWriteIndex(w, reply.WriteMeta)
		writeJSON(w, http.StatusOK, &reply)
	})
}

// handleJobValidate validates the body's job; problems are in the answer
// (200), not an error status.
func handleJobValidate(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		var body jobValidateBody
		raw, err := decodeJobBody(r, &body)
		if err != nil {
			writeError(w, err)
			return
		}
		fillLeftOut(raw, body.Job)
		job, err := bodyJob(r, body.Job, q)
		if err != nil {
			writeError(w, err)
			return
		}
		args := &drover.JobValidateRequest{Job: job,
			WriteRequest: drover.WriteRequest{Region: job.Region, Namespace: job.Namespace}}
		var reply drover.JobValidateResponse
		if err := rpc.RPC(r.Context(), drover.MethodJobValidate, args, &reply); err != nil {
			writeError(w, err)
			return
		}
		if reply.ValidationErrors == nil {
			reply.ValidationErrors = []string{}
		}
		reply.Warnings = withUnsupportedWarning(reply.Warnings, raw)
		writeJSON(w, http.StatusOK, &reply)
	})
}

// handleJobVersions lists a job's kept versions, newest first; ?diffs=true
// adds the difference of each from the one before. An unknown job is 404.
func handleJobVersions(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		diffs, err := boolParam(r, "diffs")
		if err != nil {
			writeError(w, err)
			return
		}
		args := &drover.JobVersionsRequest{JobID: r.PathValue("id"), Diffs: diffs, QueryOptions: q}
		var reply drover.JobVersionsResponse
		if !callRead(w, r, rpc, drover.MethodJobVersions, args, &reply, &reply.QueryMeta) {
			return
		}
		if len(reply.Versions) == 0 {
			writeError(w, notFound("job"))
			return
		}
		ans := jobVersionsAnswer{Versions: reply.Versions, Diffs: reply.Diffs}
		if diffs {
			ans.Diffs = orEmpty(ans.Diffs)
		}
		writeJSON(w, http.StatusOK, &ans)
	})
}

// handleJobRevert registers an earlier version of a job again.
func handleJobRevert(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		var body jobRevertBody
		if err := decodeBody(r, &body); err != nil {
			writeError(w, err)
			return
		}
		id := r.PathValue("id")
		if body.JobID == "" {
			body.JobID = id
		}
		if body.JobID != id {
			writeError(w, drover.Errorf(drover.ErrInvalid, "job ID %q in the body does not match %q in the path", body.JobID, id))
			return
		}
		args := &drover.JobRevertRequest{JobID: id, JobVersion: body.JobVersion, EnforcePriorVersion: body.EnforcePriorVersion,
			WriteRequest: drover.WriteRequest{Region: q.Region, Namespace: q.Namespace}}
		var reply drover.JobRegisterResponse
		callWrite(w, r, rpc, drover.MethodJobRevert, args, &reply, &reply.WriteMeta)
	})
}
