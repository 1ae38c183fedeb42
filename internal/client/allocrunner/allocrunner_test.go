package allocrunner

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/clientstate"
	"github.com/drover-sh/drover/internal/client/internal/fakedriver"
	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/testutil"
)

// recorder keeps the updates an alloc runner reports.
type recorder struct {
	mu      sync.Mutex
	updates []*drover.Allocation
}

func (r *recorder) add(a *drover.Allocation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates = append(r.updates, a)
}

func (r *recorder) last() *drover.Allocation {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.updates) == 0 {
		return nil
	}
	return r.updates[len(r.updates)-1]
}

func (r *recorder) statuses() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, u := range r.updates {
		if len(out) == 0 || out[len(out)-1] != u.ClientStatus {
			out = append(out, u.ClientStatus)
		}
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func testAlloc(jobType string, policy *drover.RestartPolicy, tasks ...*drover.Task) *drover.Allocation {
	for _, t := range tasks {
		if t.Driver == "" {
			t.Driver = "fake"
		}
		t.RestartPolicy = policy
		t.KillTimeout = time.Second
	}
	job := &drover.Job{ID: "j", Name: "j", Type: jobType, Namespace: "default", Region: "global",
		TaskGroups: []*drover.TaskGroup{{Name: "g", Count: 1, Tasks: tasks}}}
	return &drover.Allocation{ID: drover.GenerateID(), Name: "j.g[0]", Namespace: "default", JobID: "j", Job: job,
		TaskGroup: "g", DesiredStatus: drover.AllocDesiredStatusRun, ClientStatus: drover.AllocClientStatusPending}
}

type harness struct {
	ar    *AllocRunner
	rec   *recorder
	drv   *fakedriver.Driver
	state clientstate.State
	root  string
}

func newHarness(t *testing.T, alloc *drover.Allocation) *harness {
	t.Helper()
	h := &harness{rec: &recorder{}, drv: fakedriver.New("fake"), state: clientstate.NewMemory(), root: testutil.AllocRoot(t)}
	ar, err := New(Config{Alloc: alloc, Drivers: driver.NewRegistry(h.drv), AllocRoot: h.root, State: h.state,
		OnUpdate: h.rec.add, LogRotateInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	h.ar = ar
	t.Cleanup(func() { ar.Kill() })
	return h
}

func (h *harness) waitStatus(t *testing.T, status string) *drover.Allocation {
	t.Helper()
	waitFor(t, "client status "+status, func() bool {
		l := h.rec.last()
		return l != nil && l.ClientStatus == status
	})
	return h.rec.last()
}

func eventTypes(s *drover.TaskState) []string {
	var out []string
	for _, e := range s.Events {
		out = append(out, e.Type)
	}
	return out
}

func hasEvent(s *drover.TaskState, typ string) *drover.TaskEvent {
	for _, e := range s.Events {
		if e.Type == typ {
			return e
		}
	}
	return nil
}

var noRestart = &drover.RestartPolicy{Attempts: 0, Interval: time.Minute, Delay: time.Millisecond, Mode: drover.RestartModeFail}

func TestBatchTaskExitsZeroComplete(t *testing.T) {
	alloc := testAlloc(drover.JobTypeBatch, noRestart, &drover.Task{Name: "work",
		Config: map[string]any{"run_for": "10ms", "exit_code": 0, "stdout": "hello ${NOMAD_TASK_NAME}"}})
	h := newHarness(t, alloc)
	h.ar.Run()
	got := h.waitStatus(t, drover.AllocClientStatusComplete)
	ts := got.TaskStates["work"]
	if ts.State != drover.TaskStateDead || ts.Failed || ts.Restarts != 0 {
		t.Fatalf("task state %+v", ts)
	}
	want := []string{drover.TaskReceived, drover.TaskSetup, drover.TaskStarted, drover.TaskTerminated}
	if got := eventTypes(ts); !equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	if st := h.rec.statuses(); !equal(st, []string{"pending", "running", "complete"}) {
		t.Fatalf("statuses %v", st)
	}
	dir := filepath.Join(h.root, alloc.ID)
	for _, d := range []string{"alloc/data", "alloc/logs", "alloc/tmp", "work/local", "work/tmp"} {
		if _, err := os.Stat(filepath.Join(dir, d)); err != nil {
			t.Errorf("missing %s: %v", d, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "work/secrets")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("secrets dir: %v %v", fi, err)
	}
	out, _ := os.ReadFile(filepath.Join(dir, "alloc/logs/work.stdout"))
	if string(out) != "hello work" {
		t.Errorf("stdout = %q (config interpolated?)", out)
	}
}

func TestNonRecoverableStartFails(t *testing.T) {
	alloc := testAlloc(drover.JobTypeService, drover.DefaultRestartPolicy(drover.JobTypeService),
		&drover.Task{Name: "web", Config: map[string]any{"start_error": "command not found"}})
	h := newHarness(t, alloc)
	h.ar.Run()
	got := h.waitStatus(t, drover.AllocClientStatusFailed)
	ts := got.TaskStates["web"]
	ev := hasEvent(ts, drover.TaskDriverFailure)
	if ev == nil || ev.DriverError != "command not found" || !ev.FailsTask {
		t.Fatalf("driver failure event %+v in %v", ev, eventTypes(ts))
	}
	if !ts.Failed || ts.Restarts != 0 || h.drv.Starts("web") != 0 {
		t.Fatalf("state %+v starts %d", ts, h.drv.Starts("web"))
	}
}

func TestValidationFailure(t *testing.T) {
	alloc := testAlloc(drover.JobTypeService, noRestart, &drover.Task{Name: "web", Config: map[string]any{"bad": 1}})
	h := newHarness(t, alloc)
	h.ar.Run()
	got := h.waitStatus(t, drover.AllocClientStatusFailed)
	if hasEvent(got.TaskStates["web"], drover.TaskFailedValidation) == nil {
		t.Fatalf("events %v", eventTypes(got.TaskStates["web"]))
	}
}

func TestRestartsPerPolicyThenFails(t *testing.T) {
	policy := &drover.RestartPolicy{Attempts: 2, Interval: time.Hour, Delay: time.Millisecond, Mode: drover.RestartModeFail}
	alloc := testAlloc(drover.JobTypeBatch, policy, &drover.Task{Name: "work",
		Config: map[string]any{"run_for": "1ms", "exit_code": 3}})
	h := newHarness(t, alloc)
	h.ar.Run()
	got := h.waitStatus(t, drover.AllocClientStatusFailed)
	ts := got.TaskStates["work"]
	if ts.Restarts != 2 || h.drv.Starts("work") != 3 || !ts.Failed {
		t.Fatalf("restarts %d starts %d failed %v", ts.Restarts, h.drv.Starts("work"), ts.Failed)
	}
	last := ts.Events[len(ts.Events)-1]
	if last.Type != drover.TaskNotRestarting {
		t.Fatalf("last event %s", last.Type)
	}
	term := hasEvent(ts, drover.TaskTerminated)
	if term.ExitCode != 3 || term.Details["exit_code"] != "3" {
		t.Fatalf("terminated event %+v", term)
	}
	if r := hasEvent(ts, drover.TaskRestarting); r == nil || r.StartDelay != int64(time.Millisecond) {
		t.Fatalf("restarting event %+v", r)
	}
	if len(ts.Events) > drover.MaxTaskEvents {
		t.Fatalf("%d events kept", len(ts.Events))
	}
}

func TestRecoverableStartErrorRestarts(t *testing.T) {
	policy := &drover.RestartPolicy{Attempts: 1, Interval: time.Hour, Delay: time.Millisecond, Mode: drover.RestartModeFail}
	alloc := testAlloc(drover.JobTypeService, policy, &drover.Task{Name: "web",
		Config: map[string]any{"start_error": "busy", "start_error_recoverable": true}})
	h := newHarness(t, alloc)
	h.ar.Run()
	got := h.waitStatus(t, drover.AllocClientStatusFailed)
	if ts := got.TaskStates["web"]; ts.Restarts != 1 {
		t.Fatalf("restarts %d, events %v", ts.Restarts, eventTypes(ts))
	}
}

func TestStopOnDesiredStatusStop(t *testing.T) {
	alloc := testAlloc(drover.JobTypeService, noRestart, &drover.Task{Name: "web", Config: map[string]any{}},
		&drover.Task{Name: "side", Config: map[string]any{}})
	h := newHarness(t, alloc)
	h.ar.Run()
	// The allocation runs once one task does; both must run to be killed.
	waitFor(t, "both tasks running", func() bool { return h.drv.Running("web")+h.drv.Running("side") == 2 })
	stop := *alloc
	stop.DesiredStatus, stop.DesiredDescription = drover.AllocDesiredStatusStop, "job stopped"
	h.ar.Update(&stop)
	got := h.waitStatus(t, drover.AllocClientStatusComplete)
	for _, name := range []string{"web", "side"} {
		ts := got.TaskStates[name]
		k := hasEvent(ts, drover.TaskKilling)
		if k == nil || k.KillReason != "job stopped" || k.KillTimeout != time.Second || hasEvent(ts, drover.TaskKilled) == nil {
			t.Fatalf("%s events %v", name, eventTypes(ts))
		}
		if ts.Failed || ts.Restarts != 0 {
			t.Fatalf("%s state %+v", name, ts)
		}
	}
	if h.drv.Running("web")+h.drv.Running("side") != 0 {
		t.Fatal("tasks still running")
	}
}

func TestLeaderExitStopsOthers(t *testing.T) {
	alloc := testAlloc(drover.JobTypeBatch, noRestart,
		&drover.Task{Name: "main", Leader: true, Config: map[string]any{"run_for": "20ms"}},
		&drover.Task{Name: "helper", Config: map[string]any{}})
	h := newHarness(t, alloc)
	h.ar.Run()
	got := h.waitStatus(t, drover.AllocClientStatusComplete)
	if hasEvent(got.TaskStates["helper"], drover.TaskKilled) == nil {
		t.Fatalf("helper events %v", eventTypes(got.TaskStates["helper"]))
	}
}

func TestRestoreReattachesWithoutRestart(t *testing.T) {
	alloc := testAlloc(drover.JobTypeService, noRestart, &drover.Task{Name: "web", Config: map[string]any{}})
	h := newHarness(t, alloc)
	h.ar.Run()
	h.waitStatus(t, drover.AllocClientStatusRunning)
	h.ar.Shutdown()
	if h.drv.Running("web") != 1 {
		t.Fatal("shutdown stopped the task")
	}
	rec := &recorder{}
	ar2, err := New(Config{Alloc: alloc, Drivers: driver.NewRegistry(h.drv), AllocRoot: h.root, State: h.state, OnUpdate: rec.add})
	if err != nil {
		t.Fatal(err)
	}
	defer ar2.Kill()
	if err := ar2.Restore(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "running", func() bool { return ar2.Alloc().ClientStatus == drover.AllocClientStatusRunning })
	ts := ar2.Alloc().TaskStates["web"]
	started := 0
	for _, e := range ts.Events {
		if e.Type == drover.TaskStarted {
			started++
		}
	}
	if started != 1 || h.drv.Starts("web") != 1 || ts.Restarts != 0 {
		t.Fatalf("Started events %d, starts %d, restarts %d", started, h.drv.Starts("web"), ts.Restarts)
	}
	want := []string{drover.TaskReceived, drover.TaskSetup, drover.TaskStarted}
	if got := eventTypes(ts); !equal(got, want) {
		t.Fatalf("events after reattach %v, want %v", got, want)
	}
	// The reattached task's exit is still observed.
	h.drv.Exit("web", 1)
	waitFor(t, "failed", func() bool { return ar2.Alloc().ClientStatus == drover.AllocClientStatusFailed })
}

func TestRestoreRestartsGoneTask(t *testing.T) {
	policy := &drover.RestartPolicy{Attempts: 3, Interval: time.Hour, Delay: time.Millisecond, Mode: drover.RestartModeFail}
	alloc := testAlloc(drover.JobTypeService, policy, &drover.Task{Name: "web", Config: map[string]any{}})
	h := newHarness(t, alloc)
	h.ar.Run()
	h.waitStatus(t, drover.AllocClientStatusRunning)
	h.ar.Shutdown()
	h.drv.Forget()
	ar2, err := New(Config{Alloc: alloc, Drivers: driver.NewRegistry(h.drv), AllocRoot: h.root, State: h.state})
	if err != nil {
		t.Fatal(err)
	}
	defer ar2.Kill()
	ar2.Restore()
	waitFor(t, "restart", func() bool {
		return h.drv.Starts("web") == 2 && ar2.Alloc().ClientStatus == drover.AllocClientStatusRunning
	})
	if ts := ar2.Alloc().TaskStates["web"]; ts.Restarts != 1 {
		t.Fatalf("restarts %d", ts.Restarts)
	}
}

func TestMissingDriver(t *testing.T) {
	alloc := testAlloc(drover.JobTypeService, noRestart, &drover.Task{Name: "web", Driver: "docker"})
	h := newHarness(t, alloc)
	h.ar.Run()
	got := h.waitStatus(t, drover.AllocClientStatusFailed)
	if hasEvent(got.TaskStates["web"], drover.TaskDriverFailure) == nil {
		t.Fatalf("events %v", eventTypes(got.TaskStates["web"]))
	}
}

func TestDestroyRemovesDir(t *testing.T) {
	alloc := testAlloc(drover.JobTypeService, noRestart, &drover.Task{Name: "web", Config: map[string]any{}})
	h := newHarness(t, alloc)
	h.ar.Run()
	h.waitStatus(t, drover.AllocClientStatusRunning)
	if err := h.ar.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(h.root, alloc.ID)); !os.IsNotExist(err) {
		t.Fatalf("alloc dir still there: %v", err)
	}
	if allocs, _ := h.state.Allocs(); len(allocs) != 0 {
		t.Fatal("alloc still recorded")
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestLogRotation(t *testing.T) {
	big := strings.Repeat("x", 1<<20+100)
	alloc := testAlloc(drover.JobTypeService, noRestart, &drover.Task{Name: "web",
		Config: map[string]any{"stdout": big}, LogConfig: &drover.LogConfig{MaxFiles: 2, MaxFileSizeMB: 1}})
	h := newHarness(t, alloc)
	h.ar.Run()
	h.waitStatus(t, drover.AllocClientStatusRunning)
	logs := LogDir(filepath.Join(h.root, alloc.ID))
	waitFor(t, "rotated copy", func() bool {
		fi, err := os.Stat(filepath.Join(logs, "web.stdout.0"))
		return err == nil && fi.Size() == int64(len(big))
	})
	if fi, err := os.Stat(filepath.Join(logs, "web.stdout")); err != nil || fi.Size() != 0 {
		t.Fatalf("live file after rotation: %v %v", fi, err)
	}
}
