package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/testutil"
)

// TestAllocRestartAllTasks: `drover alloc restart -all-tasks` runs the
// finished prestart task again before the main task starts again, while a
// plain `drover alloc restart` restarts only the running main task. The
// main task also finds its secrets directory to be a tmpfs of mode 0700
// (the agent runs as root), and nothing stays mounted after the agent.
func TestAllocRestartAllTasks(t *testing.T) {
	testutil.Require(t, testutil.Root)
	a := startAgent(t, "", "", "-dev")
	a.waitReady()
	src := `job "prerun" {
  datacenters = ["dc1"]
  group "g" {
    task "init" {
      driver = "raw_exec"
      lifecycle {
        hook = "prestart"
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "echo init >> ${NOMAD_ALLOC_DIR}/data/order"]
      }
    }
    task "main" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo main >> ${NOMAD_ALLOC_DIR}/data/order; echo fs=$(stat -f -c %T ${NOMAD_SECRETS_DIR}) mode=$(stat -c %a ${NOMAD_SECRETS_DIR}); while true; do sleep 0.1; done"]
      }
    }
  }
}
`
	job := filepath.Join(a.dir, "prerun.hcl")
	if err := os.WriteFile(job, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	a.mustDrover("job", "run", "-detach", job)
	alloc := a.waitAllocStatus("prerun", "running")
	prefix := alloc.ID[:8]
	order := func(want string) {
		t.Helper()
		testutil.WaitFor(t, 20*time.Second, func() error {
			r := a.drover("alloc", "fs", prefix, "alloc/data/order")
			if got := strings.Fields(r.stdout); strings.Join(got, " ") != want {
				return fmt.Errorf("order %q (exit %d, %s), want %q", got, r.code, r.stderr, want)
			}
			return nil
		})
	}
	order("init main")
	logs := a.drover("alloc", "logs", prefix, "main")
	if !strings.Contains(logs.stdout, "fs=tmpfs mode=700") {
		t.Errorf("main's secrets dir: %q, want a tmpfs of mode 700", logs.stdout)
	}

	a.mustDrover("alloc", "restart", prefix)
	order("init main main")
	a.mustDrover("alloc", "restart", "-all-tasks", prefix)
	order("init main main init main")

	r := a.drover("alloc", "restart", "-all-tasks", "-task", "main", prefix)
	if r.code != 2 {
		t.Errorf("-all-tasks with a task: exit %d, want 2", r.code)
	}
	if err := a.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("agent exit: %v", err)
	}
	// Other tests' agents may have mounts of their own meanwhile: only this
	// allocation's directory counts.
	if b, err := os.ReadFile("/proc/self/mounts"); err == nil && strings.Contains(string(b), "/"+alloc.ID+"/") {
		t.Errorf("the -dev agent left mounts of allocation %s behind:\n%s", alloc.ID, b)
	}
}
