package e2e

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/testutil"
)

func writeFile(t *testing.T, dir, name, src string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBadJobFiles(t *testing.T) {
	a := startAgent(t, "", "", "-dev")
	a.waitReady()
	tests := []struct {
		name, src string
		want      *regexp.Regexp
	}{
		{"syntax error", "job \"x\" {\n  group \"g\" {\n    count = \n  }\n}\n", regexp.MustCompile(`syntax\.hcl:\d+:\d+`)},
		{"unknown block", "job \"x\" {\n  grup \"g\" {\n  }\n}\n", regexp.MustCompile(`unknown\.hcl:2:3.*(?s:.*)group`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := strings.Fields(tt.name)[0] + ".hcl"
			p := writeFile(t, a.dir, file, tt.src)
			r := a.drover("job", "run", p)
			if r.code != 1 {
				t.Errorf("exit %d, want 1\nstderr: %s", r.code, r.stderr)
			}
			if !tt.want.MatchString(r.stderr) {
				t.Errorf("stderr does not match %s:\n%s", tt.want, r.stderr)
			}
		})
	}
	var jobs []map[string]any
	if err := a.getJSON("/v1/jobs", &jobs); err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 0 {
		t.Errorf("bad job files registered jobs: %v", jobs)
	}
}

// TestUnplaceableJobs: a job no node can run is registered and `job status`
// explains why nothing fit.
func TestUnplaceableJobs(t *testing.T) {
	a := startAgent(t, "", "", "-dev")
	a.waitReady()
	tests := []struct {
		id, driver, resources, want string
	}{
		{"nodriver", "nosuchdriver", "", `missing drivers`},
		{"toobig", "raw_exec", "resources {\n memory = 100000000\n }", `Dimension "memory" exhausted`},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			src := fmt.Sprintf("job %q {\n group \"g\" {\n task \"t\" {\n driver = %q\n config {\n command = \"/bin/true\"\n }\n %s\n }\n }\n}\n", tt.id, tt.driver, tt.resources)
			p := writeFile(t, a.dir, tt.id+".hcl", src)
			run := a.drover("job", "run", p)
			// As Nomad's, job run exits 2 when placements failed.
			if run.code != 2 || !strings.Contains(run.stdout, "failed to place 1 allocation") {
				t.Errorf("job run exit %d, output:\n%s%s", run.code, run.stdout, run.stderr)
			}
			st := a.mustDrover("job", "status", tt.id)
			if !strings.Contains(st.stdout, "Placement Failure") || !strings.Contains(st.stdout, tt.want) {
				t.Errorf("job status lacks the placement failure %q:\n%s", tt.want, st.stdout)
			}
		})
	}
}

// TestCommandNotFound: the task fails with the error in its events, after
// the restart policy.
func TestCommandNotFound(t *testing.T) {
	a := startAgent(t, "", "", "-dev")
	a.waitReady()
	src := `job "nocmd" {
  group "g" {
    restart {
      attempts = 1
      delay    = "100ms"
      interval = "10s"
      mode     = "fail"
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/nonexistent/command"
      }
    }
  }
}
`
	a.mustDrover("job", "run", "-detach", writeFile(t, a.dir, "nocmd.hcl", src))
	alloc := a.waitAllocStatus("nocmd", "failed")
	st := a.mustDrover("alloc", "status", alloc.ID)
	// Event rows: time, type, description. The restart policy (1 attempt)
	// restarts once, then gives up.
	for _, want := range []string{`(?m)^\S+\s+Driver Failure\s+.*/nonexistent/command`, `(?m)^\S+\s+Restarting\s`, `(?m)^\S+\s+Not Restarting\s`} {
		if !regexp.MustCompile(want).MatchString(st.stdout) {
			t.Errorf("alloc status lacks an event matching %s:\n%s", want, st.stdout)
		}
	}
}

// TestPortInUse: the agent exits 1 naming the port it could not take.
func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	cfg := writeFile(t, dir, "busy.hcl", fmt.Sprintf("ports {\n  http = %d\n  rpc = %d\n}\n", port, testutil.FreePort(t)))
	a := startAgent(t, dir, "", "-dev", "-config", cfg)
	select {
	case <-a.done:
	case <-time.After(15 * time.Second):
		t.Fatal("agent kept running although its HTTP port is taken")
	}
	if code := a.cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if want := fmt.Sprintf("127.0.0.1:%d", port); !strings.Contains(a.stderr.String(), want) {
		t.Errorf("stderr does not name %s:\n%s", want, a.stderr)
	}
}

// TestDataDirLocked: a second agent on the same data_dir exits 1 naming the
// lock; the first keeps running.
func TestDataDirLocked(t *testing.T) {
	dir := t.TempDir()
	conf := fmt.Sprintf("data_dir = %q\nserver {\n enabled = true\n bootstrap_expect = 1\n}\nclient {\n enabled = true\n}\n", filepath.Join(dir, "data"))
	first := startAgent(t, dir, conf)
	first.waitReady()
	second := startAgent(t, dir, conf)
	select {
	case <-second.done:
	case <-time.After(15 * time.Second):
		t.Fatal("second agent kept running on a locked data_dir")
	}
	if code := second.cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.Contains(second.stderr.String(), "agent.lock") || !strings.Contains(second.stderr.String(), fmt.Sprint(first.cmd.Process.Pid)) {
		t.Errorf("stderr does not name the lock and its holder:\n%s", second.stderr)
	}
	select {
	case <-first.done:
		t.Fatalf("the first agent died: %v", first.exitErr)
	default:
	}
}
