package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/testutil"
)

// trapJob returns a raw_exec job file whose task prints "started" and then
// "got-usr1" each time it receives SIGUSR1.
func trapJob(t *testing.T, dir, id, marker string) string {
	script := `trap 'echo got-usr1' USR1; echo "started $NOMAD_ALLOC_ID"; while true; do sleep 0.1; done`
	src := fmt.Sprintf(`job %q {
  datacenters = ["dc1"]

  group "web" {
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
	path := filepath.Join(dir, id+".hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// controlAlloc is what the test reads of an allocation.
type controlAlloc struct {
	ID, DesiredStatus, ClientStatus, PreviousAllocation string
	TaskStates                                          map[string]struct {
		State    string
		Restarts int
		Events   []struct{ Type string }
	}
}

func (c controlAlloc) events(task, typ string) int {
	n := 0
	for _, e := range c.TaskStates[task].Events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// TestAllocSignalRestartStop drives the allocation controls on a -dev
// agent: a signal reaches the task's trap (seen in its log), a restart
// starts the task again in the same allocation, bad input is refused
// naming what was wrong, and a stop replaces the allocation.
func TestAllocSignalRestartStop(t *testing.T) {
	a := startAgent(t, "", "", "-dev")
	a.waitReady()
	marker := fmt.Sprintf("e2e-control-%d", time.Now().UnixNano())
	a.mustDrover("job", "run", "-detach", trapJob(t, a.dir, "trap", marker))
	alloc := a.waitAllocStatus("trap", "running")
	prefix := alloc.ID[:8]
	waitLog := func(want string, count int) {
		t.Helper()
		testutil.WaitFor(t, 20*time.Second, func() error {
			logs := a.drover("alloc", "logs", prefix, "hello")
			if n := strings.Count(logs.stdout, want); n != count {
				return fmt.Errorf("log has %q %d times, want %d (exit %d): %q %s", want, n, count, logs.code, logs.stdout, logs.stderr)
			}
			return nil
		})
	}
	read := func() controlAlloc {
		t.Helper()
		var c controlAlloc
		if err := a.getJSON("/v1/allocation/"+alloc.ID, &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	waitLog("started "+alloc.ID, 1)

	a.mustDrover("alloc", "signal", "-s", "SIGUSR1", "-task", "hello", prefix)
	waitLog("got-usr1", 1)
	testutil.WaitFor(t, 20*time.Second, func() error {
		// The client reports task events to the servers in batches.
		if c := read(); c.events("hello", "Signaling") != 1 || c.events("hello", "Started") != 1 {
			return fmt.Errorf("after the signal: events %+v", c.TaskStates["hello"].Events)
		}
		return nil
	})

	a.mustDrover("alloc", "restart", prefix)
	testutil.WaitFor(t, 20*time.Second, func() error {
		c := read()
		if c.events("hello", "Started") != 2 || c.TaskStates["hello"].State != "running" || c.ClientStatus != "running" {
			return fmt.Errorf("not restarted yet: %+v", c.TaskStates["hello"])
		}
		return nil
	})
	waitLog("started "+alloc.ID, 2) // the same allocation, started again
	if c := read(); c.TaskStates["hello"].Restarts != 1 || c.events("hello", "Restart Signaled") != 1 {
		t.Errorf("after the restart: %+v", c.TaskStates["hello"])
	}

	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"alloc", "restart", "-task", "nope", prefix}, `"nope"`},
		{[]string{"alloc", "signal", "-s", "SIGNOPE", prefix}, "SIGNOPE"},
		{[]string{"alloc", "stop", "ffffffff"}, "no allocation"},
	} {
		r := a.drover(bad.args...)
		if r.code != 1 || !strings.Contains(r.stderr, bad.want) {
			t.Errorf("drover %s: exit %d, stderr %q; want 1 naming %s", strings.Join(bad.args, " "), r.code, r.stderr, bad.want)
		}
	}

	stop := a.mustDrover("alloc", "stop", prefix)
	if !strings.Contains(stop.stdout, "Monitoring evaluation") {
		t.Errorf("alloc stop output:\n%s", stop.stdout)
	}
	testutil.WaitFor(t, 20*time.Second, func() error {
		var allocs []controlAlloc
		if err := a.getJSON("/v1/job/trap/allocations", &allocs); err != nil {
			return err
		}
		var old, repl *controlAlloc
		for i := range allocs {
			switch {
			case allocs[i].ID == alloc.ID:
				old = &allocs[i]
			case allocs[i].ClientStatus == "running":
				repl = &allocs[i]
			}
		}
		if old == nil || old.DesiredStatus != "stop" || old.ClientStatus != "complete" || repl == nil {
			return fmt.Errorf("not replaced yet: %+v", allocs)
		}
		var full controlAlloc
		if err := a.getJSON("/v1/allocation/"+repl.ID, &full); err != nil {
			return err
		}
		if full.PreviousAllocation != alloc.ID {
			return fmt.Errorf("replacement %s follows %q, want %s", repl.ID, full.PreviousAllocation, alloc.ID)
		}
		return nil
	})
}

// TestAllocControlForwarded runs a server-only agent and a client-only
// agent: restart and signal requests sent to the server's HTTP API reach the
// task on the client's node.
func TestAllocControlForwarded(t *testing.T) {
	dir := t.TempDir()
	a := startAgent(t, dir, fmt.Sprintf("data_dir = %q\nserver {\n  enabled = true\n  bootstrap_expect = 1\n}\n", filepath.Join(dir, "a")))
	b := startAgent(t, dir, fmt.Sprintf("data_dir = %q\nclient {\n  enabled = true\n  servers = [%q]\n}\nplugin \"raw_exec\" {\n  config {\n    enabled = true\n  }\n}\n",
		filepath.Join(dir, "b"), a.rpcAddr))
	a.waitReady()
	marker := fmt.Sprintf("e2e-forward-%d", time.Now().UnixNano())
	a.mustDrover("job", "run", "-detach", trapJob(t, dir, "fwd", marker))
	// The client agent is not a -dev one: its tasks outlive it by design,
	// so the job is stopped before the agents are (cleanups run last
	// first).
	t.Cleanup(func() {
		a.drover("job", "stop", "fwd")
		waitGone(t, marker)
	})
	alloc := a.waitAllocStatus("fwd", "running")
	prefix := alloc.ID[:8]

	a.mustDrover("alloc", "signal", "-s", "USR1", prefix, "hello")
	testutil.WaitFor(t, 20*time.Second, func() error {
		// The logs live on b's node.
		logs := b.drover("alloc", "logs", prefix)
		if !strings.Contains(logs.stdout, "got-usr1") {
			return fmt.Errorf("no trace of the signal in the log (exit %d): %q %s", logs.code, logs.stdout, logs.stderr)
		}
		return nil
	})
	a.mustDrover("alloc", "restart", "-task", "hello", prefix)
	testutil.WaitFor(t, 20*time.Second, func() error {
		var c controlAlloc
		if err := a.getJSON("/v1/allocation/"+alloc.ID, &c); err != nil {
			return err
		}
		if c.events("hello", "Started") != 2 || c.TaskStates["hello"].State != "running" {
			return fmt.Errorf("not restarted yet: %+v", c.TaskStates["hello"])
		}
		return nil
	})
	if r := a.drover("alloc", "restart", "-task", "nope", prefix); r.code != 1 || !strings.Contains(r.stderr, `"nope"`) {
		t.Errorf("unknown task through the server: exit %d, stderr %q", r.code, r.stderr)
	}
}
