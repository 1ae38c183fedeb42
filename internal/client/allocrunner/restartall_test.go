package allocrunner

import (
	"errors"
	"testing"
	"time"

	"github.com/drover-sh/drover"
)

// eventTimes returns the times of the task's events of type typ, oldest
// first.
func eventTimes(s *drover.TaskState, typ string) []int64 {
	var out []int64
	for _, e := range s.Events {
		if e.Type == typ {
			out = append(out, e.Time)
		}
	}
	return out
}

func last(ts []int64) int64 {
	if len(ts) == 0 {
		return 0
	}
	return ts[len(ts)-1]
}

// TestRestartAllRerunsLifecycle: restarting the whole allocation (`alloc
// restart -all-tasks`) runs the prestart task that had finished again, and
// the main task starts again only once it has finished; the poststart task
// that had finished runs again after the main task; the poststop task,
// which has not run, is left alone. Restarting the running tasks only
// leaves the finished ones finished. A stopping allocation is refused.
func TestRestartAllRerunsLifecycle(t *testing.T) {
	policy := &drover.RestartPolicy{Attempts: 3, Interval: time.Hour, Delay: time.Millisecond, Mode: drover.RestartModeFail}
	alloc := testAlloc(drover.JobTypeService, policy,
		lcTask("init", drover.TaskLifecycleHookPrestart, false, map[string]any{"run_for": "30ms"}),
		lcTask("side", drover.TaskLifecycleHookPrestart, true, map[string]any{}),
		lcTask("web", "", false, map[string]any{}),
		lcTask("post", drover.TaskLifecycleHookPoststart, false, map[string]any{"run_for": "1ms"}),
		lcTask("cleanup", drover.TaskLifecycleHookPoststop, false, map[string]any{"run_for": "1ms"}))
	ar, _, clock := lcRunner(t, alloc)
	ar.Run()
	waitFor(t, "web running, init and post done", func() bool {
		a := ar.Alloc()
		return a.TaskStates["web"].State == drover.TaskStateRunning &&
			a.TaskStates["init"].State == drover.TaskStateDead && a.TaskStates["post"].State == drover.TaskStateDead
	})
	asked := clock.Now().UnixNano()
	if err := ar.RestartAll(); err != nil {
		t.Fatalf("RestartAll: %v", err)
	}
	waitFor(t, "every task but the poststop one to run again", func() bool {
		a := ar.Alloc()
		st := a.TaskStates
		return len(eventTimes(st["init"], drover.TaskTerminated)) == 2 && st["init"].State == drover.TaskStateDead &&
			len(eventTimes(st["post"], drover.TaskTerminated)) == 2 && st["post"].State == drover.TaskStateDead &&
			len(eventTimes(st["web"], drover.TaskStarted)) == 2 && st["web"].State == drover.TaskStateRunning &&
			len(eventTimes(st["side"], drover.TaskStarted)) == 2 && st["side"].State == drover.TaskStateRunning
	})
	a := ar.Alloc()
	st := a.TaskStates
	initStart := eventTimes(st["init"], drover.TaskStarted)
	if len(initStart) != 2 || initStart[1] < asked {
		t.Fatalf("init started at %v, want a second start after the restart (%d)", initStart, asked)
	}
	if webStart, initDone := last(eventTimes(st["web"], drover.TaskStarted)), last(eventTimes(st["init"], drover.TaskTerminated)); webStart < initDone {
		t.Errorf("web started again (%d) before init finished again (%d)", webStart, initDone)
	}
	if postStart, webStart := last(eventTimes(st["post"], drover.TaskStarted)), last(eventTimes(st["web"], drover.TaskStarted)); postStart < webStart {
		t.Errorf("post started again (%d) before web did (%d)", postStart, webStart)
	}
	for _, name := range []string{"init", "side", "web", "post"} {
		if s := st[name]; s.Restarts != 1 || s.Failed || hasEvent(s, drover.TaskRestartSignal) == nil {
			t.Errorf("%s: restarts %d failed %v events %v, want one user restart", name, s.Restarts, s.Failed, eventTypes(s))
		}
	}
	if s := st["cleanup"]; s.State != drover.TaskStatePending || count(s, drover.TaskStarted) != 0 {
		t.Errorf("the poststop task ran: %+v", s)
	}
	if a.ClientStatus != drover.AllocClientStatusRunning {
		t.Errorf("alloc %s, want running", a.ClientStatus)
	}

	// Restarting the running tasks leaves the finished ones finished.
	if err := ar.RestartRunning(); err != nil {
		t.Fatalf("RestartRunning: %v", err)
	}
	waitFor(t, "web restarted again", func() bool {
		s := ar.Alloc().TaskStates["web"]
		return s.Restarts == 2 && s.State == drover.TaskStateRunning
	})
	if s := ar.Alloc().TaskStates["init"]; s.State != drover.TaskStateDead || count(s, drover.TaskStarted) != 2 {
		t.Errorf("init after restarting the running tasks: %s, %d starts", s.State, count(s, drover.TaskStarted))
	}

	stopAlloc(ar, "stop")
	waitAllocStatus(t, ar, drover.AllocClientStatusComplete)
	if err := ar.RestartAll(); !errors.Is(err, drover.ErrConflict) {
		t.Fatalf("RestartAll of a stopped allocation = %v, want a conflict", err)
	}
}
