package exec

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/cgroup"
	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/driver/drivertest"
	"github.com/drover-sh/drover/internal/testutil"
)

// agentEnv, set in this test binary's environment, makes it act as an
// agent instead of running tests: start the task config the variable
// names, print the handle, and wait to be killed.
const agentEnv = "DROVER_EXEC_TEST_AGENT_TASK"

func TestMain(m *testing.M) {
	if path := os.Getenv(agentEnv); path != "" {
		if err := runAgent(path); err != nil {
			fmt.Fprintln(os.Stderr, "test agent:", err)
			os.Exit(1)
		}
		select {} // until SIGKILL
	}
	os.Exit(m.Run())
}

// agentJob is what a test agent process is told to do: start a task, or
// recover one from its handle.
type agentJob struct {
	Start   *driver.TaskConfig `json:"start,omitempty"`
	Recover *driver.TaskHandle `json:"recover,omitempty"`
}

func runAgent(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	d, err := New(nil, Config{})
	if err != nil {
		return err
	}
	var job agentJob
	if err := json.Unmarshal(b, &job); err != nil {
		return err
	}
	if job.Recover != nil { // reattach to the task as a restarted agent does
		if err := d.RecoverTask(job.Recover); err != nil {
			return err
		}
		return json.NewEncoder(os.Stdout).Encode(job.Recover)
	}
	started, err := d.StartTask(job.Start)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(started)
}

// TestRecoverAfterAgentKilled: an agent process killed with SIGKILL leaves
// its task running; a new driver reattaches to it without restarting it,
// and can stop it.
func TestRecoverAfterAgentKilled(t *testing.T) {
	testutil.Require(t, testutil.Root)
	cfg := drivertest.NewTaskConfig(t, "survivor", map[string]any{"command": "/bin/sh", "args": []any{"-c",
		`echo $$ > /local/pid; while true; do echo tick >> /local/ticks; sleep 0.02; done`}})
	h := startInKilledAgent(t, cfg)

	ticks := filepath.Join(cfg.TaskDir, "local", "ticks")
	var pidBefore []byte
	testutil.WaitFor(t, 10*time.Second, func() error {
		pidBefore, _ = os.ReadFile(filepath.Join(cfg.TaskDir, "local", "pid"))
		if len(pidBefore) == 0 {
			return errors.New("the task has not written its pid yet")
		}
		return nil
	})
	d := newTestDriver(t, Config{})
	if err := d.RecoverTask(h); err != nil {
		t.Fatalf("RecoverTask after the agent was killed: %v", err)
	}
	t.Cleanup(func() {
		if err := d.DestroyTask(cfg.ID, true); err != nil && !errors.Is(err, driver.ErrTaskNotFound) {
			t.Error(err)
		}
	})
	st, err := d.InspectTask(cfg.ID)
	if err != nil || st.State != driver.TaskStateRunning {
		t.Fatalf("recovered task %+v, %v; want running", st, err)
	}
	// Still the same run: it goes on ticking, and was never restarted.
	n0 := fileSize(ticks)
	testutil.WaitFor(t, 10*time.Second, func() error {
		if n := fileSize(ticks); n <= n0 {
			return fmt.Errorf("ticks file stays at %d bytes: the task stopped with the agent", n)
		}
		return nil
	})
	if pidAfter, _ := os.ReadFile(filepath.Join(cfg.TaskDir, "local", "pid")); string(pidAfter) != string(pidBefore) || len(pidBefore) == 0 {
		t.Fatalf("task pid file %q became %q: the task was restarted", pidBefore, pidAfter)
	}
	var pidOut strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if res, err := d.ExecTask(ctx, cfg.ID, ExecOptions{Command: []string{"cat", "/local/pid"}, Stdout: &pidOut}); err != nil || !res.Successful() || pidOut.String() != string(pidBefore) {
		t.Fatalf("exec in the recovered task = %+v, %v, %q; want its pid file", res, err, pidOut.String())
	}
	if _, err := d.Usage(cfg.ID); err != nil {
		t.Fatalf("TaskStats of a recovered task: %v", err)
	}
	if err := d.StopTask(cfg.ID, time.Second, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	res := wait(t, d, cfg.ID)
	// The shell died of the SIGTERM its init forwarded; the init left
	// that in its exit file for the driver that is not its parent.
	if res.Signal != int(syscall.SIGTERM) || res.Err != nil {
		t.Fatalf("recovered task's exit %+v, want killed by SIGTERM", res)
	}
	cg, _ := d.cgroups()
	if _, err := cg.Open(cgroup.SafeName(h.Config.ID)); err == nil {
		t.Fatal("the stopped task's cgroup is still there")
	}
}

// startInKilledAgent starts cfg's task in a separate agent process, which
// it then kills with SIGKILL, and returns the task's handle.
func startInKilledAgent(t *testing.T, cfg *driver.TaskConfig) *driver.TaskHandle {
	t.Helper()
	return inKilledAgent(t, agentJob{Start: cfg})
}

// inKilledAgent runs an agent process on job, kills it with SIGKILL, and
// returns the handle it printed.
func inKilledAgent(t *testing.T, job agentJob) *driver.TaskHandle {
	t.Helper()
	spec := filepath.Join(t.TempDir(), "task.json")
	b, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spec, b, 0o600); err != nil {
		t.Fatal(err)
	}
	agent := osexec.Command(os.Args[0])
	agent.Env = append(os.Environ(), agentEnv+"="+spec)
	out, err := agent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	agent.Stderr = os.Stderr
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	var h driver.TaskHandle
	if err := json.NewDecoder(bufio.NewReader(out)).Decode(&h); err != nil {
		agent.Process.Kill()
		agent.Wait()
		t.Fatalf("agent printed no handle: %v", err)
	}
	if err := agent.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	agent.Wait()

	return &h
}

// TestRecoveredExit: a recovered task's exit is known: the code it exited
// with, or SIGKILL when the driver killed it.
func TestRecoveredExit(t *testing.T) {
	testutil.Require(t, testutil.Root)
	cfg := drivertest.NewTaskConfig(t, "batch", map[string]any{"command": "/bin/sh", "args": []any{"-c",
		`while [ ! -e /local/done ]; do sleep 0.02; done; exit 5`}})
	h := startInKilledAgent(t, cfg)
	d := newTestDriver(t, Config{})
	if err := d.RecoverTask(h); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.DestroyTask(cfg.ID, true) })
	if err := os.WriteFile(filepath.Join(cfg.TaskDir, "local", "done"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if res := wait(t, d, cfg.ID); res.ExitCode != 5 || res.Signal != 0 || res.Err != nil {
		t.Fatalf("recovered task's exit %+v, want code 5", res)
	}

	cfg2 := drivertest.NewTaskConfig(t, "stuck", map[string]any{"command": "sleep", "args": []any{"1000"}})
	h2 := startInKilledAgent(t, cfg2)
	if err := d.RecoverTask(h2); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.DestroyTask(cfg2.ID, true) })
	if err := d.StopTask(cfg2.ID, time.Second, "SIGKILL"); err != nil {
		t.Fatal(err)
	}
	if res := wait(t, d, cfg2.ID); res.Signal != int(syscall.SIGKILL) || res.Err != nil {
		t.Fatalf("killed recovered task's exit %+v, want SIGKILL", res)
	}
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// TestAgentKilledTenTimes: ten agents in a row reattach to a task and are
// killed with SIGKILL; the task runs on, never restarted.
func TestAgentKilledTenTimes(t *testing.T) {
	testutil.Require(t, testutil.Root)
	cfg := drivertest.NewTaskConfig(t, "steady", map[string]any{"command": "/bin/sh", "args": []any{"-c",
		`echo $$ > /local/pid; echo start >> /local/starts; exec sleep 1000`}})
	h := startInKilledAgent(t, cfg)
	for i := 0; i < 9; i++ {
		h = inKilledAgent(t, agentJob{Recover: h})
	}
	d := newTestDriver(t, Config{})
	if err := d.RecoverTask(h); err != nil {
		t.Fatalf("RecoverTask after ten killed agents: %v", err)
	}
	t.Cleanup(func() { d.DestroyTask(cfg.ID, true) })
	if st, err := d.InspectTask(cfg.ID); err != nil || st.State != driver.TaskStateRunning {
		t.Fatalf("task after ten killed agents: %+v, %v; want running", st, err)
	}
	starts := filepath.Join(cfg.TaskDir, "local", "starts")
	testutil.WaitFor(t, 10*time.Second, func() error {
		if fileSize(starts) == 0 {
			return errors.New("the task has not started yet")
		}
		return nil
	})
	if b, err := os.ReadFile(starts); err != nil || string(b) != "start\n" {
		t.Fatalf("the task started %q times, want once", b)
	}
}

// TestCleanupTaskFindsUnrecordedStart: the next agent finds a task started
// by a killed agent whose handle it never got, by the config alone, and
// kills it with its cgroup; finding nothing is no error.
func TestCleanupTaskFindsUnrecordedStart(t *testing.T) {
	testutil.Require(t, testutil.Root)
	cfg := drivertest.NewTaskConfig(t, "lost", map[string]any{"command": "sleep", "args": []any{"1000"}})
	h := startInKilledAgent(t, cfg)
	var st taskState
	if err := json.Unmarshal(h.DriverState, &st); err != nil {
		t.Fatal(err)
	}
	d := newTestDriver(t, Config{})
	if err := d.CleanupTask(cfg); err != nil {
		t.Fatal(err)
	}
	if driver.SameProcessAlive(st.Pid, st.StartTime) {
		t.Fatalf("init %d survived CleanupTask", st.Pid)
	}
	cg, err := d.cgroups()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cg.Open(st.Cgroup); err == nil {
		t.Fatalf("cgroup %s still exists after CleanupTask", st.Cgroup)
	}
	if err := d.CleanupTask(cfg); err != nil {
		t.Fatalf("second CleanupTask: %v", err)
	}
}
