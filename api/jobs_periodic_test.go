package api

import (
	"errors"
	"testing"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/testutil"
)

func TestJobsDispatchRoundTrip(t *testing.T) {
	var got *drover.JobDispatchRequest
	rpc := &testutil.FakeRPC{JobDispatch: func(a *drover.JobDispatchRequest, r *drover.JobDispatchResponse) error {
		got = a
		if a.JobID == "plain" {
			return drover.Errorf(drover.ErrInvalid, "job %q is not a parameterized job", a.JobID)
		}
		*r = drover.JobDispatchResponse{DispatchedJobID: "p/dispatch-1-0a0b0c0d", EvalID: "e1", EvalCreateIndex: 5, JobCreateIndex: 5, WriteMeta: drover.WriteMeta{Index: 5}}
		return nil
	}}
	c := newTestClient(t, rpc, nil, nil)
	payload := []byte{0, 1, 2, 255, '\n'}
	resp, wm, err := c.Jobs().Dispatch("p", map[string]string{"k": "v"}, payload, "pre")
	if err != nil {
		t.Fatal(err)
	}
	if got.JobID != "p" || string(got.Payload) != string(payload) || got.Meta["k"] != "v" || got.IdPrefixTemplate != "pre" {
		t.Errorf("request %+v: payload bytes, meta or prefix lost in transit", got)
	}
	if resp.DispatchedJobID != "p/dispatch-1-0a0b0c0d" || resp.EvalID != "e1" || resp.JobCreateIndex != 5 || wm.LastIndex != 5 {
		t.Errorf("response %+v meta %+v", resp, wm)
	}
	if _, _, err := c.Jobs().Dispatch("plain", nil, nil, ""); !errors.Is(err, drover.ErrInvalid) {
		t.Errorf("dispatch of a plain job: %v, want ErrInvalid", err)
	}
}

func TestJobsPeriodicForceRoundTrip(t *testing.T) {
	rpc := &testutil.FakeRPC{PeriodicForce: func(a *drover.PeriodicForceRequest, r *drover.PeriodicForceResponse) error {
		if a.JobID != "cron" {
			return drover.Errorf(drover.ErrNotFound, "job %q not found", a.JobID)
		}
		*r = drover.PeriodicForceResponse{EvalID: "e7", EvalCreateIndex: 8, WriteMeta: drover.WriteMeta{Index: 8}}
		return nil
	}}
	c := newTestClient(t, rpc, nil, nil)
	resp, wm, err := c.Jobs().PeriodicForce("cron")
	if err != nil || resp.EvalID != "e7" || resp.EvalCreateIndex != 8 || wm.LastIndex != 8 {
		t.Fatalf("force: %+v %+v %v", resp, wm, err)
	}
	if _, _, err := c.Jobs().PeriodicForce("nope"); !errors.Is(err, drover.ErrNotFound) {
		t.Errorf("force of an unknown job: %v, want ErrNotFound", err)
	}
}
