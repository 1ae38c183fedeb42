package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/testutil"
)

// helloJob returns a raw_exec job file whose task records its PID, starts a
// child that must die with it, and prints a line naming its allocation every
// 200ms. marker appears in the command lines of both processes.
func helloJob(t *testing.T, dir, id, marker string) (path, pidFile string) {
	pidFile = filepath.Join(dir, marker+".pid")
	script := fmt.Sprintf(`echo $$ > %s; /bin/sh -c "sleep 1000" %s-child & while true; do echo "hello from $NOMAD_ALLOC_ID"; echo "err line" >&2; sleep 0.2; done`, pidFile, marker)
	src := fmt.Sprintf(`job %q {
  datacenters = ["dc1"]
  type        = "service"

  group "web" {
    count = 1

    task "hello" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", %q, %q]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, id, script, marker)
	path = filepath.Join(dir, id+".hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, pidFile
}

type allocStub struct {
	ID           string
	ClientStatus string
	NodeID       string
}

// waitAllocStatus waits until the job has an allocation in status and
// returns it.
func (a *agentProc) waitAllocStatus(jobID, status string) allocStub {
	a.t.Helper()
	var found allocStub
	testutil.WaitFor(a.t, 20*time.Second, func() error {
		var allocs []allocStub
		if err := a.getJSON("/v1/job/"+jobID+"/allocations", &allocs); err != nil {
			return err
		}
		for _, al := range allocs {
			if al.ClientStatus == status {
				found = al
				return nil
			}
		}
		return fmt.Errorf("no %s allocation among %+v", status, allocs)
	})
	return found
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	var pid int
	testutil.WaitFor(t, 10*time.Second, func() error {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err
	})
	return pid
}

func waitGone(t *testing.T, marker string) {
	t.Helper()
	testutil.WaitFor(t, 20*time.Second, func() error {
		if pids := processesWithMarker(marker); len(pids) > 0 {
			return fmt.Errorf("processes still running: %v", pids)
		}
		return nil
	})
}

// TestJobLifecycle walks the quick start: run a job, watch it run, read its
// logs, inspect it, stop it and check that its processes are gone.
func TestJobLifecycle(t *testing.T) {
	a := startAgent(t, "", "", "-dev")
	a.waitReady()
	marker := fmt.Sprintf("e2e-life-%d", time.Now().UnixNano())
	jobFile, pidFile := helloJob(t, a.dir, "hello", marker)

	run := a.mustDrover("job", "run", jobFile)
	for _, want := range []string{"Monitoring evaluation", `Allocation "`, `finished with status "complete"`} {
		if !strings.Contains(run.stdout, want) {
			t.Errorf("job run output lacks %q:\n%s", want, run.stdout)
		}
	}
	alloc := a.waitAllocStatus("hello", "running")
	pid := readPID(t, pidFile)
	if !processAlive(pid) {
		t.Fatalf("task process %d is not running", pid)
	}

	list := a.mustDrover("job", "status")
	if !regexp.MustCompile(`(?m)^hello\s+service\s+50\s+running`).MatchString(list.stdout) {
		t.Errorf("job status list:\n%s", list.stdout)
	}
	st := a.mustDrover("job", "status", "hello")
	for _, want := range []string{"web", alloc.ID[:8], "running"} {
		if !strings.Contains(st.stdout, want) {
			t.Errorf("job status hello lacks %q:\n%s", want, st.stdout)
		}
	}

	// A unique prefix is enough, as in Nomad.
	as := a.mustDrover("alloc", "status", alloc.ID[:8])
	for _, want := range []string{`Task "hello" is "running"`, "Received", "Task Setup", "Started"} {
		if !strings.Contains(as.stdout, want) {
			t.Errorf("alloc status lacks %q:\n%s", want, as.stdout)
		}
	}
	asJSON := a.mustDrover("alloc", "status", "-json", alloc.ID[:8])
	if !strings.Contains(asJSON.stdout, `"ID": "`+alloc.ID+`"`) {
		t.Errorf("alloc status -json:\n%s", asJSON.stdout)
	}

	testutil.WaitFor(t, 10*time.Second, func() error {
		logs := a.drover("alloc", "logs", alloc.ID[:8], "hello")
		if !strings.Contains(logs.stdout, "hello from "+alloc.ID) {
			return fmt.Errorf("stdout logs (exit %d): %q %s", logs.code, logs.stdout, logs.stderr)
		}
		errLogs := a.drover("alloc", "logs", "-stderr", alloc.ID[:8])
		if !strings.Contains(errLogs.stdout, "err line") {
			return fmt.Errorf("stderr logs (exit %d): %q %s", errLogs.code, errLogs.stdout, errLogs.stderr)
		}
		return nil
	})

	ns := a.mustDrover("node", "status")
	if !strings.Contains(ns.stdout, "ready") || !strings.Contains(ns.stdout, alloc.NodeID[:8]) {
		t.Errorf("node status:\n%s", ns.stdout)
	}
	one := a.mustDrover("node", "status", alloc.NodeID[:8])
	if !strings.Contains(one.stdout, alloc.ID[:8]) {
		t.Errorf("node status <id> does not list the allocation:\n%s", one.stdout)
	}

	a.mustDrover("job", "stop", "hello")
	waitGone(t, marker)
	if processAlive(pid) {
		t.Errorf("task process %d survived job stop", pid)
	}
	a.waitAllocStatus("hello", "complete")

	a.mustDrover("job", "stop", "-purge", "hello")
	testutil.WaitFor(t, 10*time.Second, func() error {
		var job map[string]any
		err := a.getJSON("/v1/job/hello", &job)
		if err == nil {
			return fmt.Errorf("job still present after purge")
		}
		if !strings.Contains(err.Error(), "404") {
			return err
		}
		return nil
	})

	if err := a.stop(syscall.SIGTERM); err != nil {
		t.Errorf("agent exit after SIGTERM: %v", err)
	}
}

// TestDevShutdownStopsTasks: SIGTERM to a -dev agent stops its tasks and the
// agent exits 0.
func TestDevShutdownStopsTasks(t *testing.T) {
	a := startAgent(t, "", "", "-dev")
	a.waitReady()
	marker := fmt.Sprintf("e2e-term-%d", time.Now().UnixNano())
	jobFile, pidFile := helloJob(t, a.dir, "term", marker)
	a.mustDrover("job", "run", "-detach", jobFile)
	a.waitAllocStatus("term", "running")
	pid := readPID(t, pidFile)

	if err := a.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("agent exit after SIGTERM: %v\n%s", err, a.stderr)
	}
	waitGone(t, marker)
	if processAlive(pid) {
		t.Errorf("task %d survived the dev agent's shutdown", pid)
	}
}
