package api

import (
	"net/http"
	"net/url"

	"github.com/drover-sh/drover"
)

// Jobs reads and writes jobs.
type Jobs struct{ c *Client }

// Jobs returns the job endpoints.
func (c *Client) Jobs() *Jobs { return &Jobs{c: c} }

// RegisterOptions make a registration conditional: with EnforceIndex it
// succeeds only if the job's JobModifyIndex is ModifyIndex (0: the job must
// not exist yet); otherwise the answer is a 409 (drover.ErrConflict).
type RegisterOptions struct {
	EnforceIndex bool
	ModifyIndex  uint64
}

// registerBody is the body of PUT /v1/jobs.
type registerBody struct {
	Job            *drover.Job
	EnforceIndex   bool
	JobModifyIndex uint64
}

// Register registers or updates job; opts may be nil.
func (j *Jobs) Register(job *drover.Job, opts *RegisterOptions) (*drover.JobRegisterResponse, *WriteMeta, error) {
	body := registerBody{Job: job}
	if opts != nil {
		body.EnforceIndex, body.JobModifyIndex = opts.EnforceIndex, opts.ModifyIndex
	}
	var out drover.JobRegisterResponse
	wm, err := j.c.write(http.MethodPut, "/v1/jobs", nil, &body, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// List lists jobs, sorted by ID; q.Prefix filters by ID prefix.
func (j *Jobs) List(q *QueryOptions) ([]*drover.JobListStub, *QueryMeta, error) {
	var out []*drover.JobListStub
	qm, err := j.c.query("/v1/jobs", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Info reads a job; a missing job is an error matching drover.ErrNotFound.
func (j *Jobs) Info(jobID string, q *QueryOptions) (*drover.Job, *QueryMeta, error) {
	var out drover.Job
	qm, err := j.c.query("/v1/job/"+pathEscape(jobID), nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	out.NormalizeConfigNumbers()
	return &out, qm, nil
}

// Allocations lists a job's allocations; all includes those of older job
// versions.
func (j *Jobs) Allocations(jobID string, all bool, q *QueryOptions) ([]*drover.AllocListStub, *QueryMeta, error) {
	params := url.Values{}
	if all {
		params.Set("all", "true")
	}
	var out []*drover.AllocListStub
	qm, err := j.c.query("/v1/job/"+pathEscape(jobID)+"/allocations", params, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Evaluations lists a job's evaluations.
func (j *Jobs) Evaluations(jobID string, q *QueryOptions) ([]*drover.Evaluation, *QueryMeta, error) {
	var out []*drover.Evaluation
	qm, err := j.c.query("/v1/job/"+pathEscape(jobID)+"/evaluations", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Summary reads a job's allocation counts per group.
func (j *Jobs) Summary(jobID string, q *QueryOptions) (*drover.JobSummary, *QueryMeta, error) {
	var out drover.JobSummary
	qm, err := j.c.query("/v1/job/"+pathEscape(jobID)+"/summary", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Deregister stops a job; purge also removes it from the cluster's state.
func (j *Jobs) Deregister(jobID string, purge bool) (*drover.JobDeregisterResponse, *WriteMeta, error) {
	params := url.Values{}
	if purge {
		params.Set("purge", "true")
	}
	var out drover.JobDeregisterResponse
	wm, err := j.c.write(http.MethodDelete, "/v1/job/"+pathEscape(jobID), params, nil, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}
