package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/testutil"
)

// recoverConf is a non-dev agent (server and client) on dir/data with
// raw_exec enabled; the exec driver is on by default for a root agent.
func recoverConf(dir string) string {
	return fmt.Sprintf("data_dir = %q\nserver {\n enabled = true\n bootstrap_expect = 1\n}\nclient {\n enabled = true\n}\nplugin \"raw_exec\" {\n config {\n enabled = true\n }\n}\n", filepath.Join(dir, "data"))
}

// loopTask is a task block whose one long-lived process carries
// <marker>-<name> on its command line, so taskProcesses finds exactly that
// process.
func loopTask(name, driver, marker string) string {
	return fmt.Sprintf(`
    task %q {
      driver = %q
      config {
        command = "/bin/sh"
        args    = ["-c", "while true; do sleep 3600; done", "%s-%s"]
      }
      restart {
        attempts = 3
        interval = "10m"
        delay    = "1s"
        mode     = "fail"
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
`, name, driver, marker, name)
}

// loopJob writes a service job of one group whose tasks are given by
// name → driver.
func loopJob(t *testing.T, dir, id, marker string, tasks map[string]string) string {
	t.Helper()
	var body strings.Builder
	for name, driver := range tasks {
		body.WriteString(loopTask(name, driver, marker))
	}
	src := fmt.Sprintf("job %q {\n  datacenters = [\"dc1\"]\n  type = \"service\"\n  group \"g\" {\n%s  }\n}\n", id, body.String())
	return writeFile(t, dir, id+".hcl", src)
}

// taskStates is the part of an allocation these tests read.
type taskStates struct {
	ID           string
	ClientStatus string
	TaskStates   map[string]struct {
		State    string
		Restarts uint64
		Events   []struct{ Type string }
	}
}

func (a *agentProc) allocation(id string) taskStates {
	a.t.Helper()
	var al taskStates
	if err := a.getJSON("/v1/allocation/"+id, &al); err != nil {
		a.t.Fatal(err)
	}
	return al
}

// taskProcesses lists the live processes that carry marker, leaving out
// those whose parent carries it too: a forked child shows its parent's
// command line until it execs.
func taskProcesses(marker string) []int {
	pids := processesWithMarker(marker)
	var out []int
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 1 && slices.Contains(pids, atoi(fields[1])) {
			continue
		}
		out = append(out, pid)
	}
	return out
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// onlyPID waits until exactly one live process carries marker and returns
// it.
func onlyPID(t *testing.T, marker string) int {
	t.Helper()
	var pid int
	testutil.WaitFor(t, 20*time.Second, func() error {
		pids := taskProcesses(marker)
		if len(pids) != 1 {
			return fmt.Errorf("processes with %s: %v, want exactly one", marker, pids)
		}
		pid = pids[0]
		return nil
	})
	return pid
}

// waitLogCount waits until the agent's log holds s at least n times.
func (a *agentProc) waitLogCount(s string, n int) {
	a.t.Helper()
	testutil.WaitFor(a.t, 30*time.Second, func() error {
		if got := strings.Count(a.stderr.String(), s); got < n {
			return fmt.Errorf("%q logged %d times, want %d", s, got, n)
		}
		return nil
	})
}

// stopJobAtEnd stops the job through whichever agent is current when the
// test ends, so no task outlives the test (non-dev agents leave tasks
// running), and kills what is left if that failed.
func stopJobAtEnd(t *testing.T, current **agentProc, job, marker string) {
	t.Cleanup(func() {
		if a := *current; a != nil {
			a.drover("job", "stop", job)
			deadline := time.Now().Add(20 * time.Second)
			for len(processesWithMarker(marker)) > 0 && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
			}
		}
		for _, pid := range processesWithMarker(marker) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
}

// TestAgentKill9Reattaches kills the agent with SIGKILL ten times while a
// raw_exec and an exec task run, restarting it each time (and some times
// killing it again as soon as it answers, before its client is done
// reattaching): every restart reattaches to the same processes, so no task
// is restarted or started a second time.
func TestAgentKill9Reattaches(t *testing.T) {
	testutil.Require(t, testutil.Root)
	dir := t.TempDir()
	conf := recoverConf(dir)
	marker := fmt.Sprintf("e2e-kill9-%d", time.Now().UnixNano())
	jobFile := loopJob(t, dir, "kill9", marker, map[string]string{"raw": "raw_exec", "iso": "exec"})

	a := startAgent(t, dir, conf)
	stopJobAtEnd(t, &a, "kill9", marker)
	a.waitReady()
	a.mustDrover("job", "run", "-detach", jobFile)
	alloc := a.waitAllocStatus("kill9", "running")
	pids := map[string]int{}
	for _, task := range []string{"raw", "iso"} {
		pids[task] = onlyPID(t, marker+"-"+task)
	}

	for i := 1; i <= 10; i++ {
		if err := a.stop(syscall.SIGKILL); err == nil {
			t.Fatalf("kill %d: agent exited cleanly after SIGKILL", i)
		}
		a = startAgent(t, dir, conf)
		a.waitReady()
		if i%3 == 0 && i < 10 {
			// Kill this one as soon as it answers, wherever its client
			// is in reattaching.
			continue
		}
		// Both tasks reattached by this agent before the next kill.
		a.waitLogCount("reattached to task", 2)
		after := a.waitAllocStatus("kill9", "running")
		if after.ID != alloc.ID {
			t.Fatalf("restart %d: allocation replaced: %s before, %s after", i, alloc.ID, after.ID)
		}
		for task, pid := range pids {
			if got := taskProcesses(marker + "-" + task); len(got) != 1 || got[0] != pid {
				t.Fatalf("restart %d: task %s processes %v, want only %d", i, task, got, pid)
			}
		}
	}

	full := a.allocation(alloc.ID)
	for _, task := range []string{"raw", "iso"} {
		ts := full.TaskStates[task]
		started := 0
		for _, e := range ts.Events {
			if e.Type == "Started" {
				started++
			}
		}
		if ts.Restarts != 0 || started != 1 || ts.State != "running" {
			var raw any
			a.getJSON("/v1/allocation/"+alloc.ID, &raw)
			t.Errorf("task %s after ten SIGKILLs: restarts=%d, Started events=%d, state %s\nallocation: %v", task, ts.Restarts, started, ts.State, raw)
		}
		if !processAlive(pids[task]) {
			t.Errorf("task %s: process %d is gone", task, pids[task])
		}
	}
	a.mustDrover("job", "stop", "kill9")
	waitGone(t, marker)
}

// TestTruncatedStateFileReattaches truncates the client's state file while
// the agent is stopped. The next agent warns, moves the file aside, and
// reattaches to the raw_exec and exec tasks that still run, from their
// handle records: the same processes, no second copy, the allocation kept.
func TestTruncatedStateFileReattaches(t *testing.T) {
	testutil.Require(t, testutil.Root)
	dir := t.TempDir()
	conf := recoverConf(dir)
	marker := fmt.Sprintf("e2e-truncated-%d", time.Now().UnixNano())
	jobFile := loopJob(t, dir, "truncated", marker, map[string]string{"web": "raw_exec", "iso": "exec"})

	a := startAgent(t, dir, conf)
	stopJobAtEnd(t, &a, "truncated", marker)
	a.waitReady()
	a.mustDrover("job", "run", "-detach", jobFile)
	alloc := a.waitAllocStatus("truncated", "running")
	pids := map[string]int{"web": onlyPID(t, marker+"-web"), "iso": onlyPID(t, marker+"-iso")}
	if err := a.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("agent exit: %v", err)
	}
	stateFile := filepath.Join(dir, "data", "client", "state.db")
	if err := os.Truncate(stateFile, 100); err != nil {
		t.Fatal(err)
	}

	a = startAgent(t, dir, conf)
	a.waitReady()
	a.waitLogCount("reattached to task", 2)
	if !strings.Contains(a.stderr.String(), "client state file is unreadable") {
		t.Errorf("no warning about the unreadable state file:\n%s", a.stderr)
	}
	if aside, _ := filepath.Glob(stateFile + ".corrupt-*"); len(aside) != 1 {
		t.Errorf("moved-aside state files: %v", aside)
	}
	after := a.waitAllocStatus("truncated", "running")
	if after.ID != alloc.ID {
		t.Errorf("allocation replaced: %s before, %s after", alloc.ID, after.ID)
	}
	// Once the allocation is adopted it has its runner: nothing can start
	// it afresh any more.
	a.waitLogCount("reattached allocation missing from the local state", 1)
	full := a.allocation(alloc.ID)
	for task, pid := range pids {
		if got := taskProcesses(marker + "-" + task); len(got) != 1 || got[0] != pid {
			t.Errorf("task %s processes %v, want only %d", task, got, pid)
		}
		ts := full.TaskStates[task]
		started := 0
		for _, e := range ts.Events {
			if e.Type == "Started" {
				started++
			}
		}
		if ts.Restarts != 0 || started != 1 || ts.State != "running" {
			t.Errorf("task %s: restarts=%d, Started events=%d, state %s", task, ts.Restarts, started, ts.State)
		}
	}
	var allocs []allocStub
	if err := a.getJSON("/v1/job/truncated/allocations", &allocs); err != nil || len(allocs) != 1 {
		t.Errorf("job allocations %+v, %v: want the one", allocs, err)
	}
	a.mustDrover("job", "stop", "truncated")
	waitGone(t, marker)
}

// TestTaskKilledWhileAgentDownRestarts: a task that died while the agent
// was stopped is restarted by the next agent per its restart policy, and
// its restart count goes up by one.
func TestTaskKilledWhileAgentDownRestarts(t *testing.T) {
	dir := t.TempDir()
	conf := recoverConf(dir)
	marker := fmt.Sprintf("e2e-downkill-%d", time.Now().UnixNano())
	jobFile := loopJob(t, dir, "downkill", marker, map[string]string{"web": "raw_exec"})

	a := startAgent(t, dir, conf)
	stopJobAtEnd(t, &a, "downkill", marker)
	a.waitReady()
	a.mustDrover("job", "run", "-detach", jobFile)
	alloc := a.waitAllocStatus("downkill", "running")
	pid := onlyPID(t, marker+"-web")
	if err := a.stop(syscall.SIGKILL); err == nil {
		t.Fatal("agent exited cleanly after SIGKILL")
	}
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
		t.Fatalf("killing the task's process group: %v", err)
	}
	testutil.WaitFor(t, 10*time.Second, func() error {
		if processAlive(pid) {
			return fmt.Errorf("task %d still alive", pid)
		}
		return nil
	})

	a = startAgent(t, dir, conf)
	a.waitReady()
	testutil.WaitFor(t, 30*time.Second, func() error {
		ts := a.allocation(alloc.ID).TaskStates["web"]
		if ts.Restarts != 1 || ts.State != "running" {
			return fmt.Errorf("restarts=%d state=%s", ts.Restarts, ts.State)
		}
		return nil
	})
	if again := onlyPID(t, marker+"-web"); again == pid {
		t.Errorf("task process %d was not replaced", pid)
	}
	after := a.waitAllocStatus("downkill", "running")
	if after.ID != alloc.ID {
		t.Errorf("allocation replaced: %s before, %s after", alloc.ID, after.ID)
	}
	a.mustDrover("job", "stop", "downkill")
	waitGone(t, marker)
}
