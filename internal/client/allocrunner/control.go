package allocrunner

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/driver"
)

// The allocation controls: `drover alloc restart` and `drover alloc
// signal` reach the runner of the allocation on its node. A restart stops
// the running task with its kill signal and timeout and starts it again in
// the same allocation directory at once; it is counted in the task state's
// Restarts (as Nomad does) but never against the restart policy's
// attempts, since nothing failed. Restarting the whole allocation
// (RestartAll, `-all-tasks`) also runs again the tasks that already ran to
// their end, in lifecycle order.

// userRestart is the restart request of one task runner: set before the
// task is stopped, taken by the run loop when the task has exited. It names
// the run (driver task ID) to restart, so a request that lost a race with
// the task's own exit never turns a later exit into a restart that the
// policy does not count.
type userRestart struct {
	mu     sync.Mutex
	taskID string
	regate bool
}

// request records that the run taskID is to be restarted; regate makes
// the task wait for its lifecycle phase before it starts again.
func (u *userRestart) request(taskID string, regate bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.taskID, u.regate = taskID, regate
}

// take reports whether the run taskID was to be restarted, and whether it
// must wait for its phase, and forgets any request.
func (u *userRestart) take(taskID string) (restart, regate bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	restart = u.taskID != "" && u.taskID == taskID
	regate = restart && u.regate
	u.taskID, u.regate = "", false
	return restart, regate
}

// RestartTask restarts the named running task in place. It returns once
// the task has been stopped; the runner starts it again right after. An
// unknown task is a drover.ErrInvalid naming it, a task that is not running
// a drover.ErrConflict.
func (ar *AllocRunner) RestartTask(name string) error {
	tr, err := ar.controlledTask(name)
	if err != nil {
		return err
	}
	return tr.restart(false)
}

// RestartRunning restarts every running task of the allocation in place,
// as RestartTask does. With no task running it is a drover.ErrConflict.
func (ar *AllocRunner) RestartRunning() error {
	return ar.eachRunning("restart", func(tr *taskRunner) error { return tr.restart(false) })
}

// RestartAll restarts the whole allocation in place, as Nomad's `alloc
// restart -all-tasks`: the running tasks are stopped, and they and the
// tasks that already ran to their end (prestart and poststart tasks that
// are not sidecars) start again in lifecycle order — prestart tasks first,
// main tasks once the prestart tasks are done again, then poststart tasks.
// Poststop tasks, which have not run yet, and tasks waiting for a restart
// of their own are left alone. Like RestartTask it counts in Restarts but
// not against the restart policy, and returns once the running tasks have
// been stopped. An allocation that is stopping or has ended is a
// drover.ErrConflict.
func (ar *AllocRunner) RestartAll() error {
	ar.mu.Lock()
	if ar.stopping || ar.taskList == nil || ar.live == 0 || ar.current.ServerTerminal() {
		ar.mu.Unlock()
		return drover.Errorf(drover.ErrConflict, "allocation %s is stopping or has ended: only a running allocation restarts", drover.ShortID(ar.id))
	}
	jobType := ar.current.Job.Type
	var running, reruns []*taskRunner
	for _, t := range ar.taskList {
		if phaseOf(t) == phasePoststop {
			continue
		}
		tr := ar.tasks[t.Name]
		switch s := tr.State(); {
		case s.State == drover.TaskStateRunning && !tr.killed():
			tr.closeGate()
			running = append(running, tr)
		case s.State == drover.TaskStateDead && !s.Failed && tr.returned():
			nt := tr.rerunner(jobType)
			ar.tasks[t.Name] = nt
			reruns = append(reruns, nt)
		}
	}
	if len(running)+len(reruns) == 0 {
		ar.mu.Unlock()
		return drover.Errorf(drover.ErrConflict, "allocation %s: no task is running or finished to restart", drover.ShortID(ar.id))
	}
	ar.live += len(reruns)
	// Back to the first phase: the gates open again as the tasks that
	// run again get there.
	ar.phase = phasePrestart
	ar.mu.Unlock()

	for _, nt := range reruns {
		ev := nt.event(drover.TaskRestartSignal, drover.TaskRestartReasonUser)
		ev.RestartReason = drover.TaskRestartReasonUser
		nt.emit(ev, func(s *drover.TaskState) { s.Restarts, s.LastRestart = s.Restarts+1, nt.now() })
		go ar.runTask(nt, nil)
	}
	if len(reruns) == 0 {
		ar.taskStateChanged() // open the gates of the phases that remain reached
	}
	errs := make([]error, len(running))
	var wg sync.WaitGroup
	for i, tr := range running {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A task that ended meanwhile is left to its policy.
			if err := tr.restart(true); err != nil && !errors.Is(err, drover.ErrConflict) {
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// returned reports whether the runner's run has returned.
func (tr *taskRunner) returned() bool {
	select {
	case <-tr.done:
		return true
	default:
		return false
	}
}

// rerunner returns a runner that runs again the task tr ran to its end,
// carrying its state (events, restarts) over; it waits for its lifecycle
// phase like a task that never ran.
func (tr *taskRunner) rerunner(jobType string) *taskRunner {
	s := tr.State()
	s.State, s.Failed, s.FinishedAt = drover.TaskStatePending, false, time.Time{}
	nt := newTaskRunner(tr.ar, jobType, tr.task, tr.drv, s)
	nt.rerun = true
	return nt
}

// SignalTask sends signal ("SIGHUP", "hup", ...) to the named running task,
// or to every running task when name is empty. An unknown signal or task is
// a drover.ErrInvalid naming it; a task that is not running (or, with no
// name, no task running) is a drover.ErrConflict.
func (ar *AllocRunner) SignalTask(name, signal string) error {
	if _, err := driver.ParseSignal(signal); err != nil {
		return drover.Errorf(drover.ErrInvalid, "signal: %v", err)
	}
	send := func(tr *taskRunner) error { return tr.signal(signal) }
	if name == "" {
		return ar.eachRunning("signal", send)
	}
	tr, err := ar.controlledTask(name)
	if err != nil {
		return err
	}
	return send(tr)
}

// controlledTask returns the runner of the named task.
func (ar *AllocRunner) controlledTask(name string) (*taskRunner, error) {
	if name == "" {
		return nil, drover.Errorf(drover.ErrInvalid, "allocation %s: a task name is required", drover.ShortID(ar.id))
	}
	tr := ar.taskRunner(name)
	if tr == nil {
		return nil, drover.Errorf(drover.ErrInvalid, "allocation %s has no task %q", drover.ShortID(ar.id), name)
	}
	return tr, nil
}

// eachRunning applies f to every running task, in group order, and joins
// their errors.
func (ar *AllocRunner) eachRunning(what string, f func(*taskRunner) error) error {
	ar.mu.Lock()
	var running []*taskRunner
	for _, name := range ar.order {
		if tr := ar.tasks[name]; tr != nil && tr.State().State == drover.TaskStateRunning {
			running = append(running, tr)
		}
	}
	ar.mu.Unlock()
	if len(running) == 0 {
		return drover.Errorf(drover.ErrConflict, "allocation %s: no task is running to %s", drover.ShortID(ar.id), what)
	}
	var errs []error
	for _, tr := range running {
		errs = append(errs, f(tr))
	}
	return errors.Join(errs...)
}

// runningHandle returns the handle of the task's current run, or a
// drover.ErrConflict when the task is not running.
func (tr *taskRunner) runningHandle() (*driver.TaskHandle, error) {
	if s := tr.State(); s.State != drover.TaskStateRunning || tr.killed() {
		state := s.State
		if tr.killed() {
			state = "being killed"
		}
		return nil, drover.Errorf(drover.ErrConflict, "task %q is not running (%s)", tr.task.Name, state)
	}
	h, err := tr.cfg.State.TaskHandle(tr.ar.id, tr.task.Name)
	if err != nil {
		return nil, fmt.Errorf("task %q: read handle: %w", tr.task.Name, err)
	}
	if h == nil || h.Config == nil {
		return nil, drover.Errorf(drover.ErrConflict, "task %q is not running (no handle)", tr.task.Name)
	}
	return h, nil
}

// restart stops the running task for the run loop to start it again;
// regate makes it wait for its lifecycle phase first.
func (tr *taskRunner) restart(regate bool) error {
	h, err := tr.runningHandle()
	if err != nil {
		return err
	}
	ev := tr.event(drover.TaskRestartSignal, drover.TaskRestartReasonUser)
	ev.RestartReason = drover.TaskRestartReasonUser
	tr.emit(ev, nil)
	tr.userRestart.request(h.Config.ID, regate)
	if err := tr.drv.StopTask(h.Config.ID, tr.killTimeout(), tr.task.KillSignal); err != nil && !errors.Is(err, driver.ErrTaskNotFound) {
		// The run goes on: its eventual exit is not the user's restart.
		tr.userRestart.take(h.Config.ID)
		return fmt.Errorf("restart task %q: stop: %w", tr.task.Name, err)
	}
	return nil
}

// takeUserRestart is called by the run loop after the run exited (its
// driver task ID): when a user asked for that run's restart, it records
// the Restarting event (not counted by the restart policy) and reports
// true, and the loop starts the task again at once — after its lifecycle
// phase came back when regate is true.
func (tr *taskRunner) takeUserRestart(exited string) (restart, regate bool) {
	restart, regate = tr.userRestart.take(exited)
	if !restart {
		return false, false
	}
	ev := tr.event(drover.TaskRestarting, "Task restarting in "+time.Duration(0).String())
	ev.RestartReason = drover.TaskRestartReasonUser
	ev.Details["restart_reason"], ev.Details["start_delay"] = drover.TaskRestartReasonUser, "0"
	tr.emit(ev, func(s *drover.TaskState) {
		s.State, s.Restarts, s.LastRestart = drover.TaskStatePending, s.Restarts+1, tr.now()
	})
	return true, regate
}

// signal sends signal to the running task through its driver.
func (tr *taskRunner) signal(signal string) error {
	h, err := tr.runningHandle()
	if err != nil {
		return err
	}
	sig := strings.ToUpper(strings.TrimSpace(signal))
	if !strings.HasPrefix(sig, "SIG") {
		sig = "SIG" + sig
	}
	ev := tr.event(drover.TaskSignaling, "Task being sent signal "+sig)
	ev.Details["task_signal"] = sig
	tr.emit(ev, nil)
	if err := tr.drv.SignalTask(h.Config.ID, sig); err != nil {
		if errors.Is(err, driver.ErrTaskNotFound) {
			return drover.Errorf(drover.ErrConflict, "task %q is not running: %v", tr.task.Name, err)
		}
		return fmt.Errorf("signal task %q: %w", tr.task.Name, err)
	}
	return nil
}

// taskRunner returns the runner of the named task, nil if the group has no
// such task.
func (ar *AllocRunner) taskRunner(name string) *taskRunner {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	return ar.tasks[name]
}
