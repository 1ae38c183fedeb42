package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/testutil"
)

// fullFake answers every method with a fixture.
func fullFake() *testutil.FakeRPC {
	return &testutil.FakeRPC{
		JobRegister: func(a *drover.JobRegisterRequest, r *drover.JobRegisterResponse) error {
			*r = drover.JobRegisterResponse{EvalID: "e1", EvalCreateIndex: 9, JobModifyIndex: 9, WriteMeta: drover.WriteMeta{Index: 9}}
			return nil
		},
		JobDeregister: func(a *drover.JobDeregisterRequest, r *drover.JobDeregisterResponse) error {
			*r = drover.JobDeregisterResponse{EvalID: "e2", EvalCreateIndex: 10, JobModifyIndex: 10, WriteMeta: drover.WriteMeta{Index: 10}}
			return nil
		},
		JobGetJob: func(a *drover.JobSpecificRequest, r *drover.SingleJobResponse) error {
			r.Job, r.QueryMeta = testJob(), testMeta
			return nil
		},
		JobList: func(a *drover.JobListRequest, r *drover.JobListResponse) error {
			r.Jobs, r.QueryMeta = []*drover.JobListStub{testJob().Stub(nil)}, testMeta
			return nil
		},
		JobAllocations: func(a *drover.JobSpecificRequest, r *drover.JobAllocationsResponse) error {
			r.Allocations, r.QueryMeta = []*drover.AllocListStub{testAlloc("n1").Stub()}, testMeta
			return nil
		},
		JobEvaluations: func(a *drover.JobSpecificRequest, r *drover.JobEvaluationsResponse) error {
			r.Evaluations, r.QueryMeta = []*drover.Evaluation{testEval()}, testMeta
			return nil
		},
		JobSummary: func(a *drover.JobSpecificRequest, r *drover.JobSummaryResponse) error {
			r.JobSummary = &drover.JobSummary{JobID: "web", Namespace: "default",
				Summary: map[string]drover.TaskGroupSummary{"web": {Running: 2}}}
			r.QueryMeta = testMeta
			return nil
		},
		JobPlan: func(a *drover.JobPlanRequest, r *drover.JobPlanResponse) error {
			*r = drover.JobPlanResponse{
				Annotations:    &drover.PlanAnnotations{DesiredTGUpdates: map[string]*drover.DesiredUpdates{"web": {Place: 1}}},
				JobModifyIndex: 7, Diff: &drover.JobDiff{Type: drover.DiffTypeEdited, ID: "web"},
				WriteMeta: drover.WriteMeta{Index: 12},
			}
			return nil
		},
		JobValidate: func(a *drover.JobValidateRequest, r *drover.JobValidateResponse) error {
			return nil
		},
		JobVersions: func(a *drover.JobVersionsRequest, r *drover.JobVersionsResponse) error {
			r.Versions, r.QueryMeta = []*drover.Job{testJob(), testJob()}, testMeta
			if a.Diffs {
				r.Diffs = []*drover.JobDiff{{Type: drover.DiffTypeEdited, ID: "web"}}
			}
			return nil
		},
		JobRevert: func(a *drover.JobRevertRequest, r *drover.JobRegisterResponse) error {
			*r = drover.JobRegisterResponse{EvalID: "e3", EvalCreateIndex: 13, JobModifyIndex: 13, WriteMeta: drover.WriteMeta{Index: 13}}
			return nil
		},
		AllocList: func(a *drover.AllocListRequest, r *drover.AllocListResponse) error {
			other := testAlloc("n1")
			other.ID, other.EvalID = "other", "e9"
			r.Allocations, r.QueryMeta = []*drover.AllocListStub{testAlloc("n1").Stub(), other.Stub()}, testMeta
			return nil
		},
		AllocGetAlloc: func(a *drover.AllocSpecificRequest, r *drover.SingleAllocResponse) error {
			r.Alloc, r.QueryMeta = testAlloc("n1"), testMeta
			return nil
		},
		EvalList: func(a *drover.EvalListRequest, r *drover.EvalListResponse) error {
			r.Evaluations, r.QueryMeta = []*drover.Evaluation{testEval()}, testMeta
			return nil
		},
		EvalGetEval: func(a *drover.EvalSpecificRequest, r *drover.SingleEvalResponse) error {
			r.Eval, r.QueryMeta = testEval(), testMeta
			return nil
		},
		NodeList: func(a *drover.NodeListRequest, r *drover.NodeListResponse) error {
			r.Nodes, r.QueryMeta = []*drover.NodeListStub{testNode().Stub()}, testMeta
			return nil
		},
		NodeGetNode: func(a *drover.NodeSpecificRequest, r *drover.SingleNodeResponse) error {
			r.Node, r.QueryMeta = testNode(), testMeta
			return nil
		},
		NodeGetAllocs: func(a *drover.NodeSpecificRequest, r *drover.NodeAllocsResponse) error {
			r.Allocs, r.QueryMeta = []*drover.Allocation{testAlloc("n1")}, testMeta
			return nil
		},
		StatusLeader: func(a *drover.GenericRequest, r *string) error {
			*r = "127.0.0.1:4647"
			return nil
		},
		OperatorSchedulerGetConfiguration: func(a *drover.GenericRequest, r *drover.SchedulerConfigurationResponse) error {
			r.SchedulerConfig, r.QueryMeta = drover.DefaultSchedulerConfiguration(), testMeta
			return nil
		},
		OperatorSchedulerSetConfiguration: func(a *drover.SchedulerSetConfigRequest, r *drover.SchedulerSetConfigurationResponse) error {
			r.Updated, r.Index = true, 14
			return nil
		},
	}
}

func serve(t *testing.T, h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	t.Helper()
	var req *http.Request
	if body != "" {
		req = httptest.NewRequest(method, target, strings.NewReader(body))
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

const planBody = `{"Job": {"ID": "web", "TaskGroups": [{"Name": "web", "Count": 1, "Tasks": [{"Name": "server", "Driver": "raw_exec"}]}]}, "Diff": true}`

const parseBody = `{"JobHCL": "job \"web\" {\n  group \"web\" {\n    task \"server\" {\n      driver = \"raw_exec\"\n      config {\n        command = \"/bin/true\"\n      }\n    }\n  }\n}\n", "Canonicalize": true}`

const registerBody = `{"Job": {"ID": "web", "TaskGroups": [{"Name": "web", "Count": 1, "Tasks": [{"Name": "server", "Driver": "raw_exec"}]}]}, "EnforceIndex": false, "JobModifyIndex": 0}`

// TestRoutesShapes checks every route's happy path: status, that reads set
// the Nomad meta headers, and the JSON keys of the answer.
func TestRoutesShapes(t *testing.T) {
	h := New(Config{RPC: fullFake(), Self: func() AgentSelf {
		return AgentSelf{Config: map[string]any{"Region": "global"}, Member: AgentMember{Name: "a", Addr: "127.0.0.1", Port: 4648}}
	}})
	jobKeys := []string{"ID", "Name", "Namespace", "Type", "TaskGroups", "Datacenters", "Status", "JobModifyIndex", "CreateIndex", "ModifyIndex"}
	writeKeys := []string{"EvalID", "EvalCreateIndex", "JobModifyIndex", "Index"}
	allocStubKeys := []string{"ID", "EvalID", "Name", "NodeID", "JobID", "TaskGroup", "DesiredStatus", "ClientStatus", "CreateIndex"}
	tests := []struct {
		method, path, body string
		read               bool
		array              bool // answer is a JSON array (of objects with keys)
		wantLen            int
		keys               []string
	}{
		{"GET", "/v1/jobs", "", true, true, 1, []string{"ID", "Name", "Type", "Status", "JobSummary", "JobModifyIndex"}},
		{"PUT", "/v1/jobs", registerBody, false, false, 0, append(writeKeys, "Warnings")},
		{"POST", "/v1/jobs", registerBody, false, false, 0, writeKeys},
		{"GET", "/v1/job/web", "", true, false, 0, jobKeys},
		{"PUT", "/v1/job/web", registerBody, false, false, 0, writeKeys},
		{"POST", "/v1/job/web", registerBody, false, false, 0, writeKeys},
		{"DELETE", "/v1/job/web?purge=true", "", false, false, 0, writeKeys},
		{"GET", "/v1/job/web/allocations?all=true", "", true, true, 1, allocStubKeys},
		{"GET", "/v1/job/web/evaluations", "", true, true, 1, []string{"ID", "JobID", "Status", "TriggeredBy"}},
		{"GET", "/v1/job/web/summary", "", true, false, 0, []string{"JobID", "Namespace", "Summary", "CreateIndex"}},
		{"PUT", "/v1/job/web/plan", planBody, false, false, 0, []string{"Annotations", "FailedTGAllocs", "JobModifyIndex", "CreatedEvals", "Diff", "NextPeriodicLaunch", "Warnings", "Index"}},
		{"POST", "/v1/job/web/plan", planBody, false, false, 0, []string{"Annotations", "Diff"}},
		{"PUT", "/v1/validate/job", registerBody, false, false, 0, []string{"DriverConfigValidated", "ValidationErrors", "Error", "Warnings"}},
		{"POST", "/v1/validate/job", registerBody, false, false, 0, []string{"ValidationErrors"}},
		{"PUT", "/v1/jobs/parse", parseBody, false, false, 0, []string{"ID", "Name", "TaskGroups"}},
		{"POST", "/v1/jobs/parse", parseBody, false, false, 0, []string{"ID", "TaskGroups"}},
		{"GET", "/v1/job/web/versions?diffs=true", "", true, false, 0, []string{"Versions", "Diffs"}},
		{"PUT", "/v1/job/web/revert", `{"JobID": "web", "JobVersion": 1}`, false, false, 0, writeKeys},
		{"POST", "/v1/job/web/revert", `{"JobID": "web", "JobVersion": 1, "EnforcePriorVersion": 2}`, false, false, 0, writeKeys},
		{"GET", "/v1/allocations", "", true, true, 2, allocStubKeys},
		{"GET", "/v1/allocation/a1b2", "", true, false, 0, []string{"ID", "Job", "TaskGroup", "NodeID", "TaskStates", "AllocModifyIndex"}},
		{"GET", "/v1/evaluations", "", true, true, 1, []string{"ID", "Status"}},
		{"GET", "/v1/evaluation/e1", "", true, false, 0, []string{"ID", "Status", "FailedTGAllocs", "QueuedAllocations"}},
		{"GET", "/v1/evaluation/e1/allocations", "", true, true, 1, allocStubKeys},
		{"GET", "/v1/nodes", "", true, true, 1, []string{"ID", "Name", "Address", "Status", "Datacenter", "SchedulingEligibility"}},
		{"GET", "/v1/node/n1", "", true, false, 0, []string{"ID", "Name", "Attributes", "Status", "NodeResources"}},
		{"GET", "/v1/node/n1/allocations", "", true, true, 1, []string{"ID", "Job", "NodeID"}},
		{"GET", "/v1/agent/self", "", false, false, 0, []string{"config", "member", "stats"}},
		{"GET", "/v1/operator/scheduler/configuration", "", true, false, 0, []string{"SchedulerConfig", "Index", "KnownLeader", "LastContact"}},
		{"PUT", "/v1/operator/scheduler/configuration", `{"SchedulerAlgorithm": "spread"}`, false, false, 0, []string{"Updated", "Index"}},
		{"POST", "/v1/operator/scheduler/configuration?cas=3", `{"SchedulerAlgorithm": "spread"}`, false, false, 0, []string{"Updated", "Index"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			w := serve(t, h, tt.method, tt.path, tt.body)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d, body %s", w.Code, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if tt.read {
				checkMetaHeaders(t, w)
			}
			var objs []map[string]any
			if tt.array {
				if err := json.Unmarshal(w.Body.Bytes(), &objs); err != nil {
					t.Fatalf("decoding array: %v: %s", err, w.Body)
				}
				if len(objs) != tt.wantLen {
					t.Fatalf("got %d items, want %d", len(objs), tt.wantLen)
				}
			} else {
				var obj map[string]any
				if err := json.Unmarshal(w.Body.Bytes(), &obj); err != nil {
					t.Fatalf("decoding object: %v: %s", err, w.Body)
				}
				objs = []map[string]any{obj}
			}
			for _, key := range tt.keys {
				if _, ok := objs[0][key]; !ok {
					t.Errorf("key %q missing in %s", key, w.Body)
				}
			}
		})
	}
}

func checkMetaHeaders(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	for h, want := range map[string]string{"X-Nomad-Index": "42", "X-Nomad-KnownLeader": "true", "X-Nomad-LastContact": "1500"} {
		if got := w.Header().Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
}

func TestStatusLeader(t *testing.T) {
	w := serve(t, New(Config{RPC: fullFake()}), "GET", "/v1/status/leader", "")
	if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != `"127.0.0.1:4647"` {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
	if w.Header().Get("X-Nomad-KnownLeader") != "true" {
		t.Errorf("KnownLeader header %q", w.Header().Get("X-Nomad-KnownLeader"))
	}
}

func TestNodeSecretNotServed(t *testing.T) {
	w := serve(t, New(Config{RPC: fullFake()}), "GET", "/v1/node/n1", "")
	if strings.Contains(w.Body.String(), "secret") {
		t.Fatalf("node SecretID leaked: %s", w.Body)
	}
}

func TestEmptyListsAreArrays(t *testing.T) {
	f := &testutil.FakeRPC{
		JobList:        func(*drover.JobListRequest, *drover.JobListResponse) error { return nil },
		AllocList:      func(*drover.AllocListRequest, *drover.AllocListResponse) error { return nil },
		EvalList:       func(*drover.EvalListRequest, *drover.EvalListResponse) error { return nil },
		NodeList:       func(*drover.NodeListRequest, *drover.NodeListResponse) error { return nil },
		JobAllocations: func(*drover.JobSpecificRequest, *drover.JobAllocationsResponse) error { return nil },
		JobEvaluations: func(*drover.JobSpecificRequest, *drover.JobEvaluationsResponse) error { return nil },
		NodeGetAllocs:  func(*drover.NodeSpecificRequest, *drover.NodeAllocsResponse) error { return nil },
	}
	h := New(Config{RPC: f})
	for _, path := range []string{"/v1/jobs", "/v1/allocations", "/v1/evaluations", "/v1/nodes",
		"/v1/job/x/allocations", "/v1/job/x/evaluations", "/v1/node/x/allocations", "/v1/evaluation/x/allocations"} {
		w := serve(t, h, "GET", path, "")
		if got := strings.TrimSpace(w.Body.String()); w.Code != 200 || got != "[]" {
			t.Errorf("%s: %d %s, want 200 []", path, w.Code, got)
		}
	}
}

func TestNilObjectIsNotFound(t *testing.T) {
	f := &testutil.FakeRPC{
		JobGetJob:     func(*drover.JobSpecificRequest, *drover.SingleJobResponse) error { return nil },
		JobSummary:    func(*drover.JobSpecificRequest, *drover.JobSummaryResponse) error { return nil },
		AllocGetAlloc: func(*drover.AllocSpecificRequest, *drover.SingleAllocResponse) error { return nil },
		EvalGetEval:   func(*drover.EvalSpecificRequest, *drover.SingleEvalResponse) error { return nil },
		NodeGetNode:   func(*drover.NodeSpecificRequest, *drover.SingleNodeResponse) error { return nil },
	}
	h := New(Config{RPC: f})
	for path, msg := range map[string]string{
		"/v1/job/nope": "job not found", "/v1/job/nope/summary": "job not found",
		"/v1/allocation/nope": "alloc not found", "/v1/evaluation/nope": "eval not found", "/v1/node/nope": "node not found",
	} {
		w := serve(t, h, "GET", path, "")
		if w.Code != http.StatusNotFound || errorOf(t, w) != msg {
			t.Errorf("%s: %d %s, want 404 %q", path, w.Code, w.Body, msg)
		}
		if w.Header().Get("X-Nomad-Index") == "" {
			t.Errorf("%s: no X-Nomad-Index on a 404 read", path)
		}
	}
}

// errorOf returns the message of an error answer, failing the test when
// the answer is not the plain text Nomad's agents send.
func errorOf(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("error answer's content type is %q, want text/plain: %q", ct, w.Body)
	}
	msg := w.Body.String()
	if msg == "" || strings.HasPrefix(msg, "{") {
		t.Fatalf("error body %q is not a plain-text message", msg)
	}
	return msg
}

func TestRouteListIsComplete(t *testing.T) {
	// Every route of the brief answers something other than the JSON 404
	// of an unknown path.
	h := New(Config{RPC: fullFake(), Client: &fakeClient{}})
	w := serve(t, h, "GET", "/v1/nope", "")
	if w.Code != http.StatusNotFound || !strings.Contains(errorOf(t, w), "no such API path") {
		t.Fatalf("unknown path: %d %s", w.Code, w.Body)
	}
	paths := []string{"/v1/jobs", "/v1/job/x", "/v1/job/x/allocations", "/v1/job/x/evaluations", "/v1/job/x/summary",
		"/v1/allocations", "/v1/allocation/x", "/v1/evaluations", "/v1/evaluation/x", "/v1/evaluation/x/allocations",
		"/v1/nodes", "/v1/node/x", "/v1/node/x/allocations", "/v1/client/fs/logs/x", "/v1/agent/self", "/v1/status/leader",
		"/v1/job/x/plan", "/v1/job/x/versions", "/v1/job/x/revert", "/v1/jobs/parse", "/v1/validate/job",
		"/v1/job/x/dispatch", "/v1/job/x/periodic/force"}
	for _, p := range paths {
		w := serve(t, h, "GET", p, "")
		if w.Code == http.StatusNotFound && strings.Contains(w.Body.String(), "no such API path") {
			t.Errorf("%s is not routed", p)
		}
	}
}
