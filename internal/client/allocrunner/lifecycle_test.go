package allocrunner

import (
	"sync"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/clientstate"
	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/driver/mock"
	"github.com/drover-sh/drover/internal/testutil"
)

// fakeClock is the runner's clock in these tests. Now moves on a
// microsecond at every reading, so events recorded one after the other have
// increasing times and their order can be checked; After fires only when
// Advance passes its deadline.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Microsecond)
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{at: c.now.Add(d), ch: ch})
	return ch
}

// Advance moves the clock on by d and fires the timers that came due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			keep = append(keep, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = keep
}

// Waiting returns how many timers are armed.
func (c *fakeClock) Waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// lcRunner runs alloc with the mock driver on a fake clock.
func lcRunner(t *testing.T, alloc *drover.Allocation) (*AllocRunner, *recorder, *fakeClock) {
	t.Helper()
	rec, clock := &recorder{}, newFakeClock()
	ar, err := New(Config{Alloc: alloc, Drivers: driver.NewRegistry(mock.New(nil)), AllocRoot: testutil.AllocRoot(t),
		State: clientstate.NewMemory(), OnUpdate: rec.add, Now: clock.Now, After: clock.After,
		LogRotateInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ar.Kill)
	return ar, rec, clock
}

// lcTask is a mock task; hook "" makes a main task.
func lcTask(name, hook string, sidecar bool, config map[string]any) *drover.Task {
	t := &drover.Task{Name: name, Driver: mock.Name, Config: config}
	if hook != "" {
		t.Lifecycle = &drover.TaskLifecycleConfig{Hook: hook, Sidecar: sidecar}
	}
	return t
}

func waitAllocStatus(t *testing.T, ar *AllocRunner, status string) *drover.Allocation {
	t.Helper()
	waitFor(t, "client status "+status, func() bool { return ar.Alloc().ClientStatus == status })
	return ar.Alloc()
}

// at returns the time of the task's first event of type typ, failing the
// test when there is none.
func at(t *testing.T, a *drover.Allocation, task, typ string) int64 {
	t.Helper()
	ev := hasEvent(a.TaskStates[task], typ)
	if ev == nil {
		t.Fatalf("task %s has no %q event: %v", task, typ, eventTypes(a.TaskStates[task]))
	}
	return ev.Time
}

// before fails the test unless task1's typ1 event came before task2's typ2.
func before(t *testing.T, a *drover.Allocation, task1, typ1, task2, typ2 string) {
	t.Helper()
	if t1, t2 := at(t, a, task1, typ1), at(t, a, task2, typ2); t1 >= t2 {
		t.Errorf("%s %q (%d) is not before %s %q (%d)", task1, typ1, t1, task2, typ2, t2)
	}
}

func count(s *drover.TaskState, typ string) int {
	n := 0
	for _, e := range s.Events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func stopAlloc(ar *AllocRunner, why string) {
	a := *ar.alloc()
	a.DesiredStatus, a.DesiredDescription = drover.AllocDesiredStatusStop, why
	ar.Update(&a)
}

func TestPrestartThenMainThenPoststop(t *testing.T) {
	alloc := testAlloc(drover.JobTypeBatch, noRestart,
		lcTask("init", drover.TaskLifecycleHookPrestart, false, map[string]any{"run_for": "30ms"}),
		lcTask("main", "", false, map[string]any{"run_for": "10ms"}),
		lcTask("post", drover.TaskLifecycleHookPoststop, false, map[string]any{"run_for": "1ms"}))
	ar, rec, _ := lcRunner(t, alloc)
	ar.Run()
	got := waitAllocStatus(t, ar, drover.AllocClientStatusComplete)
	before(t, got, "init", drover.TaskTerminated, "main", drover.TaskSetup)
	before(t, got, "main", drover.TaskTerminated, "post", drover.TaskStarted)
	for _, name := range []string{"init", "main", "post"} {
		ts := got.TaskStates[name]
		if ts.State != drover.TaskStateDead || ts.Failed || ts.Restarts != 0 || count(ts, drover.TaskStarted) != 1 {
			t.Errorf("%s: %+v events %v", name, ts, eventTypes(ts))
		}
	}
	for _, st := range rec.statuses() {
		if st == drover.AllocClientStatusFailed {
			t.Fatalf("statuses %v", rec.statuses())
		}
	}
}

// A prestart task that exits successfully in a service job is done: it is
// not restarted, and the main task runs.
func TestPrestartInServiceJobRunsOnce(t *testing.T) {
	policy := &drover.RestartPolicy{Attempts: 3, Interval: time.Hour, Delay: time.Millisecond, Mode: drover.RestartModeFail}
	alloc := testAlloc(drover.JobTypeService, policy,
		lcTask("init", drover.TaskLifecycleHookPrestart, false, map[string]any{"run_for": "1ms"}),
		lcTask("web", "", false, map[string]any{}))
	ar, _, _ := lcRunner(t, alloc)
	ar.Run()
	got := waitAllocStatus(t, ar, drover.AllocClientStatusRunning)
	waitFor(t, "web running", func() bool { return ar.Alloc().TaskStates["web"].State == drover.TaskStateRunning })
	got = ar.Alloc()
	if ts := got.TaskStates["init"]; ts.State != drover.TaskStateDead || ts.Failed || ts.Restarts != 0 {
		t.Fatalf("init %+v events %v", ts, eventTypes(ts))
	}
	before(t, got, "init", drover.TaskTerminated, "web", drover.TaskStarted)
}

// A sidecar that exits is restarted per its policy even in a batch job, and
// the main task keeps running.
func TestSidecarRestartedAfterSuccessfulExit(t *testing.T) {
	policy := &drover.RestartPolicy{Attempts: 1000, Interval: time.Hour, Delay: time.Millisecond, Mode: drover.RestartModeFail}
	alloc := testAlloc(drover.JobTypeBatch, policy,
		lcTask("side", drover.TaskLifecycleHookPrestart, true, map[string]any{"run_for": "5ms"}),
		lcTask("main", "", false, map[string]any{}))
	ar, _, _ := lcRunner(t, alloc)
	ar.Run()
	waitFor(t, "main running, the sidecar restarted twice", func() bool {
		a := ar.Alloc()
		return a.TaskStates["main"].State == drover.TaskStateRunning && a.TaskStates["side"].Restarts >= 2
	})
	if ts := ar.Alloc().TaskStates["main"]; ts.State != drover.TaskStateRunning || count(ts, drover.TaskStarted) != 1 || ts.Restarts != 0 {
		t.Fatalf("main %+v events %v", ts, eventTypes(ts))
	}
}

// Poststart tasks start once the main tasks run; one that is not a sidecar
// runs once, even in a service job, and a poststart sidecar keeps running.
func TestPoststartAfterMainRunning(t *testing.T) {
	policy := &drover.RestartPolicy{Attempts: 3, Interval: time.Hour, Delay: time.Millisecond, Mode: drover.RestartModeFail}
	alloc := testAlloc(drover.JobTypeService, policy,
		lcTask("web", "", false, map[string]any{}),
		lcTask("warm", drover.TaskLifecycleHookPoststart, false, map[string]any{"run_for": "1ms"}),
		lcTask("ship", drover.TaskLifecycleHookPoststart, true, map[string]any{}))
	ar, _, _ := lcRunner(t, alloc)
	ar.Run()
	waitFor(t, "warm done, ship running", func() bool {
		a := ar.Alloc()
		return a.TaskStates["warm"].State == drover.TaskStateDead && a.TaskStates["ship"].State == drover.TaskStateRunning
	})
	got := ar.Alloc()
	before(t, got, "web", drover.TaskStarted, "warm", drover.TaskSetup)
	before(t, got, "web", drover.TaskStarted, "ship", drover.TaskSetup)
	if ts := got.TaskStates["warm"]; ts.Failed || ts.Restarts != 0 {
		t.Fatalf("warm %+v events %v", ts, eventTypes(ts))
	}
	if got.ClientStatus != drover.AllocClientStatusRunning || got.TaskStates["web"].State != drover.TaskStateRunning {
		t.Fatalf("status %s, web %+v", got.ClientStatus, got.TaskStates["web"])
	}
}

// A stop request stops the main task, then the sidecar, then runs the
// poststop task, which had not started while the allocation ran.
func TestPoststopRunsAfterStopRequest(t *testing.T) {
	alloc := testAlloc(drover.JobTypeService, noRestart,
		lcTask("side", drover.TaskLifecycleHookPrestart, true, map[string]any{}),
		lcTask("web", "", false, map[string]any{}),
		lcTask("post", drover.TaskLifecycleHookPoststop, false, map[string]any{"run_for": "1ms"}))
	ar, _, _ := lcRunner(t, alloc)
	ar.Run()
	waitFor(t, "web running, post received", func() bool {
		a := ar.Alloc()
		return a.TaskStates["web"].State == drover.TaskStateRunning && len(a.TaskStates["post"].Events) > 0
	})
	if a := ar.Alloc(); a.ClientStatus != drover.AllocClientStatusRunning || !equal(eventTypes(a.TaskStates["post"]), []string{drover.TaskReceived}) {
		t.Fatalf("status %s, post events %v", a.ClientStatus, eventTypes(a.TaskStates["post"]))
	}
	stopAlloc(ar, "job stopped")
	got := waitAllocStatus(t, ar, drover.AllocClientStatusComplete)
	before(t, got, "web", drover.TaskKilled, "side", drover.TaskKilling)
	before(t, got, "side", drover.TaskKilled, "post", drover.TaskStarted)
	if k := hasEvent(got.TaskStates["web"], drover.TaskKilling); k == nil || k.KillReason != "job stopped" {
		t.Fatalf("web events %v", eventTypes(got.TaskStates["web"]))
	}
	post := got.TaskStates["post"]
	if post.Failed || post.State != drover.TaskStateDead || hasEvent(post, drover.TaskKilling) != nil || hasEvent(post, drover.TaskTerminated) == nil {
		t.Fatalf("post %+v events %v", post, eventTypes(post))
	}
}

// A stop that comes while a prestart task still runs stops it, never starts
// the main task, and still runs the poststop task.
func TestStopDuringPrestart(t *testing.T) {
	alloc := testAlloc(drover.JobTypeBatch, noRestart,
		lcTask("init", drover.TaskLifecycleHookPrestart, false, map[string]any{}),
		lcTask("main", "", false, map[string]any{"run_for": "1ms"}),
		lcTask("post", drover.TaskLifecycleHookPoststop, false, map[string]any{"run_for": "1ms"}))
	ar, _, _ := lcRunner(t, alloc)
	ar.Run()
	waitFor(t, "init running", func() bool { return ar.Alloc().TaskStates["init"].State == drover.TaskStateRunning })
	stopAlloc(ar, "job stopped")
	got := waitAllocStatus(t, ar, drover.AllocClientStatusComplete)
	if m := got.TaskStates["main"]; count(m, drover.TaskStarted) != 0 || hasEvent(m, drover.TaskKilled) == nil {
		t.Fatalf("main events %v", eventTypes(m))
	}
	if count(got.TaskStates["post"], drover.TaskStarted) != 1 {
		t.Fatalf("post events %v", eventTypes(got.TaskStates["post"]))
	}
}

// shutdown_delay: on a stop, the group's delay is waited, then the task's
// own, and only then is the task sent its kill_signal.
func TestShutdownDelay(t *testing.T) {
	alloc := testAlloc(drover.JobTypeService, noRestart, lcTask("web", "", false, map[string]any{}))
	groupDelay := 10 * time.Second
	alloc.Job.TaskGroups[0].ShutdownDelay = &groupDelay
	alloc.Job.TaskGroups[0].Tasks[0].ShutdownDelay = 5 * time.Second
	ar, _, clock := lcRunner(t, alloc)
	ar.Run()
	waitAllocStatus(t, ar, drover.AllocClientStatusRunning)
	stopAlloc(ar, "job stopped")

	waitFor(t, "the group's delay armed", func() bool { return clock.Waiting() == 1 })
	web := ar.Alloc().TaskStates["web"]
	if ev := hasEvent(web, drover.TaskWaitingShuttingDownDelay); ev == nil || ev.Details["shutdown_delay"] != "10s" {
		t.Fatalf("events %v", eventTypes(web))
	}
	clock.Advance(9 * time.Second)
	if web := ar.Alloc().TaskStates["web"]; web.State != drover.TaskStateRunning || hasEvent(web, drover.TaskKilling) != nil {
		t.Fatalf("killed before the group's delay ended: %v", eventTypes(web))
	}
	clock.Advance(time.Second)
	waitFor(t, "the task's delay armed", func() bool {
		return clock.Waiting() == 1 && count(ar.Alloc().TaskStates["web"], drover.TaskWaitingShuttingDownDelay) == 2
	})
	clock.Advance(4 * time.Second)
	if web := ar.Alloc().TaskStates["web"]; web.State != drover.TaskStateRunning || hasEvent(web, drover.TaskKilling) != nil {
		t.Fatalf("killed before the task's delay ended: %v", eventTypes(web))
	}
	clock.Advance(time.Second)
	got := waitAllocStatus(t, ar, drover.AllocClientStatusComplete)
	want := []string{drover.TaskReceived, drover.TaskSetup, drover.TaskStarted, drover.TaskWaitingShuttingDownDelay,
		drover.TaskWaitingShuttingDownDelay, drover.TaskKilling, drover.TaskTerminated, drover.TaskKilled}
	if ev := eventTypes(got.TaskStates["web"]); !equal(ev, want) {
		t.Fatalf("events %v, want %v", ev, want)
	}
}

// Kill (the client going away) does not wait out a shutdown_delay.
func TestKillCutsShutdownDelayShort(t *testing.T) {
	alloc := testAlloc(drover.JobTypeService, noRestart, lcTask("web", "", false, map[string]any{}))
	alloc.Job.TaskGroups[0].Tasks[0].ShutdownDelay = time.Hour
	ar, _, clock := lcRunner(t, alloc)
	ar.Run()
	waitAllocStatus(t, ar, drover.AllocClientStatusRunning)
	stopAlloc(ar, "job stopped")
	waitFor(t, "the task's delay armed", func() bool { return clock.Waiting() == 1 })
	ar.Kill() // returns once the task is dead: the fake clock never advances
	if web := ar.Alloc().TaskStates["web"]; web.State != drover.TaskStateDead || hasEvent(web, drover.TaskKilled) == nil {
		t.Fatalf("web %+v events %v", web, eventTypes(web))
	}
}

// Shutdown during a shutdown_delay leaves the task running for the next
// agent.
func TestShutdownDuringDelayLeavesTaskRunning(t *testing.T) {
	d := mock.New(nil)
	alloc := testAlloc(drover.JobTypeService, noRestart, lcTask("web", "", false, map[string]any{}))
	groupDelay := time.Hour
	alloc.Job.TaskGroups[0].ShutdownDelay = &groupDelay
	clock := newFakeClock()
	ar, err := New(Config{Alloc: alloc, Drivers: driver.NewRegistry(d), AllocRoot: testutil.AllocRoot(t),
		State: clientstate.NewMemory(), Now: clock.Now, After: clock.After})
	if err != nil {
		t.Fatal(err)
	}
	ar.Run()
	waitAllocStatus(t, ar, drover.AllocClientStatusRunning)
	stopAlloc(ar, "job stopped")
	waitFor(t, "the group's delay armed", func() bool { return clock.Waiting() == 1 })
	ar.Shutdown()
	if web := ar.Alloc().TaskStates["web"]; web.State != drover.TaskStateRunning || hasEvent(web, drover.TaskKilling) != nil {
		t.Fatalf("web %+v events %v", web, eventTypes(web))
	}
}

// kill_signal is what the task is sent; kill_timeout bounds how long it may
// take to exit before it is killed.
func TestKillSignalAndTimeout(t *testing.T) {
	tests := []struct {
		name       string
		killAfter  string
		wantSignal int
	}{
		{"exits on the signal", "0s", 15},
		{"killed after the timeout", "1h", 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := lcTask("web", "", false, map[string]any{"kill_after": tt.killAfter})
			alloc := testAlloc(drover.JobTypeService, noRestart, task)
			task.KillSignal, task.KillTimeout = "SIGTERM", 50*time.Millisecond
			ar, _, _ := lcRunner(t, alloc)
			ar.Run()
			waitAllocStatus(t, ar, drover.AllocClientStatusRunning)
			stopAlloc(ar, "job stopped")
			got := waitAllocStatus(t, ar, drover.AllocClientStatusComplete)
			ts := got.TaskStates["web"]
			k := hasEvent(ts, drover.TaskKilling)
			if k == nil || k.KillTimeout != 50*time.Millisecond || k.DisplayMessage != "Sent SIGTERM. Waiting 50ms before force killing" {
				t.Fatalf("killing event %+v", k)
			}
			if term := hasEvent(ts, drover.TaskTerminated); term == nil || term.Signal != tt.wantSignal {
				t.Fatalf("terminated %+v, want signal %d", term, tt.wantSignal)
			}
		})
	}
}

// A restarted agent takes the lifecycle up where it was: a prestart task
// that finished is not run again, the running main task is reattached, and
// the poststop task still runs when the allocation is stopped.
func TestRestoreKeepsLifecyclePhase(t *testing.T) {
	d, state, root := mock.New(nil), clientstate.NewMemory(), testutil.AllocRoot(t)
	alloc := testAlloc(drover.JobTypeService, noRestart,
		lcTask("init", drover.TaskLifecycleHookPrestart, false, map[string]any{"run_for": "1ms"}),
		lcTask("web", "", false, map[string]any{}),
		lcTask("post", drover.TaskLifecycleHookPoststop, false, map[string]any{"run_for": "1ms"}))
	newRunner := func() *AllocRunner {
		ar, err := New(Config{Alloc: alloc, Drivers: driver.NewRegistry(d), AllocRoot: root, State: state})
		if err != nil {
			t.Fatal(err)
		}
		return ar
	}
	ar := newRunner()
	ar.Run()
	waitFor(t, "web running", func() bool { return ar.Alloc().TaskStates["web"].State == drover.TaskStateRunning })
	ar.Shutdown()

	ar2 := newRunner()
	t.Cleanup(ar2.Kill)
	if err := ar2.Restore(); err != nil {
		t.Fatal(err)
	}
	waitAllocStatus(t, ar2, drover.AllocClientStatusRunning)
	got := ar2.Alloc()
	if n, m := count(got.TaskStates["init"], drover.TaskStarted), count(got.TaskStates["web"], drover.TaskStarted); n != 1 || m != 1 {
		t.Fatalf("init started %d times, web %d times", n, m)
	}
	if post := got.TaskStates["post"]; post.State != drover.TaskStatePending || count(post, drover.TaskStarted) != 0 {
		t.Fatalf("post %+v events %v", post, eventTypes(post))
	}
	stopAlloc(ar2, "job stopped")
	got = waitAllocStatus(t, ar2, drover.AllocClientStatusComplete)
	before(t, got, "web", drover.TaskKilled, "post", drover.TaskStarted)
}

// A stop that arrives before Run still stops the allocation once it runs:
// the prestart task is stopped and the main task never starts.
func TestStopBeforeRun(t *testing.T) {
	alloc := testAlloc(drover.JobTypeService, noRestart,
		lcTask("init", drover.TaskLifecycleHookPrestart, false, map[string]any{}),
		lcTask("web", "", false, map[string]any{}))
	ar, _, _ := lcRunner(t, alloc)
	stopAlloc(ar, "job stopped")
	ar.Run()
	got := waitAllocStatus(t, ar, drover.AllocClientStatusComplete)
	if w := got.TaskStates["web"]; count(w, drover.TaskStarted) != 0 || hasEvent(w, drover.TaskKilled) == nil {
		t.Fatalf("web events %v", eventTypes(w))
	}
}

// A snapshot taken before another is never reported after it: the servers
// would see a task come back to life.
func TestReportDropsOlderSnapshots(t *testing.T) {
	alloc := testAlloc(drover.JobTypeService, noRestart, lcTask("web", "", false, map[string]any{}))
	rec := &recorder{}
	ar, err := New(Config{Alloc: alloc, Drivers: driver.NewRegistry(mock.New(nil)), AllocRoot: testutil.AllocRoot(t),
		State: clientstate.NewMemory(), OnUpdate: rec.add})
	if err != nil {
		t.Fatal(err)
	}
	newer, older := &drover.Allocation{ClientStatus: "complete"}, &drover.Allocation{ClientStatus: "running"}
	ar.report(2, newer)
	ar.report(1, older)
	ar.report(2, older)
	if st := rec.statuses(); !equal(st, []string{"complete"}) {
		t.Fatalf("reported %v", st)
	}
}
