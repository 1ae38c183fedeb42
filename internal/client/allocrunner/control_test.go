package allocrunner

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover"
)

func (h *harness) taskState(name string) *drover.TaskState {
	return h.ar.Alloc().TaskStates[name]
}

// waitStarts waits until the task was started n times and runs.
func (h *harness) waitStarts(t *testing.T, name string, n int) {
	t.Helper()
	waitFor(t, "task "+name+" started and running", func() bool {
		s := h.taskState(name)
		return h.drv.Starts(name) == n && h.drv.Running(name) == 1 && s != nil && s.State == drover.TaskStateRunning
	})
}

// TestRestartTaskInPlaceNotCountedByPolicy: a user's restarts start the task
// again in the same allocation, are counted in Restarts but not against the
// policy: with one attempt allowed, a failure after three user restarts is
// still restarted, and the next one fails the task.
func TestRestartTaskInPlaceNotCountedByPolicy(t *testing.T) {
	policy := &drover.RestartPolicy{Attempts: 1, Interval: time.Hour, Delay: 0, Mode: drover.RestartModeFail}
	h := newHarness(t, testAlloc(drover.JobTypeService, policy, &drover.Task{Name: "web"}))
	h.ar.Run()
	h.waitStarts(t, "web", 1)
	for i := 2; i <= 4; i++ {
		if err := h.ar.RestartTask("web"); err != nil {
			t.Fatalf("restart %d: %v", i-1, err)
		}
		h.waitStarts(t, "web", i)
		// Task events are capped; the newest tell the restart's story.
		want := []string{drover.TaskRestartSignal, drover.TaskTerminated, drover.TaskRestarting, drover.TaskStarted}
		if got := eventTypes(h.taskState("web")); len(got) < 4 || !slices.Equal(got[len(got)-4:], want) {
			t.Fatalf("restart %d: events %v, want them to end with %v", i-1, got, want)
		}
	}
	s := h.taskState("web")
	if s.Restarts != 3 || s.Failed {
		t.Fatalf("after 3 user restarts: restarts %d failed %v, want 3 and not failed", s.Restarts, s.Failed)
	}
	for _, e := range s.Events {
		if e.Type == drover.TaskRestarting && e.RestartReason != drover.TaskRestartReasonUser {
			t.Errorf("Restarting event reason %q, want %q", e.RestartReason, drover.TaskRestartReasonUser)
		}
	}
	if a := h.ar.Alloc(); a.ClientStatus != drover.AllocClientStatusRunning {
		t.Errorf("alloc status %s, want running", a.ClientStatus)
	}

	h.drv.Exit("web", 1) // the policy's one attempt is still there
	h.waitStarts(t, "web", 5)
	h.drv.Exit("web", 1) // now it is used up
	waitFor(t, "the task to fail", func() bool { return h.taskState("web").Failed })
	if s := h.taskState("web"); s.Restarts != 4 {
		t.Errorf("restarts %d, want 4 (3 by the user, 1 by the policy)", s.Restarts)
	}
}

// TestRestartRunningRestartsEveryRunningTask: with no task named, every
// running task restarts; a finished one is left alone.
func TestRestartRunningRestartsEveryRunningTask(t *testing.T) {
	policy := &drover.RestartPolicy{Attempts: 0, Interval: time.Hour, Mode: drover.RestartModeFail}
	h := newHarness(t, testAlloc(drover.JobTypeBatch, policy,
		&drover.Task{Name: "a"}, &drover.Task{Name: "b"},
		&drover.Task{Name: "done", Config: map[string]any{"run_for": "1ms"}}))
	h.ar.Run()
	h.waitStarts(t, "a", 1)
	h.waitStarts(t, "b", 1)
	waitFor(t, "task done to finish", func() bool { return h.taskState("done").State == drover.TaskStateDead })
	if err := h.ar.RestartRunning(); err != nil {
		t.Fatal(err)
	}
	h.waitStarts(t, "a", 2)
	h.waitStarts(t, "b", 2)
	if n := h.drv.Starts("done"); n != 1 {
		t.Errorf("finished task started %d times, want 1", n)
	}
	if err := h.ar.RestartTask("done"); !errors.Is(err, drover.ErrConflict) {
		t.Errorf("restart of a dead task: %v, want a conflict", err)
	}
}

func TestSignalTask(t *testing.T) {
	h := newHarness(t, testAlloc(drover.JobTypeService, nil, &drover.Task{Name: "a"}, &drover.Task{Name: "b"}))
	h.ar.Run()
	h.waitStarts(t, "a", 1)
	h.waitStarts(t, "b", 1)
	if err := h.ar.SignalTask("a", "usr1"); err != nil {
		t.Fatal(err)
	}
	if err := h.ar.SignalTask("", "SIGHUP"); err != nil {
		t.Fatal(err)
	}
	if got := h.drv.Signals("a"); !slices.Equal(got, []string{"SIGUSR1", "SIGHUP"}) {
		t.Errorf("signals to a: %v, want [SIGUSR1 SIGHUP]", got)
	}
	if got := h.drv.Signals("b"); !slices.Equal(got, []string{"SIGHUP"}) {
		t.Errorf("signals to b: %v, want [SIGHUP]", got)
	}
	ev := hasEvent(h.taskState("a"), drover.TaskSignaling)
	if ev == nil || ev.Details["task_signal"] != "SIGUSR1" {
		t.Errorf("signaling event %+v: want task_signal SIGUSR1", ev)
	}
	if h.drv.Starts("a") != 1 || h.taskState("a").State != drover.TaskStateRunning {
		t.Errorf("a signal must not restart the task")
	}
}

// TestControlBadInput: unknown tasks and signals are invalid and named; a
// task that is not running (its start failed) is a conflict.
func TestControlBadInput(t *testing.T) {
	h := newHarness(t, testAlloc(drover.JobTypeService, nil,
		&drover.Task{Name: "web", Config: map[string]any{"start_error": "no such binary"}}))
	h.ar.Run()
	waitFor(t, "the task to fail", func() bool { s := h.taskState("web"); return s != nil && s.Failed })
	tests := []struct {
		name string
		call func() error
		want error
		msg  string
	}{
		{"restart unknown task", func() error { return h.ar.RestartTask("nope") }, drover.ErrInvalid, `"nope"`},
		{"restart no task", func() error { return h.ar.RestartTask("") }, drover.ErrInvalid, "task name"},
		{"signal unknown task", func() error { return h.ar.SignalTask("nope", "SIGHUP") }, drover.ErrInvalid, `"nope"`},
		{"signal bad signal", func() error { return h.ar.SignalTask("web", "SIGNOPE") }, drover.ErrInvalid, "SIGNOPE"},
		{"restart dead task", func() error { return h.ar.RestartTask("web") }, drover.ErrConflict, "not running"},
		{"signal dead task", func() error { return h.ar.SignalTask("web", "SIGHUP") }, drover.ErrConflict, "not running"},
		{"restart none running", h.ar.RestartRunning, drover.ErrConflict, "no task is running"},
		{"signal none running", func() error { return h.ar.SignalTask("", "SIGHUP") }, drover.ErrConflict, "no task is running"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, tt.want) || !strings.Contains(fmt.Sprint(err), tt.msg) {
				t.Errorf("got %v, want %v mentioning %s", err, tt.want, tt.msg)
			}
		})
	}
}

// TestUserRestartNamesTheRun: a request is honoured only for the run it
// named, and is forgotten at the next exit either way, so a request that
// lost a race with the task's own exit never frees a later exit from the
// restart policy.
func TestUserRestartNamesTheRun(t *testing.T) {
	var u userRestart
	took := func(id string) bool { ok, _ := u.take(id); return ok }
	if took("run-1") {
		t.Error("no request: take reported one")
	}
	u.request("run-1", false)
	if took("run-2") {
		t.Error("a request for run-1 was taken by run-2")
	}
	if took("run-1") {
		t.Error("the request was not forgotten at the exit of run-2")
	}
	u.request("run-3", false)
	if !took("run-3") || took("run-3") {
		t.Error("a request for run-3 must be taken once by run-3")
	}
	// Whether the run waits for its phase goes with the request.
	u.request("run-4", true)
	if ok, regate := u.take("run-4"); !ok || !regate {
		t.Errorf("take = %v, %v; want a restart that waits for its phase", ok, regate)
	}
	u.request("run-5", true)
	if ok, regate := u.take("run-6"); ok || regate {
		t.Errorf("take of another run = %v, %v; want neither", ok, regate)
	}
}
