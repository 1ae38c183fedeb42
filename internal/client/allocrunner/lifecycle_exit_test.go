package allocrunner

import (
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/clientstate"
	"github.com/drover-sh/drover/internal/client/internal/fakedriver"
	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/testutil"
)

// These tests decide when a task exits (fakedriver's Exit), so that every
// task is known to run when the one under test ends.

// exitRunner runs alloc, whose tasks all use the fake driver, on a fake
// clock.
func exitRunner(t *testing.T, alloc *drover.Allocation) (*AllocRunner, *fakedriver.Driver) {
	t.Helper()
	for _, task := range alloc.Job.TaskGroups[0].Tasks {
		task.Driver = "fake"
	}
	d, clock := fakedriver.New("fake"), newFakeClock()
	ar, err := New(Config{Alloc: alloc, Drivers: driver.NewRegistry(d), AllocRoot: testutil.AllocRoot(t),
		State: clientstate.NewMemory(), Now: clock.Now, After: clock.After, LogRotateInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ar.Kill)
	return ar, d
}

func waitRunning(t *testing.T, ar *AllocRunner, names ...string) {
	t.Helper()
	waitFor(t, "tasks running", func() bool {
		a := ar.Alloc()
		for _, n := range names {
			if a.TaskStates[n].State != drover.TaskStateRunning {
				return false
			}
		}
		return true
	})
}

// A prestart task that fails for good fails the allocation: the main task
// never starts, the running sidecar is stopped, and the poststop task
// still cleans up.
func TestFailingPrestartFailsAllocation(t *testing.T) {
	once := &drover.RestartPolicy{Attempts: 1, Interval: time.Hour, Delay: time.Millisecond, Mode: drover.RestartModeFail}
	alloc := testAlloc(drover.JobTypeBatch, once,
		lcTask("init", drover.TaskLifecycleHookPrestart, false, map[string]any{}),
		lcTask("side", drover.TaskLifecycleHookPrestart, true, map[string]any{}),
		lcTask("main", "", false, map[string]any{"run_for": "1ms"}),
		lcTask("post", drover.TaskLifecycleHookPoststop, false, map[string]any{"run_for": "1ms"}))
	ar, d := exitRunner(t, alloc)
	ar.Run()
	waitRunning(t, ar, "init", "side")
	d.Exit("init", 3)
	waitFor(t, "init restarted", func() bool { return d.Starts("init") == 2 && d.Running("init") == 1 })
	d.Exit("init", 3)
	waitAllocStatus(t, ar, drover.AllocClientStatusFailed)
	waitFor(t, "every task dead", func() bool {
		for _, ts := range ar.Alloc().TaskStates {
			if ts.State != drover.TaskStateDead {
				return false
			}
		}
		return true
	})
	got := ar.Alloc()
	init := got.TaskStates["init"]
	if !init.Failed || init.Restarts != 1 || hasEvent(init, drover.TaskNotRestarting) == nil {
		t.Fatalf("init %+v events %v", init, eventTypes(init))
	}
	main := got.TaskStates["main"]
	if d.Starts("main") != 0 || count(main, drover.TaskSetup) != 0 || main.Failed {
		t.Fatalf("main ran or failed: %+v events %v", main, eventTypes(main))
	}
	for _, name := range []string{"main", "side"} {
		ev := hasEvent(got.TaskStates[name], drover.TaskSiblingFailed)
		if ev == nil || ev.DisplayMessage != `Task's sibling "init" failed` || hasEvent(got.TaskStates[name], drover.TaskKilled) == nil {
			t.Fatalf("%s events %v", name, eventTypes(got.TaskStates[name]))
		}
	}
	if k := hasEvent(got.TaskStates["side"], drover.TaskKilling); k == nil || k.KillReason != "Sibling Task Failed: init" {
		t.Fatalf("side events %v", eventTypes(got.TaskStates["side"]))
	}
	if post := got.TaskStates["post"]; d.Starts("post") != 1 || post.Failed {
		t.Fatalf("post %+v events %v", post, eventTypes(post))
	}
}

// Sidecars start before (prestart) and after (poststart) the main task and
// run beside it; once it is dead they are stopped, and the batch
// allocation is complete, not failed.
func TestSidecarsStoppedWhenMainTasksEnd(t *testing.T) {
	alloc := testAlloc(drover.JobTypeBatch, noRestart,
		lcTask("proxy", drover.TaskLifecycleHookPrestart, true, map[string]any{}),
		lcTask("main", "", false, map[string]any{}),
		lcTask("metrics", drover.TaskLifecycleHookPoststart, true, map[string]any{}))
	ar, d := exitRunner(t, alloc)
	ar.Run()
	waitRunning(t, ar, "proxy", "main", "metrics")
	d.Exit("main", 0)
	got := waitAllocStatus(t, ar, drover.AllocClientStatusComplete)
	before(t, got, "proxy", drover.TaskStarted, "main", drover.TaskSetup)
	before(t, got, "main", drover.TaskStarted, "metrics", drover.TaskSetup)
	for _, name := range []string{"proxy", "metrics"} {
		ts := got.TaskStates[name]
		k := hasEvent(ts, drover.TaskKilling)
		if hasEvent(ts, drover.TaskMainDead) == nil || k == nil || k.KillReason != "main tasks are dead" ||
			ts.Failed || ts.State != drover.TaskStateDead || hasEvent(ts, drover.TaskKilled) == nil {
			t.Fatalf("%s: %+v events %v", name, ts, eventTypes(ts))
		}
		before(t, got, "main", drover.TaskTerminated, name, drover.TaskKilling)
	}
	if ts := got.TaskStates["main"]; ts.Failed || hasEvent(ts, drover.TaskKilling) != nil {
		t.Fatalf("main %+v events %v", ts, eventTypes(ts))
	}
}

// The leader's exit stops the other tasks, sidecars last, each told why.
func TestLeaderExitStopsOthersSidecarsLast(t *testing.T) {
	lead := lcTask("lead", "", false, map[string]any{})
	lead.Leader = true
	alloc := testAlloc(drover.JobTypeBatch, noRestart,
		lcTask("side", drover.TaskLifecycleHookPrestart, true, map[string]any{}),
		lead,
		lcTask("helper", "", false, map[string]any{}))
	ar, d := exitRunner(t, alloc)
	ar.Run()
	waitRunning(t, ar, "side", "lead", "helper")
	d.Exit("lead", 0)
	got := waitAllocStatus(t, ar, drover.AllocClientStatusComplete)
	for _, name := range []string{"helper", "side"} {
		ts := got.TaskStates[name]
		k := hasEvent(ts, drover.TaskKilling)
		if hasEvent(ts, drover.TaskLeaderDead) == nil || k == nil || k.KillReason != "leader task lead is dead" || ts.Failed {
			t.Fatalf("%s %+v events %v", name, ts, eventTypes(ts))
		}
	}
	before(t, got, "helper", drover.TaskKilled, "side", drover.TaskKilling)
}
