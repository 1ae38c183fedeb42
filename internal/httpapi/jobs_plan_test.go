package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/testutil"
	"github.com/drover-sh/drover/jobspec"
)

func TestJobPlanArgsAndErrors(t *testing.T) {
	var got *drover.JobPlanRequest
	f := &testutil.FakeRPC{JobPlan: func(a *drover.JobPlanRequest, r *drover.JobPlanResponse) error {
		got = a
		r.Index = 12
		return nil
	}}
	h := New(Config{RPC: f})
	w := serve(t, h, "PUT", "/v1/job/web/plan?namespace=prod", planBody)
	if w.Code != 200 || w.Header().Get("X-Nomad-Index") != "12" {
		t.Fatalf("%d %s, index header %q", w.Code, w.Body, w.Header().Get("X-Nomad-Index"))
	}
	if got.Job.ID != "web" || !got.Diff || got.Namespace != "prod" || got.Job.Namespace != "prod" {
		t.Errorf("request %+v", got)
	}
	for _, tt := range []struct{ path, body, msg string }{
		{"/v1/job/other/plan", planBody, `does not match "other"`},
		{"/v1/job/web/plan", `{"Diff": true}`, "Job must be specified"},
		{"/v1/job/web/plan", `{"Job": `, "invalid JSON body"},
	} {
		if w := serve(t, h, "PUT", tt.path, tt.body); w.Code != 400 || !strings.Contains(errorOf(t, w), tt.msg) {
			t.Errorf("%s %s: %d %s, want 400 %q", tt.path, tt.body, w.Code, w.Body, tt.msg)
		}
	}
	f.JobPlan = func(*drover.JobPlanRequest, *drover.JobPlanResponse) error {
		return drover.Errorf(drover.ErrInvalid, "job validation failed: group \"web\": count -1 is negative")
	}
	if w := serve(t, h, "PUT", "/v1/job/web/plan", planBody); w.Code != 400 || !strings.Contains(errorOf(t, w), "count -1") {
		t.Errorf("invalid job: %d %s", w.Code, w.Body)
	}
}

func TestJobValidateAnswersProblemsWith200(t *testing.T) {
	f := &testutil.FakeRPC{JobValidate: func(a *drover.JobValidateRequest, r *drover.JobValidateResponse) error {
		if a.Job.ID != "web" {
			t.Errorf("job %q", a.Job.ID)
		}
		r.ValidationErrors = []string{"a", "b"}
		r.Error = "a\nb"
		return nil
	}}
	w := serve(t, New(Config{RPC: f}), "PUT", "/v1/validate/job", registerBody)
	var got drover.JobValidateResponse
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != 200 {
		t.Fatalf("%d %s %v", w.Code, w.Body, err)
	}
	if len(got.ValidationErrors) != 2 || got.Error != "a\nb" {
		t.Errorf("answer %+v", got)
	}
	// No problems: an empty list, never null.
	w = serve(t, New(Config{RPC: fullFake()}), "PUT", "/v1/validate/job", registerBody)
	if !strings.Contains(w.Body.String(), `"ValidationErrors":[]`) {
		t.Errorf("answer %s, want an empty ValidationErrors list", w.Body)
	}
}

func TestJobVersionsRoute(t *testing.T) {
	var got *drover.JobVersionsRequest
	f := fullFake()
	inner := f.JobVersions
	f.JobVersions = func(a *drover.JobVersionsRequest, r *drover.JobVersionsResponse) error {
		got = a
		return inner(a, r)
	}
	h := New(Config{RPC: f})
	w := serve(t, h, "GET", "/v1/job/web/versions?diffs=true&index=4", "")
	var ans struct {
		Versions []*drover.Job
		Diffs    []*drover.JobDiff
	}
	if err := json.Unmarshal(w.Body.Bytes(), &ans); err != nil || w.Code != 200 {
		t.Fatalf("%d %s %v", w.Code, w.Body, err)
	}
	if got.JobID != "web" || !got.Diffs || got.MinQueryIndex != 4 || len(ans.Versions) != 2 || len(ans.Diffs) != 1 {
		t.Errorf("request %+v, answer %+v", got, ans)
	}
	checkMetaHeaders(t, w)
	serve(t, h, "GET", "/v1/job/web/versions", "")
	if got.Diffs {
		t.Error("Diffs asked without ?diffs")
	}
	if w := serve(t, h, "GET", "/v1/job/web/versions?diffs=perhaps", ""); w.Code != 400 {
		t.Errorf("diffs=perhaps: %d", w.Code)
	}
	f.JobVersions = func(*drover.JobVersionsRequest, *drover.JobVersionsResponse) error { return nil }
	if w := serve(t, h, "GET", "/v1/job/nope/versions", ""); w.Code != 404 || errorOf(t, w) != "job not found" {
		t.Errorf("unknown job: %d %s", w.Code, w.Body)
	}
}

func TestJobRevertRoute(t *testing.T) {
	var got *drover.JobRevertRequest
	f := &testutil.FakeRPC{JobRevert: func(a *drover.JobRevertRequest, r *drover.JobRegisterResponse) error {
		got = a
		if a.EnforcePriorVersion != nil && *a.EnforcePriorVersion != 3 {
			return drover.Errorf(drover.ErrConflict, "current version 3 does not match the prior version %d", *a.EnforcePriorVersion)
		}
		return nil
	}}
	h := New(Config{RPC: f})
	if w := serve(t, h, "PUT", "/v1/job/web/revert", `{"JobVersion": 1}`); w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if got.JobID != "web" || got.JobVersion != 1 || got.EnforcePriorVersion != nil {
		t.Errorf("request %+v", got)
	}
	if w := serve(t, h, "PUT", "/v1/job/web/revert", `{"JobID": "web", "JobVersion": 1, "EnforcePriorVersion": 3}`); w.Code != 200 || got.EnforcePriorVersion == nil {
		t.Errorf("enforce 3: %d %s, request %+v", w.Code, w.Body, got)
	}
	if w := serve(t, h, "PUT", "/v1/job/web/revert", `{"JobVersion": 1, "EnforcePriorVersion": 2}`); w.Code != http.StatusConflict {
		t.Errorf("enforce 2: %d %s, want 409", w.Code, w.Body)
	}
	if w := serve(t, h, "PUT", "/v1/job/web/revert", `{"JobID": "other", "JobVersion": 1}`); w.Code != 400 {
		t.Errorf("ID mismatch: %d %s", w.Code, w.Body)
	}
}

func TestJobParseRoute(t *testing.T) {
	h := New(Config{RPC: fullFake()})
	parse := func(body any) (*drover.Job, int, string) {
		t.Helper()
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		w := serve(t, h, "PUT", "/v1/jobs/parse", string(b))
		if w.Code != 200 {
			return nil, w.Code, errorOf(t, w)
		}
		var job drover.Job
		if err := json.Unmarshal(w.Body.Bytes(), &job); err != nil {
			t.Fatalf("%v: %s", err, w.Body)
		}
		return &job, w.Code, ""
	}
	src := "job \"web\" {\n  group \"g\" {\n    count = var.n\n    task \"t\" {\n      driver = \"raw_exec\"\n    }\n  }\n}\nvariable \"n\" {\n  type = number\n  default = 1\n}\n"

	raw, _, msg := parse(map[string]any{"JobHCL": src})
	if raw == nil {
		t.Fatalf("parse: %s", msg)
	}
	if raw.ID != "web" || raw.Priority != 0 || raw.TaskGroups[0].Count != 1 {
		t.Errorf("not canonicalized: %+v", raw)
	}
	canon, _, msg := parse(map[string]any{"JobHCL": src, "Canonicalize": true, "Variables": "n = 3\n"})
	if canon == nil {
		t.Fatalf("parse with variables: %s", msg)
	}
	if canon.Priority != drover.DefaultPriority || canon.TaskGroups[0].Count != 3 {
		t.Errorf("canonicalized with n = 3: priority %d, count %d", canon.Priority, canon.TaskGroups[0].Count)
	}

	for _, tt := range []struct {
		name string
		body map[string]any
		msg  string
	}{
		{"syntax", map[string]any{"JobHCL": "job \"web\" {\n  group \"g\" {\n"}, "job.hcl:"},
		{"every problem", map[string]any{"JobHCL": "job \"web\" {\n  bogus = 1\n  group \"g\" {\n    cout = 2\n  }\n}\n"}, "job.hcl:2:"},
		{"no text", map[string]any{"Canonicalize": true}, "JobHCL must be specified"},
		{"file() has no directory", map[string]any{"JobHCL": "job \"web\" {\n  meta { x = file(\"go.mod\") }\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n    }\n  }\n}\n"}, "has no directory"},
		{"bad variables", map[string]any{"JobHCL": src, "Variables": "n = \n"}, "variables.hcl:1:"},
	} {
		job, code, msg := parse(tt.body)
		if job != nil || code != 400 || !strings.Contains(msg, tt.msg) {
			t.Errorf("%s: %d %q, want 400 containing %q", tt.name, code, msg, tt.msg)
		}
		if strings.Contains(msg, "drover-parse-") {
			t.Errorf("%s: the temporary variables path leaked: %q", tt.name, msg)
		}
	}
	if _, _, msg := parse(map[string]any{"JobHCL": "job \"web\" {\n  bogus = 1\n  group \"g\" {\n    cout = 2\n  }\n}\n"}); !strings.Contains(msg, "job.hcl:4:") {
		t.Errorf("only the first problem reported: %q", msg)
	}
}

func TestJSONNestingLimit(t *testing.T) {
	h := New(Config{RPC: fullFake()})
	deep := func(n int) string {
		return `{"Job": {"ID": "web", "Meta": {"x": "` + strings.Repeat("[{", 2) + `"}, "TaskGroups": ` +
			strings.Repeat("[", n) + strings.Repeat("]", n) + `}}`
	}
	if w := serve(t, h, "PUT", "/v1/jobs", deep(jobspec.MaxNesting+1)); w.Code != 400 || !strings.Contains(errorOf(t, w), "nested more than") {
		t.Fatalf("deep body: %d %s", w.Code, w.Body)
	}
	// Brackets inside strings don't count; a body at the limit decodes
	// (and fails only on its shape).
	w := serve(t, h, "PUT", "/v1/jobs", deep(jobspec.MaxNesting-2))
	if w.Code != 400 || strings.Contains(errorOf(t, w), "nested more than") {
		t.Fatalf("body at the limit: %d %s", w.Code, w.Body)
	}
	for _, path := range []string{"/v1/job/web/plan", "/v1/validate/job"} {
		if w := serve(t, h, "PUT", path, deep(1000)); w.Code != 400 || !strings.Contains(errorOf(t, w), "nested more than") {
			t.Errorf("%s: %d %s", path, w.Code, w.Body)
		}
	}
}
