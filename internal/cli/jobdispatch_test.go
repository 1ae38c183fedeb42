package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	drover "github.com/drover-sh/drover"
)

const dispatchedID = "encode/dispatch-1795294200-0a1b2c3d"

// parentJobs adds a periodic job "cron" and a parameterized job "encode"
// with their children to f.
func parentJobs(f *fakeAgent) {
	cron := helloJob()
	cron.ID, cron.Name, cron.Type = "cron", "cron", drover.JobTypeBatch
	cron.Periodic = &drover.PeriodicConfig{Enabled: true, Specs: []string{"*/15 * * * *"}, Spec: "*/15 * * * *", SpecType: "cron", TimeZone: "UTC", ProhibitOverlap: true}
	encode := helloJob()
	encode.ID, encode.Name, encode.Type = "encode", "encode", drover.JobTypeBatch
	encode.ParameterizedJob = &drover.ParameterizedJobConfig{Payload: "required", MetaRequired: []string{"color"}}
	child := func(parent *drover.Job, id, status string, age int) *drover.JobListStub {
		c := helloJob()
		c.ID, c.Name, c.ParentID, c.Type, c.Status = id, id, parent.ID, drover.JobTypeBatch, status
		c.SubmitTime = ns(t0) - int64(age)*60e9
		return c.Stub(nil)
	}
	stubs := []*drover.JobListStub{
		cron.Stub(nil),
		child(cron, "cron/periodic-1795293300", drover.JobStatusDead, 15),
		child(cron, "cron/periodic-1795294200", drover.JobStatusRunning, 0),
		encode.Stub(nil),
		child(encode, dispatchedID, drover.JobStatusPending, 0),
		child(encode, "encode/dispatch-1795293000-99999999", drover.JobStatusDead, 20),
	}
	f.handle("GET /v1/jobs", stubs)
	f.handle("GET /v1/job/cron", cron)
	f.handle("GET /v1/job/cron/summary", &drover.JobSummary{JobID: "cron", Namespace: "default", Summary: map[string]drover.TaskGroupSummary{},
		Children: &drover.JobChildrenSummary{Running: 1, Dead: 1}})
	f.handle("GET /v1/job/encode", encode)
	f.handle("GET /v1/job/encode/summary", &drover.JobSummary{JobID: "encode", Namespace: "default", Summary: map[string]drover.TaskGroupSummary{},
		Children: &drover.JobChildrenSummary{Pending: 1, Dead: 1}})
}

func TestJobStatusOfParents(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"job_status_periodic", []string{"job", "status", "cron"}},
		{"job_status_parameterized", []string{"job", "status", "encode"}},
		{"job_status_list_parents", []string{"job", "status"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAgent(t)
			parentJobs(f)
			r := runCLI(context.Background(), t, f, "", tt.args...)
			if r.code != 0 {
				t.Errorf("exit code %d; stderr:\n%s", r.code, r.stderr)
			}
			checkGolden(t, tt.name, f, tt.args, r)
			for _, req := range f.requested() {
				if strings.HasSuffix(req, "/allocations") {
					t.Errorf("a parent's status read %s: parents have no allocations", req)
				}
			}
		})
	}
}

// dispatchAnswer answers the dispatch of "encode" with the evaluation
// evalID.
func dispatchAnswer(f *fakeAgent) {
	handleWrite(f, "/v1/job/encode/dispatch", &drover.JobDispatchResponse{
		DispatchedJobID: dispatchedID, EvalID: evalID, EvalCreateIndex: 21, JobCreateIndex: 21, WriteMeta: drover.WriteMeta{Index: 21}})
}

func dispatchBody(t *testing.T, f *fakeAgent) (body struct {
	JobID            string
	Payload          []byte
	Meta             map[string]string
	IdPrefixTemplate string
}) {
	t.Helper()
	reqs := writeRequests(f, "/v1/job/encode/dispatch")
	if len(reqs) != 1 {
		t.Fatalf("got %d dispatch requests, want 1 (all: %v)", len(reqs), f.requested())
	}
	if err := json.Unmarshal([]byte(reqs[0].Body), &body); err != nil {
		t.Fatal(err)
	}
	return body
}

func TestJobDispatch(t *testing.T) {
	f := newFakeAgent(t)
	dispatchAnswer(f)
	f.handle("GET /v1/evaluation/"+evalID, evalSequence(pendingEval(), helloEvals()[0]))
	f.handle("GET /v1/evaluation/"+evalID+"/allocations", []*drover.AllocListStub{helloAlloc().Stub()})
	path, dir := writeJobFile(t, "input.json", `{"frames": 24}`)
	args := []string{"job", "dispatch", "-meta", "color=red", "-meta", "size=xl", "-id-prefix-template", "night", "encode", path}
	r := runCLI(context.Background(), t, f, "", args...)
	if r.code != 0 {
		t.Errorf("exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	checkGolden(t, "job_dispatch", f, args, r, dir, "$TMP")
	body := dispatchBody(t, f)
	if body.JobID != "encode" || string(body.Payload) != `{"frames": 24}` || body.Meta["color"] != "red" || body.Meta["size"] != "xl" || body.IdPrefixTemplate != "night" {
		t.Errorf("dispatch request %+v: want the file's payload, both meta keys and the prefix", body)
	}
}

func TestJobDispatchDetachStdin(t *testing.T) {
	f := newFakeAgent(t)
	dispatchAnswer(f)
	args := []string{"job", "dispatch", "-detach", "encode", "-"}
	r := runCLI(context.Background(), t, f, "payload from stdin\n", args...)
	if r.code != 0 {
		t.Errorf("exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	checkGolden(t, "job_dispatch_detach", f, args, r)
	if body := dispatchBody(t, f); string(body.Payload) != "payload from stdin\n" || len(body.Meta) != 0 {
		t.Errorf("dispatch request %+v: want stdin as the payload and no meta", body)
	}
	if got := f.requested(); len(got) != 1 {
		t.Errorf("-detach must only dispatch, sent %v", got)
	}
}

func TestJobDispatchErrors(t *testing.T) {
	refused := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"Error": `dispatch of job "encode": meta key "color" is required but was not given`})
	})
	big := strings.Repeat("x", drover.DispatchPayloadSizeLimit+1)
	for _, tt := range []struct {
		name  string
		args  []string
		stdin string
		code  int
	}{
		{"job_dispatch_refused", []string{"job", "dispatch", "encode"}, "", 1},
		{"job_dispatch_too_large", []string{"job", "dispatch", "encode", "-"}, big, 1},
		{"job_dispatch_bad_meta", []string{"job", "dispatch", "-meta", "color", "encode"}, "", 2},
		{"job_dispatch_no_job", []string{"job", "dispatch"}, "", 2},
		{"job_dispatch_missing_file", []string{"job", "dispatch", "encode", "/nonexistent/input"}, "", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAgent(t)
			handleWrite(f, "/v1/job/encode/dispatch", refused)
			r := runCLI(context.Background(), t, f, tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			checkGolden(t, tt.name, f, tt.args, r)
			if tt.name != "job_dispatch_refused" && len(f.requested()) != 0 {
				t.Errorf("sent %v: a bad invocation must not reach the agent", f.requested())
			}
		})
	}
}

func TestJobPeriodicForce(t *testing.T) {
	forced := &drover.PeriodicForceResponse{EvalID: evalID, EvalCreateIndex: 22, WriteMeta: drover.WriteMeta{Index: 22}}
	notPeriodic := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"Error": `job "encode" is not periodic: only a periodic job can be forced to launch`})
	})
	for _, tt := range []struct {
		name string
		args []string
		code int
	}{
		{"job_periodic_force", []string{"job", "periodic", "force", "cron"}, 0},
		{"job_periodic_force_detach", []string{"job", "periodic", "force", "-detach", "cron"}, 0},
		{"job_periodic_force_not_periodic", []string{"job", "periodic", "force", "encode"}, 1},
		{"job_periodic_force_no_job", []string{"job", "periodic", "force"}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAgent(t)
			parentJobs(f)
			handleWrite(f, "/v1/job/cron/periodic/force", forced)
			handleWrite(f, "/v1/job/encode/periodic/force", notPeriodic)
			f.handle("GET /v1/evaluation/"+evalID, evalSequence(pendingEval(), helloEvals()[0]))
			f.handle("GET /v1/evaluation/"+evalID+"/allocations", []*drover.AllocListStub{helloAlloc().Stub()})
			r := runCLI(context.Background(), t, f, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			checkGolden(t, tt.name, f, tt.args, r)
		})
	}
}

const cronHCL = `job "cron" {
  type = "batch"
  periodic {
    crons            = ["*/15 * * * *"]
    prohibit_overlap = true
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
    }
  }
}
`

// TestJobRunPeriodic: registering a periodic job creates no evaluation; the
// command says when the first launch comes instead of monitoring.
func TestJobRunPeriodic(t *testing.T) {
	f := newFakeAgent(t)
	f.handle("PUT /v1/jobs", &drover.JobRegisterResponse{JobModifyIndex: 10, WriteMeta: drover.WriteMeta{Index: 10}})
	path, dir := writeJobFile(t, "cron.nomad.hcl", cronHCL)
	args := []string{"job", "run", path}
	r := runCLI(context.Background(), t, f, "", args...)
	if r.code != 0 {
		t.Errorf("exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	checkGolden(t, "job_run_periodic", f, args, r, dir, "$TMP")
	if got := f.requested(); len(got) != 1 {
		t.Errorf("sent %v, want only the registration", got)
	}
}
