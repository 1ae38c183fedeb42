package api

import (
	"net/http"
	"net/url"

	"github.com/drover-sh/drover"
)

// planBody is the body of PUT /v1/job/<id>/plan.
type planBody struct {
	Job  *drover.Job
	Diff bool
}

// Plan asks what registering job would do, without doing it: the
// scheduler's dry run (Annotations, FailedTGAllocs, CreatedEvals), the
// JobModifyIndex to pass to a check-index Register, warnings and, with diff,
// the difference from the registered version.
func (j *Jobs) Plan(job *drover.Job, diff bool) (*drover.JobPlanResponse, *WriteMeta, error) {
	var out drover.JobPlanResponse
	wm, err := j.c.write(http.MethodPut, "/v1/job/"+pathEscape(job.ID)+"/plan", nil, &planBody{Job: job, Diff: diff}, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// validateBody is the body of PUT /v1/validate/job.
type validateBody struct {
	Job *drover.Job
}

// Validate validates job as a registration would. A job with problems is
// not an error: they are listed in the answer's ValidationErrors.
func (j *Jobs) Validate(job *drover.Job) (*drover.JobValidateResponse, *WriteMeta, error) {
	var out drover.JobValidateResponse
	wm, err := j.c.write(http.MethodPut, "/v1/validate/job", nil, &validateBody{Job: job}, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// parseBody is the body of PUT /v1/jobs/parse.
type parseBody struct {
	JobHCL       string
	Canonicalize bool
}

// ParseHCL has the agent parse the text of a job file; with canonicalize,
// defaults are filled in. A file that does not parse is an error matching
// drover.ErrInvalid whose message lists every problem as file:line:col.
func (j *Jobs) ParseHCL(src string, canonicalize bool) (*drover.Job, error) {
	var out drover.Job
	if _, err := j.c.write(http.MethodPut, "/v1/jobs/parse", nil, &parseBody{JobHCL: src, Canonicalize: canonicalize}, &out); err != nil {
		return nil, err
	}
	out.NormalizeConfigNumbers()
	return &out, nil
}

// Versions lists the kept versions of a job, newest first; with diffs, also
// the difference of each version from the one before it (diffs[i] goes
// from versions[i+1] to versions[i]). An unknown job is an error matching
// drover.ErrNotFound.
func (j *Jobs) Versions(jobID string, diffs bool, q *QueryOptions) ([]*drover.Job, []*drover.JobDiff, *QueryMeta, error) {
	params := url.Values{}
	if diffs {
		params.Set("diffs", "true")
	}
	var out struct {
		Versions []*drover.Job
		Diffs    []*drover.JobDiff
	}
	qm, err := j.c.query("/v1/job/"+pathEscape(jobID)+"/versions", params, q, &out)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, v := range out.Versions {
		v.NormalizeConfigNumbers()
	}
	return out.Versions, out.Diffs, qm, nil
}

// revertBody is the body of PUT /v1/job/<id>/revert.
type revertBody struct {
	JobID               string
	JobVersion          uint64
	EnforcePriorVersion *uint64
}

// Revert registers version of a job again, as its newest version. With
// enforcePriorVersion set, the revert happens only if the job's current
// version is that one (else an error matching drover.ErrConflict).
// Reverting to the current version is an error matching drover.ErrInvalid.
func (j *Jobs) Revert(jobID string, version uint64, enforcePriorVersion *uint64) (*drover.JobRegisterResponse, *WriteMeta, error) {
	var out drover.JobRegisterResponse
	body := &revertBody{JobID: jobID, JobVersion: version, EnforcePriorVersion: enforcePriorVersion}
	wm, err := j.c.write(http.MethodPut, "/v1/job/"+pathEscape(jobID)+"/revert", nil, body, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}
