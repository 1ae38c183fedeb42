package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/testutil"
)

// scaleFake holds job web (JobModifyIndex 7, group web of count 2) and
// records the registrations it is sent.
func scaleFake(registered *[]*drover.JobRegisterRequest) *testutil.FakeRPC {
	f := fullFake()
	f.JobRegister = func(a *drover.JobRegisterRequest, r *drover.JobRegisterResponse) error {
		*registered = append(*registered, a)
		*r = drover.JobRegisterResponse{EvalID: "e5", EvalCreateIndex: 20, JobModifyIndex: 20, WriteMeta: drover.WriteMeta{Index: 20}}
		return nil
	}
	f.JobGetJob = func(a *drover.JobSpecificRequest, r *drover.SingleJobResponse) error {
		if a.JobID == "web" {
			r.Job = testJob()
		}
		r.QueryMeta = testMeta
		return nil
	}
	return f
}

func TestJobScale(t *testing.T) {
	var registered []*drover.JobRegisterRequest
	h := New(Config{RPC: scaleFake(&registered)})
	w := serve(t, h, "PUT", "/v1/job/web/scale", `{"Count": 5, "Target": {"Job": "web", "Group": "web"}, "Message": "busy"}`)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var resp drover.JobRegisterResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.EvalID != "e5" || w.Header().Get("X-Nomad-Index") != "20" {
		t.Fatalf("answer %+v, index %q", resp, w.Header().Get("X-Nomad-Index"))
	}
	if len(registered) != 1 {
		t.Fatalf("%d registrations", len(registered))
	}
	a := registered[0]
	// The new version is guarded by the index it was made from.
	if a.Job.TaskGroups[0].Count != 5 || !a.EnforceIndex || a.JobModifyIndex != 7 || a.Job.Namespace != "default" {
		t.Fatalf("registered count %d, enforce %v at %d", a.Job.TaskGroups[0].Count, a.EnforceIndex, a.JobModifyIndex)
	}

	registered = nil
	for _, tt := range []struct {
		path, body string
		status     int
		says       string
	}{
		{"/v1/job/web/scale", `{"Count": 1, "Target": {"Job": "web", "Group": "db"}}`, 400, `no task group "db"`},
		{"/v1/job/web/scale", `{"Count": 1, "Target": {"Job": "other", "Group": "web"}}`, 400, "Target.Job"},
		{"/v1/job/web/scale", `{"Count": 1, "Target": {"Job": "web"}}`, 400, "Target.Group"},
		{"/v1/job/web/scale", `{"Count": -2, "Target": {"Group": "web"}}`, 400, "negative"},
		{"/v1/job/web/scale", `{"Target": {"Group": "web"}, "Error": true}`, 501, "scaling events"},
		{"/v1/job/web/scale", `{"Count": 1, "Target": {"Group": "web"}, "JobModifyIndex": 6}`, 409, "JobModifyIndex 6"},
		{"/v1/job/nope/scale", `{"Count": 1, "Target": {"Group": "web"}}`, 404, "job not found"},
		{"/v1/job/web/scale", ``, 400, "empty"},
	} {
		w := serve(t, h, "PUT", tt.path, tt.body)
		if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.says) {
			t.Errorf("%s %s: %d %s, want %d saying %s", tt.path, tt.body, w.Code, w.Body, tt.status, tt.says)
		}
	}
	if len(registered) != 0 {
		t.Fatalf("a refused scale registered %d jobs", len(registered))
	}
}

func TestJobScaleStatus(t *testing.T) {
	var registered []*drover.JobRegisterRequest
	f := scaleFake(&registered)
	f.JobAllocations = func(a *drover.JobSpecificRequest, r *drover.JobAllocationsResponse) error {
		running, pending, stopped := testAlloc("n1"), testAlloc("n1"), testAlloc("n1")
		pending.ClientStatus = drover.AllocClientStatusPending
		stopped.DesiredStatus = drover.AllocDesiredStatusStop
		r.Allocations = []*drover.AllocListStub{running.Stub(), pending.Stub(), stopped.Stub()}
		r.QueryMeta = drover.QueryMeta{Index: 50, KnownLeader: true}
		return nil
	}
	h := New(Config{RPC: f})
	w := serve(t, h, "GET", "/v1/job/web/scale", "")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var st jobScaleStatus
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	g := st.TaskGroups["web"]
	if st.JobID != "web" || st.JobModifyIndex != 7 || st.JobCreateIndex != 5 || g == nil ||
		g.Desired != 2 || g.Placed != 2 || g.Running != 1 || g.Events == nil {
		t.Fatalf("scale status %+v, group %+v", st, g)
	}
	// The index is the newer of the job's and its allocations'.
	if w.Header().Get("X-Nomad-Index") != "50" {
		t.Fatalf("X-Nomad-Index %q, want 50", w.Header().Get("X-Nomad-Index"))
	}
	if w := serve(t, h, "GET", "/v1/job/nope/scale", ""); w.Code != http.StatusNotFound {
		t.Fatalf("unknown job: %d", w.Code)
	}
}

func TestJobDeploymentsNotSupported(t *testing.T) {
	h := New(Config{RPC: fullFake()})
	for _, path := range []string{"/v1/job/web/deployments", "/v1/job/web/deployment"} {
		w := serve(t, h, "GET", path, "")
		if w.Code != http.StatusNotImplemented || !strings.Contains(w.Body.String(), "deployments are not supported") {
			t.Errorf("%s: %d %s", path, w.Code, w.Body)
		}
	}
}
