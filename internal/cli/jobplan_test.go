package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/jobspec"
)

// runCLIEnv is runCLI with an environment list (for $DROVER_VAR_*).
func runCLIEnv(t *testing.T, f *fakeAgent, environ []string, args ...string) result {
	t.Helper()
	addr := "http://127.0.0.1:1"
	if f != nil {
		addr = f.srv.URL
	}
	var out, errb bytes.Buffer
	env := &Env{
		Getenv: func(k string) string {
			if k == "DROVER_ADDR" {
				return addr
			}
			return ""
		},
		Environ: func() []string { return environ },
		Stdin:   strings.NewReader(""), Stdout: &out, Stderr: &errb,
	}
	ctx := withClock(context.Background(), func() time.Time { return testNow })
	code := RunEnv(ctx, append([]string{"drover"}, args...), env)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// sentJob decodes the job of a recorded {"Job": ...} request body.
func sentJob(t *testing.T, r *recordedRequest) *drover.Job {
	t.Helper()
	var body struct{ Job *drover.Job }
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil || body.Job == nil {
		t.Fatalf("request body %q is not {\"Job\": ...}: %v", r.Body, err)
	}
	return body.Job
}

// TestJobPlan prints the diff, the dry run and the check-index hint, and
// exits as Nomad's plan: 0 unchanged, 1 allocations change, 255 errors.
func TestJobPlan(t *testing.T) {
	serverError := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_ = json.NewEncoder(w).Encode(map[string]string{"Error": "no leader"})
	})
	tests := []struct {
		name     string
		answer   any
		flags    []string
		code     int
		wantDiff bool
	}{
		{"job_plan_new", newJobPlan(), nil, 1, true},
		{"job_plan_edit", editPlan(), nil, 1, true},
		{"job_plan_edit_verbose", editPlan(), []string{"-verbose"}, 1, true},
		{"job_plan_no_diff", editPlan(), []string{"-diff=false"}, 1, false},
		{"job_plan_unchanged", unchangedPlan(), nil, 0, true},
		{"job_plan_failed", failedPlan(), nil, 1, true},
		{"job_plan_preemptions", preemptingPlan(2), nil, 1, true},
		{"job_plan_preemptions_many", preemptingPlan(12), nil, 1, true},
		{"job_plan_server_error", serverError, nil, 255, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeAgent(t)
			handleWrite(f, "/v1/job/hello/plan", tt.answer)
			path, dir := writeJobFile(t, "hello.nomad.hcl", helloHCL)
			args := append(append([]string{"job", "plan"}, tt.flags...), path)
			r := runCLI(context.Background(), t, f, "", args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			checkGolden(t, tt.name, f, args, r, dir, "$TMP")
			reqs := writeRequests(f, "/v1/job/hello/plan")
			if len(reqs) != 1 {
				t.Fatalf("got %d plan requests, want 1 (all: %v)", len(reqs), f.requested())
			}
			var body struct {
				Job  *drover.Job
				Diff bool
			}
			if err := json.Unmarshal([]byte(reqs[0].Body), &body); err != nil {
				t.Fatal(err)
			}
			if body.Job == nil || body.Job.ID != "hello" || body.Diff != tt.wantDiff {
				t.Errorf("plan request: job %+v diff %v; want the job file's job and diff %v", body.Job, body.Diff, tt.wantDiff)
			}
			for _, req := range f.requested() {
				if strings.HasSuffix(req, " /v1/jobs") {
					t.Errorf("plan must not register the job, sent %s", req)
				}
			}
		})
	}
}

// TestJobPlanFailures: a bad job file, misuse and an unreachable agent all
// exit 255, and a bad job file sends nothing.
func TestJobPlanFailures(t *testing.T) {
	bad, _ := writeJobFile(t, "bad.hcl", "job \"s\" {\n  group \"g\" {\n    count = \n  }\n")
	invalid, _ := writeJobFile(t, "invalid.hcl", strings.Replace(helloHCL, `datacenters = ["dc1"]`, "priority = 500", 1))
	good, _ := writeJobFile(t, "hello.hcl", helloHCL)
	tests := []struct {
		name   string
		agent  bool
		args   []string
		stderr string
	}{
		{"syntax error", true, []string{"job", "plan", bad}, "bad.hcl:3:"},
		{"invalid job", true, []string{"job", "plan", invalid}, "priority 500 is out of range"},
		{"no file", true, []string{"job", "plan"}, "exactly one argument"},
		{"bad flag", true, []string{"job", "plan", "-bogus", good}, "-bogus"},
		{"no agent", false, []string{"job", "plan", good}, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f *fakeAgent
			if tt.agent {
				f = newFakeAgent(t)
				handleWrite(f, "/v1/job/hello/plan", newJobPlan())
			}
			r := runCLI(context.Background(), t, f, "", tt.args...)
			if r.code != 255 {
				t.Errorf("exit code %d, want 255; stderr:\n%s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr does not mention %q:\n%s", tt.stderr, r.stderr)
			}
			if f != nil && len(f.requested()) != 0 {
				t.Errorf("sent %v, want nothing", f.requested())
			}
		})
	}
}

// varsHCL is a job whose datacenter and count come from variables.
const varsHCL = `variable "dc" {
  type    = string
  default = "dc1"
}

variable "count" {
  type    = number
  default = 1
}

job "hello" {
  datacenters = [var.dc]
  group "hello" {
    count = var.count
    task "hello" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
      }
    }
  }
}
`

// TestJobFileVariables: -var, -var-file and $DROVER_VAR_/$NOMAD_VAR_ reach
// the parser, for plan, validate and run alike.
func TestJobFileVariables(t *testing.T) {
	path, dir := writeJobFile(t, "vars.nomad.hcl", varsHCL)
	varFile := filepath.Join(dir, "prod.vars.hcl")
	if err := os.WriteFile(varFile, []byte("dc = \"eu-west\"\ncount = 4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		verb      string
		flags     []string
		environ   []string
		wantDC    string
		wantCount int
	}{
		{"defaults", "plan", nil, nil, "dc1", 1},
		{"-var", "plan", []string{"-var", "dc=eu-east", "-var", "count=2"}, nil, "eu-east", 2},
		{"-var-file", "validate", []string{"-var-file", varFile}, nil, "eu-west", 4},
		{"-var beats -var-file", "run", []string{"-detach", "-var-file", varFile, "-var", "count=5"}, nil, "eu-west", 5},
		{"DROVER_VAR_", "plan", nil, []string{"HOME=/root", "DROVER_VAR_dc=ap-south"}, "ap-south", 1},
		{"NOMAD_VAR_", "plan", nil, []string{"NOMAD_VAR_count=3"}, "dc1", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAgent(t)
			handleWrite(f, "/v1/job/hello/plan", unchangedPlan())
			handleWrite(f, "/v1/validate/job", &drover.JobValidateResponse{DriverConfigValidated: true})
			registerAnswer(f)
			args := append(append([]string{"job", tt.verb}, tt.flags...), path)
			r := runCLIEnv(t, f, tt.environ, args...)
			if r.code != 0 {
				t.Fatalf("exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
			}
			var reqs []*recordedRequest
			for _, p := range []string{"/v1/job/hello/plan", "/v1/validate/job", "/v1/jobs"} {
				reqs = append(reqs, writeRequests(f, p)...)
			}
			if len(reqs) != 1 {
				t.Fatalf("want one request, got %v", f.requested())
			}
			job := sentJob(t, reqs[0])
			if strings.Join(job.Datacenters, ",") != tt.wantDC || job.TaskGroups[0].Count != tt.wantCount {
				t.Errorf("sent datacenters %v count %d, want [%s] %d", job.Datacenters, job.TaskGroups[0].Count, tt.wantDC, tt.wantCount)
			}
		})
	}
}

// TestVarEnviron keeps only the variables' environment entries.
func TestVarEnviron(t *testing.T) {
	got := varEnviron([]string{"PATH=/bin", "DROVER_VAR_a=1", "NOMAD_VAR_b=x=y", "NOMAD_VARX=1", "drover_var_c=2"})
	if strings.Join(got, " ") != "DROVER_VAR_a=1 NOMAD_VAR_b=x=y" {
		t.Errorf("varEnviron = %q", got)
	}
}

// TestJobRunCheckIndex registers with EnforceIndex, and a conflict exits 1
// with Nomad's message and nothing monitored.
func TestJobRunCheckIndex(t *testing.T) {
	conflict := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusConflict)
		_ = json.NewEncoder(w).Encode(map[string]string{"Error": "enforcing job modify index 5: job exists with conflicting job modify index 7"})
	})
	tests := []struct {
		name   string
		answer any
		index  string
		code   int
	}{
		{"job_run_check_index_conflict", conflict, "5", 1},
		{"job_run_check_index_zero", &drover.JobRegisterResponse{EvalID: evalID, JobModifyIndex: 12}, "0", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAgent(t)
			f.handle("PUT /v1/jobs", tt.answer)
			path, dir := writeJobFile(t, "hello.nomad.hcl", helloHCL)
			args := []string{"job", "run", "-detach", "-check-index", tt.index, path}
			r := runCLI(context.Background(), t, f, "", args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			checkGolden(t, tt.name, f, args, r, dir, "$TMP")
			regs := f.find("PUT /v1/jobs")
			if len(regs) != 1 {
				t.Fatalf("got %d registrations, want 1", len(regs))
			}
			var body struct {
				EnforceIndex   bool
				JobModifyIndex uint64
			}
			if err := json.Unmarshal([]byte(regs[0].Body), &body); err != nil {
				t.Fatal(err)
			}
			if !body.EnforceIndex || fmt.Sprint(body.JobModifyIndex) != tt.index {
				t.Errorf("registered with EnforceIndex %v JobModifyIndex %d, want true %s", body.EnforceIndex, body.JobModifyIndex, tt.index)
			}
		})
	}
	t.Run("no check-index", func(t *testing.T) {
		f := newFakeAgent(t)
		registerAnswer(f)
		path, _ := writeJobFile(t, "hello.nomad.hcl", helloHCL)
		r := runCLI(context.Background(), t, f, "", "job", "run", "-detach", path)
		if r.code != 0 || strings.Contains(f.find("PUT /v1/jobs")[0].Body, `"EnforceIndex":true`) {
			t.Errorf("exit %d, body %s: want a plain registration", r.code, f.find("PUT /v1/jobs")[0].Body)
		}
	})
	t.Run("bad index", func(t *testing.T) {
		r := runCLI(context.Background(), t, nil, "", "job", "run", "-check-index", "-1", "x.hcl")
		if r.code != 2 || !strings.Contains(r.stderr, "not a non-negative integer") {
			t.Errorf("exit %d, stderr %s: want 2 and a message", r.code, r.stderr)
		}
	})
}

// TestJobSentAsParsed: run, plan and validate send the job as the file
// states it: the local validation works on a canonicalized copy.
func TestJobSentAsParsed(t *testing.T) {
	src := strings.Replace(helloHCL, `  group "hello" {`, "  group \"hello\" {\n    update {\n      max_parallel = 2\n    }", 1)
	path, _ := writeJobFile(t, "hello.nomad.hcl", src)
	parsed, err := jobspec.ParseFileWithOptions(path, jobspec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(parsed.Job)
	for _, verb := range []string{"run", "plan", "validate"} {
		f := newFakeAgent(t)
		registerAnswer(f)
		handleWrite(f, "/v1/job/hello/plan", unchangedPlan())
		handleWrite(f, "/v1/validate/job", &drover.JobValidateResponse{})
		r := runCLI(context.Background(), t, f, "", "job", verb, "-detach", path)
		if verb != "run" {
			r = runCLI(context.Background(), t, f, "", "job", verb, path)
		}
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", verb, r.code, r.stderr)
		}
		var reqs []*recordedRequest
		for _, p := range []string{"/v1/job/hello/plan", "/v1/validate/job", "/v1/jobs"} {
			reqs = append(reqs, writeRequests(f, p)...)
		}
		if len(reqs) != 1 {
			t.Fatalf("%s: want one request, got %v", verb, f.requested())
		}
		got, _ := json.Marshal(sentJob(t, reqs[0]))
		if !bytes.Equal(got, want) {
			t.Errorf("%s sent\n%s\nwant the parsed job\n%s", verb, got, want)
		}
	}
}

// TestJobFileJSON: Nomad's API JSON is read from *.json files and from
// stdin starting with "{".
func TestJobFileJSON(t *testing.T) {
	src, err := json.Marshal(struct{ Job *drover.Job }{helloJob()})
	if err != nil {
		t.Fatal(err)
	}
	path, _ := writeJobFile(t, "hello.json", string(src))
	for _, c := range []struct {
		name, stdin string
		args        []string
	}{
		{"file", "", []string{"job", "plan", path}},
		{"stdin", "\n  " + string(src), []string{"job", "plan", "-"}},
	} {
		f := newFakeAgent(t)
		handleWrite(f, "/v1/job/hello/plan", unchangedPlan())
		r := runCLI(context.Background(), t, f, c.stdin, c.args...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", c.name, r.code, r.stderr)
		}
		if job := sentJob(t, writeRequests(f, "/v1/job/hello/plan")[0]); job.TaskGroups[0].Tasks[0].Driver != "raw_exec" {
			t.Errorf("%s: sent %+v", c.name, job)
		}
	}
	f := newFakeAgent(t)
	r := runCLI(context.Background(), t, f, `{"Job": {"ID": "x", "Bogus": 1}}`, "job", "validate", "-")
	if r.code != 1 || !strings.Contains(r.stderr, "Bogus") || len(f.requested()) != 0 {
		t.Errorf("unknown JSON field: exit %d, stderr %q, requests %v", r.code, r.stderr, f.requested())
	}
}
