package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	drover "github.com/drover-sh/drover"
)

const helloHCL = `job "hello" {
  datacenters = ["dc1"]
  group "hello" {
    task "hello" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
      }
    }
  }
}
`

// writeJobFile writes src to a file in a temporary directory and returns
// its path and the directory.
func writeJobFile(t *testing.T, name, src string) (path, dir string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, dir
}

// evalSequence answers GET /v1/evaluation/<id> with evals[0] to a
// non-blocking read (no ?index) and evals[1] to a blocking one, with
// increasing X-Nomad-Index values.
func evalSequence(evals ...*drover.Evaluation) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e, index := evals[0], "50"
		if r.URL.Query().Get("index") != "" {
			e, index = evals[len(evals)-1], "60"
		}
		w.Header().Set("X-Nomad-Index", index)
		_ = json.NewEncoder(w).Encode(e)
	}
}

func registerAnswer(f *fakeAgent) {
	f.handle("PUT /v1/jobs", &drover.JobRegisterResponse{EvalID: evalID, EvalCreateIndex: 11, JobModifyIndex: 10})
}

func pendingEval() *drover.Evaluation {
	e := helloEvals()[0]
	e.Status = drover.EvalStatusPending
	return e
}

// TestJobRun registers a job file and monitors its evaluation from pending
// to complete with a blocking query.
func TestJobRun(t *testing.T) {
	f := newFakeAgent(t)
	registerAnswer(f)
	f.handle("GET /v1/evaluation/"+evalID, evalSequence(pendingEval(), helloEvals()[0]))
	var mu sync.Mutex
	calls := 0
	f.handle("GET /v1/evaluation/"+evalID+"/allocations", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		allocs := []*drover.AllocListStub{}
		if n > 1 {
			allocs = append(allocs, helloAlloc().Stub())
		}
		writeFakeJSON(w, allocs)
	}))
	path, dir := writeJobFile(t, "hello.nomad.hcl", helloHCL)
	args := []string{"job", "run", path}
	r := runCLI(context.Background(), t, f, "", args...)
	if r.code != 0 {
		t.Errorf("exit code %d, want 0; stderr: %s", r.code, r.stderr)
	}
	checkGolden(t, "job_run", f, args, r, dir, "$TMP")

	regs := f.find("PUT /v1/jobs")
	if len(regs) != 1 {
		t.Fatalf("got %d register requests, want 1", len(regs))
	}
	var body struct{ Job *drover.Job }
	if err := json.Unmarshal([]byte(regs[0].Body), &body); err != nil {
		t.Fatal(err)
	}
	// The job goes as the file states it; the agent canonicalizes it, and so
	// can tell the file's settings from defaults (for deprecation warnings).
	if body.Job == nil || body.Job.ID != "hello" || strings.Join(body.Job.Datacenters, ",") != "dc1" ||
		body.Job.Namespace != "" || body.Job.TaskGroups[0].Tasks[0].Resources != nil {
		t.Errorf("registered job is not the job file as parsed: %+v", body.Job)
	}
	reads := f.find("GET /v1/evaluation/" + evalID)
	if len(reads) != 2 || reads[0].Query["index"] != nil || strings.Join(reads[1].Query["index"], "") != "50" {
		t.Errorf("want a plain read then a blocking read at index 50, got %d reads: %+v", len(reads), reads)
	}
}

func TestJobRunDetach(t *testing.T) {
	f := newFakeAgent(t)
	registerAnswer(f)
	path, dir := writeJobFile(t, "hello.nomad.hcl", helloHCL)
	args := []string{"job", "run", "-detach", path}
	r := runCLI(context.Background(), t, f, "", args...)
	if r.code != 0 {
		t.Errorf("exit code %d, want 0", r.code)
	}
	checkGolden(t, "job_run_detach", f, args, r, dir, "$TMP")
	if got := f.requested(); len(got) != 1 {
		t.Errorf("-detach must only register, sent %v", got)
	}
}

// TestJobRunPlacementFailure exits 2 and explains the failure, as Nomad.
func TestJobRunPlacementFailure(t *testing.T) {
	f := newFakeAgent(t)
	registerAnswer(f)
	failed := helloEvals()[1]
	failed.ID = evalID
	f.handle("GET /v1/evaluation/"+evalID, failed)
	f.handle("GET /v1/evaluation/"+evalID+"/allocations", []*drover.AllocListStub{})
	path, dir := writeJobFile(t, "hello.nomad.hcl", helloHCL)
	args := []string{"job", "run", path}
	r := runCLI(context.Background(), t, f, "", args...)
	if r.code != 2 {
		t.Errorf("exit code %d, want 2", r.code)
	}
	checkGolden(t, "job_run_placement_failure", f, args, r, dir, "$TMP")
}

// TestJobRunBadFile: a job file that does not parse or validate is
// reported with its position and nothing is sent to the agent.
func TestJobRunBadFile(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"job_run_syntax_error", "job \"s\" {\n  group \"g\" {\n    count = \n  }\n", "bad.hcl:3:"},
		{"job_run_invalid", strings.Replace(helloHCL, `datacenters = ["dc1"]`, "priority = 500", 1), "priority 500 is out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAgent(t)
			registerAnswer(f)
			path, dir := writeJobFile(t, "bad.hcl", tt.src)
			args := []string{"job", "run", path}
			r := runCLI(context.Background(), t, f, "", args...)
			if r.code != 1 {
				t.Errorf("exit code %d, want 1", r.code)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr does not mention %q:\n%s", tt.want, r.stderr)
			}
			if got := f.requested(); len(got) != 0 {
				t.Errorf("a bad job file must send nothing, sent %v", got)
			}
			checkGolden(t, tt.name, f, args, r, dir, "$TMP")
		})
	}
}

// TestJobRunInterrupted: cancelling the context while the monitor waits
// ends it cleanly, saying the job keeps running.
func TestJobRunInterrupted(t *testing.T) {
	f := newFakeAgent(t)
	registerAnswer(f)
	blocked := make(chan struct{}, 1)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // runs before the server closes
	pending := pendingEval()
	f.handle("GET /v1/evaluation/"+evalID, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("index") != "" {
			blocked <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		writeFakeJSON(w, pending)
	}))
	f.handle("GET /v1/evaluation/"+evalID+"/allocations", []*drover.AllocListStub{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-blocked
		cancel()
	}()
	path, _ := writeJobFile(t, "hello.nomad.hcl", helloHCL)
	r := runCLI(ctx, t, f, "", "job", "run", path)
	if r.code != 0 {
		t.Errorf("exit code %d, want 0; stderr: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, `job "hello" keeps running`) {
		t.Errorf("stderr does not say the job keeps running:\n%s", r.stderr)
	}
}

// TestJobStop deregisters a job and monitors the evaluation; a job named by
// a prefix needs a confirmation, which -yes gives.
func TestJobStop(t *testing.T) {
	deregister := func(f *fakeAgent) {
		f.handle("DELETE /v1/job/hello", &drover.JobDeregisterResponse{EvalID: evalID, EvalCreateIndex: 30})
		f.handle("DELETE /v1/job/hello-big", &drover.JobDeregisterResponse{EvalID: evalID, EvalCreateIndex: 30})
		e := helloEvals()[0]
		e.TriggeredBy, e.CreateIndex = drover.EvalTriggerJobDeregister, 30
		f.handle("GET /v1/evaluation/"+evalID, e)
		stopped := helloAlloc()
		stopped.DesiredStatus = drover.AllocDesiredStatusStop
		f.handle("GET /v1/evaluation/"+evalID+"/allocations", []*drover.AllocListStub{stopped.Stub()})
	}
	tests := []struct {
		name    string
		args    []string
		stdin   string
		code    int
		deleted string // the DELETE sent, with its purge flag, or ""
	}{
		{"job_stop", []string{"job", "stop", "hello"}, "", 0, "/v1/job/hello purge="},
		{"job_stop_prefix_declined", []string{"job", "stop", "hello-b"}, "n\n", 0, ""},
		{"job_stop_prefix_confirmed", []string{"job", "stop", "-detach", "hello-b"}, "y\n", 0, "/v1/job/hello-big purge="},
		{"job_stop_yes_purge", []string{"job", "stop", "-yes", "-purge", "-detach", "hello-b"}, "", 0, "/v1/job/hello-big purge=true"},
		{"job_stop_ambiguous", []string{"job", "stop", "-yes", "hel"}, "", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAgent(t)
			cluster(f)
			deregister(f)
			r := runCLI(context.Background(), t, f, tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d; stderr: %s", r.code, tt.code, r.stderr)
			}
			checkGolden(t, tt.name, f, tt.args, r)
			var deleted []string
			for _, p := range []string{"/v1/job/hello", "/v1/job/hello-big"} {
				for _, req := range f.find("DELETE " + p) {
					deleted = append(deleted, p+" purge="+strings.Join(req.Query["purge"], ""))
				}
			}
			want := []string{}
			if tt.deleted != "" {
				want = []string{tt.deleted}
			}
			if strings.Join(deleted, ",") != strings.Join(want, ",") {
				t.Errorf("sent deletes %v, want %v", deleted, want)
			}
		})
	}
}

// TestJobRunStdin reads the job file from stdin for "-".
func TestJobRunStdin(t *testing.T) {
	f := newFakeAgent(t)
	registerAnswer(f)
	r := runCLI(context.Background(), t, f, helloHCL, "job", "run", "-detach", "-")
	if r.code != 0 || len(f.find("PUT /v1/jobs")) != 1 {
		t.Errorf("exit %d, requests %v, stderr %s", r.code, f.requested(), r.stderr)
	}
	r = runCLI(context.Background(), t, f, "job {", "job", "run", "-")
	if r.code != 1 || !strings.Contains(r.stderr, "<stdin>:1:") {
		t.Errorf("exit %d, stderr %q: want exit 1 and a <stdin>:line:col error", r.code, r.stderr)
	}
}

// TestAddressAndToken: -address wins over $DROVER_ADDR, and -token is sent.
func TestAddressAndToken(t *testing.T) {
	f := newFakeAgent(t)
	cluster(f)
	r := runCLI(context.Background(), t, nil, "", "job", "status", "-address", f.srv.URL, "-token", "s3cret")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	reqs := f.find("GET /v1/jobs")
	if len(reqs) != 1 || reqs[0].Token != "s3cret" {
		t.Errorf("want one job list request with the token, got %+v", reqs)
	}
}
