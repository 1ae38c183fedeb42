package httpapi

import (
	"net/http"

	"github.com/drover-sh/drover"
)

// jobRegisterBody is the body of PUT /v1/jobs and PUT /v1/job/<id>, as
// Nomad's. Request fields drover does not use (PolicyOverride, EvalPriority,
// Submission) are ignored; fields of the job it does not support are named
// in the answer's Warnings.
type jobRegisterBody struct {
	Job               *drover.Job
	EnforceIndex      bool
	JobModifyIndex    uint64
	PreserveCounts    bool
	PreserveResources bool
}

func handleJobGet(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		args := &drover.JobSpecificRequest{JobID: r.PathValue("id"), QueryOptions: q}
		var reply drover.SingleJobResponse
		if !callRead(w, r, rpc, drover.MethodJobGetJob, args, &reply, &reply.QueryMeta) {
			return
		}
		if reply.Job == nil {
			writeError(w, notFound("job"))
			return
		}
		writeJSON(w, http.StatusOK, reply.Job)
	})
}

func handleJobAllocations(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		all, err := boolParam(r, "all")
		if err != nil {
			writeError(w, err)
			return
		}
		args := &drover.JobSpecificRequest{JobID: r.PathValue("id"), All: all, QueryOptions: q}
		var reply drover.JobAllocationsResponse
		if callRead(w, r, rpc, drover.MethodJobAllocations, args, &reply, &reply.QueryMeta) {
			writeJSON(w, http.StatusOK, orEmpty(reply.Allocations))
		}
	})
}

func handleJobEvaluations(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		args := &drover.JobSpecificRequest{JobID: r.PathValue("id"), QueryOptions: q}
		var reply drover.JobEvaluationsResponse
		if callRead(w, r, rpc, drover.MethodJobEvaluations, args, &reply, &reply.QueryMeta) {
			writeJSON(w, http.StatusOK, orEmpty(reply.Evaluations))
		}
	})
}

func handleJobSummary(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		args := &drover.JobSpecificRequest{JobID: r.PathValue("id"), QueryOptions: q}
		var reply drover.JobSummaryResponse
		if !callRead(w, r, rpc, drover.MethodJobSummary, args, &reply, &reply.QueryMeta) {
			return
		}
		if reply.JobSummary == nil {
			writeError(w, notFound("job"))
			return
		}
		writeJSON(w, http.StatusOK, reply.JobSummary)
	})
}

// handleJobRegister registers or updates a job. On /v1/job/<id> the body's
// job ID must match the path's. With PreserveCounts, groups the registered
// version has keep their counts.
func handleJobRegister(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		var body jobRegisterBody
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
		args := &drover.JobRegisterRequest{
			Job: job, EnforceIndex: body.EnforceIndex, JobModifyIndex: body.JobModifyIndex,
			WriteRequest: drover.WriteRequest{Region: job.Region, Namespace: job.Namespace},
		}
		var reply drover.JobRegisterResponse
		if body.PreserveCounts || body.PreserveResources {
			err = preserveRegister(r.Context(), rpc, args, body.PreserveCounts, body.PreserveResources, &reply)
		} else {
			err = rpc.RPC(r.Context(), drover.MethodJobRegister, args, &reply)
		}
		if err != nil {
			writeError(w, err)
			return
		}
		reply.Warnings = withUnsupportedWarning(reply.Warnings, raw)
		setWriteIndex(w, reply.WriteMeta)
		writeJSON(w, http.StatusOK, &reply)
	})
}

// handleJobDeregister stops a job; ?purge=true removes it.
func handleJobDeregister(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		purge, err := boolParam(r, "purge")
		if err != nil {
			writeError(w, err)
			return
		}
		args := &drover.JobDeregisterRequest{
			JobID: r.PathValue("id"), Purge: purge,
			WriteRequest: drover.WriteRequest{Region: q.Region, Namespace: q.Namespace},
		}
		var reply drover.JobDeregisterResponse
		callWrite(w, r, rpc, drover.MethodJobDeregister, args, &reply, &reply.WriteMeta)
	})
}
