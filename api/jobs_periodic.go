package api

import (
	"net/http"

	"github.com/drover-sh/drover"
)

// dispatchBody is the body of PUT /v1/job/<id>/dispatch.
type dispatchBody struct {
	JobID            string
	Payload          []byte
	Meta             map[string]string
	IdPrefixTemplate string
}

// Dispatch dispatches a parameterized job with payload (may be nil) and
// meta; idPrefixTemplate, when not empty, goes into the child's ID. A job
// that is not parameterized, or a payload or meta its parameterized block
// refuses, is an error matching drover.ErrInvalid.
func (j *Jobs) Dispatch(jobID string, meta map[string]string, payload []byte, idPrefixTemplate string) (*drover.JobDispatchResponse, *WriteMeta, error) {
	body := dispatchBody{JobID: jobID, Payload: payload, Meta: meta, IdPrefixTemplate: idPrefixTemplate}
	var out drover.JobDispatchResponse
	wm, err := j.c.write(http.MethodPut, "/v1/job/"+pathEscape(jobID)+"/dispatch", nil, &body, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// PeriodicForce launches a periodic job's child now. A job that is not
// periodic is an error matching drover.ErrInvalid.
func (j *Jobs) PeriodicForce(jobID string) (*drover.PeriodicForceResponse, *WriteMeta, error) {
	var out drover.PeriodicForceResponse
	wm, err := j.c.write(http.MethodPut, "/v1/job/"+pathEscape(jobID)+"/periodic/force", nil, nil, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}
