package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	drover "github.com/drover-sh/drover"
)

// TestJobValidate: local checks first, then the agent's; warnings do not
// fail; without an agent the local checks decide, with a note.
func TestJobValidate(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		answer any // nil: no agent at all
		code   int
		sent   bool
	}{
		{"job_validate", helloHCL, &drover.JobValidateResponse{DriverConfigValidated: true}, 0, true},
		{"job_validate_warnings", helloHCL, &drover.JobValidateResponse{
			DriverConfigValidated: true, Warnings: `group "hello": task "hello": no node offers the driver "raw_exec"`}, 0, true},
		{"job_validate_server_errors", helloHCL, &drover.JobValidateResponse{
			ValidationErrors: []string{`group "hello": task "hello": config: unknown key "comand"`, `group "hello": count -1 is below 0`},
			Error:            "2 errors"}, 1, true},
		{"job_validate_no_agent", helloHCL, nil, 0, false},
		{"job_validate_local_errors", strings.Replace(helloHCL, `datacenters = ["dc1"]`, "priority = 500", 1),
			&drover.JobValidateResponse{}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f *fakeAgent
			if tt.answer != nil {
				f = newFakeAgent(t)
				handleWrite(f, "/v1/validate/job", tt.answer)
			}
			path, dir := writeJobFile(t, "hello.nomad.hcl", tt.src)
			args := []string{"job", "validate", path}
			r := runCLI(context.Background(), t, f, "", args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			checkGolden(t, tt.name, f, args, r, dir, "$TMP", "http://127.0.0.1:1", "http://agent")
			if f == nil {
				return
			}
			reqs := writeRequests(f, "/v1/validate/job")
			if got := len(reqs) == 1; got != tt.sent {
				t.Fatalf("sent %v; want a validate request: %v", f.requested(), tt.sent)
			}
			if tt.sent && sentJob(t, reqs[0]).ID != "hello" {
				t.Errorf("validated job is not the job file's")
			}
		})
	}
}

// TestJobHistory lists versions newest first, with -p their differences.
func TestJobHistory(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"job_history", []string{"job", "history", "hello"}, 0},
		{"job_history_p", []string{"job", "history", "-p", "hello"}, 0},
		{"job_history_version", []string{"job", "history", "-p", "-version", "1", "hello"}, 0},
		{"job_history_no_version", []string{"job", "history", "-version", "9", "hello"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeAgent(t)
			cluster(f)
			f.handle("GET /v1/job/hello/versions", versionsAnswer())
			r := runCLI(context.Background(), t, f, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			checkGolden(t, tt.name, f, tt.args, r)
		})
	}
	t.Run("full", func(t *testing.T) {
		f := newFakeAgent(t)
		cluster(f)
		f.handle("GET /v1/job/hello/versions", versionsAnswer())
		r := runCLI(context.Background(), t, f, "", "job", "history", "-full", "-version", "0", "hello")
		head, body, ok := strings.Cut(r.stdout, "Full        = JSON Job:\n")
		var job drover.Job
		if r.code != 0 || !ok || !strings.HasPrefix(head, "Version     = 0\n") || json.Unmarshal([]byte(body), &job) != nil || job.Version != 0 {
			t.Errorf("exit %d, stdout:\n%s", r.code, r.stdout)
		}
	})
	t.Run("json", func(t *testing.T) {
		f := newFakeAgent(t)
		cluster(f)
		f.handle("GET /v1/job/hello/versions", versionsAnswer())
		r := runCLI(context.Background(), t, f, "", "job", "history", "-json", "hello")
		var versions []*drover.Job
		if err := json.Unmarshal([]byte(r.stdout), &versions); err != nil || r.code != 0 {
			t.Fatalf("exit %d, stdout not a JSON list of jobs: %v", r.code, err)
		}
		if len(versions) != 3 || versions[0].Version != 2 || versions[2].Version != 0 {
			t.Errorf("want versions 2, 1, 0; got %d versions", len(versions))
		}
	})
}

// TestJobInspect prints {"Job": ...}, the current job or a version of it.
func TestJobInspect(t *testing.T) {
	tests := []struct {
		args        []string
		wantVersion uint64
		wantCount   int
	}{
		{[]string{"job", "inspect", "hello"}, 0, 1},
		{[]string{"job", "inspect", "-json", "-version", "2", "hello"}, 2, 3},
	}
	for _, tt := range tests {
		f := newFakeAgent(t)
		cluster(f)
		f.handle("GET /v1/job/hello/versions", versionsAnswer())
		r := runCLI(context.Background(), t, f, "", tt.args...)
		var out struct{ Job *drover.Job }
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != 0 || out.Job == nil {
			t.Fatalf("%v: exit %d, stdout is not {\"Job\": ...}: %v\n%s", tt.args, r.code, err, r.stderr)
		}
		if out.Job.ID != "hello" || out.Job.Version != tt.wantVersion || out.Job.TaskGroups[0].Count != tt.wantCount {
			t.Errorf("%v: got job %s version %d count %d", tt.args, out.Job.ID, out.Job.Version, out.Job.TaskGroups[0].Count)
		}
	}
	f := newFakeAgent(t)
	cluster(f)
	r := runCLI(context.Background(), t, f, "", "job", "inspect", "nope")
	if r.code != 1 || !strings.Contains(r.stderr, `no job with prefix or ID "nope"`) {
		t.Errorf("unknown job: exit %d, stderr %s", r.code, r.stderr)
	}
}

// TestJobRevert reverts to a version and monitors the evaluation.
func TestJobRevert(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"job_revert", []string{"job", "revert", "hello", "1"}, 0},
		{"job_revert_detach", []string{"job", "revert", "-detach", "hello", "1"}, 0},
		{"job_revert_bad_version", []string{"job", "revert", "hello", "one"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAgent(t)
			cluster(f)
			handleWrite(f, "/v1/job/hello/revert", &drover.JobRegisterResponse{EvalID: evalID, EvalCreateIndex: 11, JobModifyIndex: 40})
			f.handle("GET /v1/evaluation/"+evalID+"/allocations", []*drover.AllocListStub{helloAlloc().Stub()})
			r := runCLI(context.Background(), t, f, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			checkGolden(t, tt.name, f, tt.args, r)
			reqs := writeRequests(f, "/v1/job/hello/revert")
			if tt.code != 0 {
				if len(reqs) != 0 {
					t.Errorf("misuse sent a revert")
				}
				return
			}
			var body struct {
				JobID      string
				JobVersion uint64
			}
			if len(reqs) != 1 || json.Unmarshal([]byte(reqs[0].Body), &body) != nil || body.JobID != "hello" || body.JobVersion != 1 {
				t.Errorf("want one revert of hello to version 1, got %d: %+v", len(reqs), body)
			}
		})
	}
	t.Run("server refuses", func(t *testing.T) {
		f := newFakeAgent(t)
		cluster(f)
		handleWrite(f, "/v1/job/hello/revert", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"Error": "can't revert to current version"})
		}))
		r := runCLI(context.Background(), t, f, "", "job", "revert", "hello", "0")
		if r.code != 1 || !strings.Contains(r.stderr, "can't revert to current version") {
			t.Errorf("exit %d, stderr %s", r.code, r.stderr)
		}
	})
}
