package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/testutil"
)

// lifecycleJob is a raw_exec job of three tasks: a prestart task writes a
// file into the shared alloc directory, the main task prints it, and a
// poststop task prints it again. mainScript is the main task's script.
func lifecycleJob(t *testing.T, dir, id, jobType, mainScript string) string {
	t.Helper()
	src := fmt.Sprintf(`job %q {
  datacenters = ["dc1"]
  type        = %q

  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }

    task "init" {
      driver = "raw_exec"
      lifecycle {
        hook = "prestart"
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "sleep 0.3; echo made by init > $NOMAD_ALLOC_DIR/data/greeting"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }

    task "main" {
      driver         = "raw_exec"
      shutdown_delay = "1s"
      config {
        command = "/bin/sh"
        args    = ["-c", %q]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }

    task "post" {
      driver = "raw_exec"
      lifecycle {
        hook = "poststop"
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "echo cleanup after $(cat $NOMAD_ALLOC_DIR/data/greeting)"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`, id, jobType, mainScript)
	path := filepath.Join(dir, id+".hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

type taskStateJSON struct {
	State      string
	Failed     bool
	StartedAt  time.Time
	FinishedAt time.Time
	Events     []struct{ Type string }
}

func (a *agentProc) taskStates(allocID string) map[string]taskStateJSON {
	a.t.Helper()
	var alloc struct{ TaskStates map[string]taskStateJSON }
	out := a.mustDrover("alloc", "status", "-json", allocID)
	if err := json.Unmarshal([]byte(out.stdout), &alloc); err != nil {
		a.t.Fatalf("alloc status -json: %v\n%s", err, out.stdout)
	}
	return alloc.TaskStates
}

// waitLog waits until the task's stdout log holds want.
func (a *agentProc) waitLog(allocID, task, want string) {
	a.t.Helper()
	testutil.WaitFor(a.t, 15*time.Second, func() error {
		r := a.drover("alloc", "logs", allocID, task)
		if !strings.Contains(r.stdout, want) {
			return fmt.Errorf("%s log (exit %d): %q %s", task, r.code, r.stdout, r.stderr)
		}
		return nil
	})
}

// TestTaskLifecycleBatch: the prestart task's file is there when the main
// task starts, and the poststop task runs after the main task finished.
func TestTaskLifecycleBatch(t *testing.T) {
	a := startAgent(t, "", "", "-dev")
	a.waitReady()
	job := lifecycleJob(t, a.dir, "lc-batch", "batch", "cat $NOMAD_ALLOC_DIR/data/greeting; echo main done")
	a.mustDrover("job", "run", "-detach", job)
	alloc := a.waitAllocStatus("lc-batch", "complete")

	a.waitLog(alloc.ID, "main", "made by init\nmain done")
	a.waitLog(alloc.ID, "post", "cleanup after made by init")
	st := a.taskStates(alloc.ID)
	for _, name := range []string{"init", "main", "post"} {
		if s := st[name]; s.State != "dead" || s.Failed {
			t.Errorf("task %s: %+v", name, s)
		}
	}
	if !st["init"].FinishedAt.Before(st["main"].StartedAt) {
		t.Errorf("init finished %v, main started %v", st["init"].FinishedAt, st["main"].StartedAt)
	}
	if !st["main"].FinishedAt.Before(st["post"].StartedAt) {
		t.Errorf("main finished %v, post started %v", st["main"].FinishedAt, st["post"].StartedAt)
	}
	status := a.mustDrover("alloc", "status", alloc.ID[:8])
	for _, want := range []string{`Task "init" (prestart) is "dead"`, `Task "main" is "dead"`, `Task "post" (poststop) is "dead"`, "complete"} {
		if !strings.Contains(status.stdout, want) {
			t.Errorf("alloc status lacks %q:\n%s", want, status.stdout)
		}
	}
}

// TestTaskLifecycleStop: stopping a service job waits the main task's
// shutdown_delay, stops it, then runs the poststop task before the
// allocation is complete.
func TestTaskLifecycleStop(t *testing.T) {
	a := startAgent(t, "", "", "-dev")
	a.waitReady()
	job := lifecycleJob(t, a.dir, "lc-svc", "service", "cat $NOMAD_ALLOC_DIR/data/greeting; exec sleep 1000")
	a.mustDrover("job", "run", "-detach", job)
	alloc := a.waitAllocStatus("lc-svc", "running")
	a.waitLog(alloc.ID, "main", "made by init")
	if st := a.taskStates(alloc.ID); st["post"].State != "pending" || !st["post"].StartedAt.IsZero() {
		t.Fatalf("poststop task ran while the main task runs: %+v", st["post"])
	}

	a.mustDrover("job", "stop", "-detach", "lc-svc")
	a.waitAllocStatus("lc-svc", "complete")
	a.waitLog(alloc.ID, "post", "cleanup after made by init")
	st := a.taskStates(alloc.ID)
	if !st["main"].FinishedAt.Before(st["post"].StartedAt) {
		t.Errorf("main finished %v, post started %v", st["main"].FinishedAt, st["post"].StartedAt)
	}
	var types []string
	for _, e := range st["main"].Events {
		types = append(types, e.Type)
	}
	if got := strings.Join(types, ","); !strings.Contains(got, "Waiting for shutdown delay,Killing") {
		t.Errorf("main events %s", got)
	}
	status := a.mustDrover("alloc", "status", alloc.ID[:8])
	if !strings.Contains(status.stdout, "Waiting for shutdown_delay of 1s before killing the task") {
		t.Errorf("alloc status:\n%s", status.stdout)
	}
}
