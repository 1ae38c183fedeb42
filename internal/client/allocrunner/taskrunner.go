package allocrunner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/driver"
)

// taskRunner runs one task of an allocation through its life: prestart
// hooks, driver start, wait, and restarts per the restart policy, until the
// task is done, it is killed, or the runner is shut down (which leaves the
// task running for a later agent to reattach to).
type taskRunner struct {
	cfg      *Config
	ar       *AllocRunner
	task     *drover.Task
	logger   *slog.Logger
	drv      driver.Driver
	tracker  *RestartTracker
	hooks    []prestartHook
	allocDir string
	taskDir  string

	// Set by the hooks.
	env          map[string]string
	driverConfig map[string]any

	ctx    context.Context // ends at shutdown: stop watching, leave the task alone
	cancel context.CancelFunc
	done   chan struct{}

	killCh     chan struct{}
	killOnce   sync.Once
	killReason string // written before killCh closes

	userRestart userRestart  // see control.go
	logDisk     logDiskState // see hooks.go

	// gate is closed when the task's lifecycle phase has come (see
	// lifecycle.go); the task waits for it before its first start, and
	// again when the whole allocation restarts (control.go), which makes a
	// new one.
	gateMu   sync.Mutex
	gate     chan struct{}
	gateOpen bool
	// rerun marks the runner of a task that ran to its end and runs again
	// because the allocation restarts: it waits for its phase again.
	rerun bool

	mu    sync.Mutex
	state *drover.TaskState
	// persistMu orders changes with their writes to the local state: the
	// alloc runner changes a task's state too (lifecycle and shutdown
	// events), and an older copy must never be written over a newer one.
	persistMu sync.Mutex

	// handle is the handle of the task the driver runs now; nil between
	// runs. Read by RunningTasks for resource sampling.
	handle atomic.Pointer[driver.TaskHandle]
}

func newTaskRunner(ar *AllocRunner, jobType string, task *drover.Task, drv driver.Driver, state *drover.TaskState) *taskRunner {
	ctx, cancel := context.WithCancel(context.Background())
	return &taskRunner{
		cfg:      &ar.cfg,
		ar:       ar,
		task:     task,
		logger:   ar.logger.With("task", task.Name),
		drv:      drv,
		tracker:  NewRestartTracker(task.RestartPolicy, jobType, ar.cfg.Now).ForLifecycle(task.Lifecycle),
		hooks:    defaultHooks(),
		allocDir: ar.allocDir,
		taskDir:  filepath.Join(ar.allocDir, task.Name),
		ctx:      ctx,
		cancel:   cancel,
		done:     make(chan struct{}),
		killCh:   make(chan struct{}),
		gate:     make(chan struct{}),
		state:    state,
	}
}

func (tr *taskRunner) alloc() *drover.Allocation { return tr.ar.alloc() }

// Kill asks the runner to stop the task for good. It does not wait.
func (tr *taskRunner) Kill(reason string) {
	tr.killOnce.Do(func() {
		tr.killReason = reason
		close(tr.killCh)
	})
}

// openGate lets the task start; the alloc runner calls it when the task's
// lifecycle phase has come.
func (tr *taskRunner) openGate() {
	tr.gateMu.Lock()
	defer tr.gateMu.Unlock()
	if !tr.gateOpen {
		close(tr.gate)
		tr.gateOpen = true
	}
}

// closeGate makes the task wait for its phase again at its next start (see
// waitGate); the alloc runner opens the gate when the phase comes back.
func (tr *taskRunner) closeGate() {
	tr.gateMu.Lock()
	defer tr.gateMu.Unlock()
	if tr.gateOpen {
		tr.gate = make(chan struct{})
		tr.gateOpen = false
	}
}

func (tr *taskRunner) gateCh() <-chan struct{} {
	tr.gateMu.Lock()
	defer tr.gateMu.Unlock()
	return tr.gate
}

// waitGate waits until the task may start. It reports false when the task
// was killed first (it is then dead, never having run) or the runner shut
// down.
func (tr *taskRunner) waitGate() bool {
	select {
	case <-tr.gateCh():
		if !tr.killed() {
			return true
		}
	case <-tr.killCh:
	case <-tr.ctx.Done():
		return false
	}
	tr.finishKilled()
	return false
}

// dead reports whether the task is dead.
func (tr *taskRunner) dead() bool { return tr.State().State == drover.TaskStateDead }

func (tr *taskRunner) killed() bool {
	select {
	case <-tr.killCh:
		return true
	default:
		return false
	}
}

// State returns a copy of the task's state.
func (tr *taskRunner) State() *drover.TaskState {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	c := *tr.state
	c.Events = append([]*drover.TaskEvent(nil), tr.state.Events...)
	return &c
}

// update changes the task state under the lock, then persists it and tells
// the alloc runner.
func (tr *taskRunner) update(f func(s *drover.TaskState)) {
	tr.persistMu.Lock()
	tr.mu.Lock()
	f(tr.state)
	if n := len(tr.state.Events); n > drover.MaxTaskEvents {
		tr.state.Events = append([]*drover.TaskEvent(nil), tr.state.Events[n-drover.MaxTaskEvents:]...)
	}
	tr.mu.Unlock()
	s := tr.State()
	if err := tr.cfg.State.PutTaskState(tr.ar.id, tr.task.Name, s); err != nil {
		tr.logger.Error("persisting task state failed", "error", err)
	}
	tr.persistMu.Unlock()
	tr.ar.taskStateChanged()
}

func (tr *taskRunner) now() time.Time { return tr.cfg.Now() }

func (tr *taskRunner) event(typ, msg string) *drover.TaskEvent {
	return &drover.TaskEvent{Type: typ, Time: tr.now().UnixNano(), DisplayMessage: msg, Message: msg, Details: map[string]string{}}
}

// emit appends an event, optionally changing the state too.
func (tr *taskRunner) emit(ev *drover.TaskEvent, f func(s *drover.TaskState)) {
	tr.update(func(s *drover.TaskState) {
		s.Events = append(s.Events, ev)
		if f != nil {
			f(s)
		}
	})
}

// run is the task's life. restored, when set, is the handle of a task an
// earlier agent started: the runner reattaches instead of starting it.
func (tr *taskRunner) run(restored *driver.TaskHandle) {
	defer close(tr.done)
	defer tr.cancel()
	if restored != nil && restored.Pending {
		// An earlier agent died while starting the task: it may run.
		tr.cleanupPending(restored)
		restored = nil
	}
	if tr.State().State == drover.TaskStateDead {
		if restored != nil && restored.Config != nil {
			tr.stopLeftover(restored)
		}
		return
	}
	if restored == nil && len(tr.State().Events) == 0 {
		tr.emit(tr.event(drover.TaskReceived, "Task received by client"), nil)
	}
	// A task that never started waits for its lifecycle phase; one that
	// ran before the agent restarted already had its turn.
	if (restored == nil || restored.Config == nil) && (tr.State().StartedAt.IsZero() || tr.rerun) && !tr.waitGate() {
		return
	}
	if err := tr.prestart(restored == nil); err != nil {
		return
	}
	h := tr.reattach(restored)
	if h == nil && restored != nil && !tr.tryRestart(&driver.ExitResult{Err: errors.New("task was gone when the agent restarted")}) {
		return
	}
	for {
		if h == nil {
			if tr.killed() {
				tr.finishKilled()
				return
			}
			var err error
			if h, err = tr.start(); err != nil {
				if !tr.onStartError(err) {
					return
				}
				continue
			}
		}
		res, shutdown := tr.wait(h)
		if shutdown {
			return
		}
		exited := h.Config.ID
		tr.release(h)
		h = nil
		tr.emit(terminatedEvent(tr.event(drover.TaskTerminated, res.String()), res), nil)
		if tr.killed() {
			tr.finishKilled()
			return
		}
		if restart, regate := tr.takeUserRestart(exited); restart {
			if regate && !tr.waitGate() {
				return
			}
			continue
		}
		if !tr.tryRestart(res) {
			return
		}
	}
}

// prestart runs the hooks; a failure fails the task (a recoverable one once
// the restart policy gives up, see hookFailed). announce
// emits the Task Setup event (not when reattaching to a running task).
func (tr *taskRunner) prestart(announce bool) error {
	if announce {
		tr.emit(tr.event(drover.TaskSetup, "Building Task Directory"), nil)
	}
	for i := 0; i < len(tr.hooks); {
		h := tr.hooks[i]
		err := h.Prestart(tr.ctx, tr)
		if err == nil {
			i++
			continue
		}
		if !tr.hookFailed(h, err) {
			return err
		}
	}
	return nil
}

// hookFailed records a failed prestart hook and reports whether to run it
// again: a recoverable failure is retried per the restart policy, anything
// else fails the task for good. A failure caused by the runner shutting
// down records nothing (a later agent prepares the task again), and one
// caused by a kill finishes the task as killed.
func (tr *taskRunner) hookFailed(h prestartHook, err error) bool {
	if tr.ctx.Err() != nil {
		return false
	}
	if tr.killed() {
		tr.finishKilled()
		return false
	}
	typ, recoverable := drover.TaskSetupFailure, false
	var hf *hookFailure
	if errors.As(err, &hf) {
		typ, recoverable = hf.eventType, hf.recoverable
	}
	msg := fmt.Sprintf("%s: %v", h.Name(), err)
	tr.logger.Error("task setup failed", "hook", h.Name(), "error", err)
	ev := tr.event(typ, msg)
	ev.SetupError = msg
	if typ == drover.TaskArtifactDownloadFailed {
		ev.DownloadError = err.Error()
	}
	if recoverable {
		d := tr.tracker.OnStartError(fmt.Errorf("%w: %w", driver.ErrRecoverable, err))
		ev.FailsTask = d.Failed
		tr.emit(ev, nil)
		return tr.apply(d)
	}
	ev.FailsTask = true
	tr.emit(ev, func(s *drover.TaskState) { s.State, s.Failed, s.FinishedAt = drover.TaskStateDead, true, tr.now() })
	return false
}

// reattach recovers the task from an earlier agent's handle; nil when there
// is none or the task is gone.
func (tr *taskRunner) reattach(h *driver.TaskHandle) *driver.TaskHandle {
	if h == nil || h.Config == nil {
		return nil
	}
	if err := tr.drv.RecoverTask(h); err != nil {
		tr.logger.Info("task could not be reattached", "task_id", h.Config.ID, "error", err)
		tr.persistHandle(nil)
		return nil
	}
	tr.logger.Info("reattached to task", "task_id", h.Config.ID)
	// Written again so that every record of it is complete: a handle
	// recorded by an older agent lacks its driver's name and its own file.
	if h.Driver == "" {
		h.Driver = tr.drv.Name()
	}
	tr.persistHandle(h)
	tr.update(func(s *drover.TaskState) { s.State = drover.TaskStateRunning })
	return h
}

// stopLeftover stops the process of a handle recorded for a task whose
// state says it is dead (the servers' copy can say so when the local state
// was lost): nothing may run for a dead task.
func (tr *taskRunner) stopLeftover(h *driver.TaskHandle) {
	if err := tr.drv.RecoverTask(h); err != nil {
		tr.persistHandle(nil)
		return
	}
	tr.logger.Warn("a task recorded as dead was still running; stopping it", "task_id", h.Config.ID)
	timeout := tr.task.KillTimeout
	if timeout <= 0 {
		timeout = drover.DefaultKillTimeout
	}
	if err := tr.drv.StopTask(h.Config.ID, timeout, tr.task.KillSignal); err != nil && !errors.Is(err, driver.ErrTaskNotFound) {
		tr.logger.Error("stopping leftover task failed", "task_id", h.Config.ID, "error", err)
		return // keep the handle: the next agent tries again
	}
	if err := tr.drv.DestroyTask(h.Config.ID, true); err != nil && !errors.Is(err, driver.ErrTaskNotFound) {
		tr.logger.Warn("releasing leftover task failed", "task_id", h.Config.ID, "error", err)
	}
	tr.persistHandle(nil)
}

// cleanupPending stops what an earlier agent's start of the task may have
// left running: it recorded a pending handle, then died before the
// driver's handle was recorded. The task is then started afresh.
func (tr *taskRunner) cleanupPending(h *driver.TaskHandle) {
	if c, ok := tr.drv.(driver.Cleaner); ok && h.Config != nil {
		if err := c.CleanupTask(h.Config); err != nil {
			tr.logger.Error("cleaning up a start an earlier agent did not finish recording failed", "task_id", h.Config.ID, "error", err)
		}
	}
	if err := tr.cfg.State.PutTaskHandle(tr.ar.id, tr.task.Name, nil); err != nil {
		tr.logger.Error("persisting task handle failed", "error", err)
	}
}

func (tr *taskRunner) persistHandle(h *driver.TaskHandle) {
	tr.handle.Store(h)
	if err := tr.cfg.State.PutTaskHandle(tr.ar.id, tr.task.Name, h); err != nil {
		tr.logger.Error("persisting task handle failed", "error", err)
	}
}

// taskConfig is what the driver is given for one run of the task.
func (tr *taskRunner) taskConfig() *driver.TaskConfig {
	a := tr.alloc()
	tc := &driver.TaskConfig{
		ID:         fmt.Sprintf("%s/%s/%s", a.ID, tr.task.Name, drover.GenerateID()[:8]),
		AllocID:    a.ID,
		TaskGroup:  a.TaskGroup,
		Name:       tr.task.Name,
		Config:     tr.driverConfig,
		Env:        tr.env,
		User:       tr.task.User,
		AllocDir:   tr.allocDir,
		TaskDir:    tr.taskDir,
		StdoutPath: tr.stdoutPath(),
		StderrPath: tr.stderrPath(),
	}
	if a.Job != nil {
		tc.JobName = a.Job.Name
	}
	if r := tr.task.Resources; r != nil {
		tc.CPUShares, tc.MemoryMB, tc.MemoryMaxMB = int64(r.CPU), int64(r.MemoryMB), int64(r.MemoryMaxMB)
	}
	if a.AllocatedResources != nil {
		if r := a.AllocatedResources.Tasks[tr.task.Name]; r != nil {
			tc.CPUShares, tc.MemoryMB, tc.MemoryMaxMB = r.Cpu.CpuShares, r.Memory.MemoryMB, r.Memory.MemoryMaxMB
		}
	}
	return tc
}

func (tr *taskRunner) start() (*driver.TaskHandle, error) {
	cfg := tr.taskConfig()
	_, pending := tr.drv.(driver.Cleaner)
	if pending {
		// Recorded before the start, so that the next agent can find the
		// task should this one die before recording the driver's handle.
		p := &driver.TaskHandle{Config: cfg, Driver: tr.drv.Name(), Pending: true}
		if err := tr.cfg.State.PutTaskHandle(tr.ar.id, tr.task.Name, p); err != nil {
			tr.logger.Error("persisting pending task handle failed", "error", err)
		}
	}
	h, err := tr.drv.StartTask(cfg)
	if err != nil {
		if pending {
			if perr := tr.cfg.State.PutTaskHandle(tr.ar.id, tr.task.Name, nil); perr != nil {
				tr.logger.Error("persisting task handle failed", "error", perr)
			}
		}
		return nil, err
	}
	h.Driver = tr.drv.Name()
	tr.persistHandle(h)
	tr.emit(tr.event(drover.TaskStarted, "Task started by client"), func(s *drover.TaskState) {
		s.State, s.StartedAt = drover.TaskStateRunning, tr.now()
	})
	return h, nil
}

// onStartError records a failed start and reports whether to try again.
func (tr *taskRunner) onStartError(err error) bool {
	d := tr.tracker.OnStartError(err)
	ev := tr.event(drover.TaskDriverFailure, err.Error())
	ev.DriverError, ev.FailsTask = err.Error(), d.Failed
	tr.logger.Warn("task failed to start", "error", err, "restart", d.Restart)
	tr.emit(ev, nil)
	return tr.apply(d)
}

// tryRestart decides after an exit and reports whether to start again.
func (tr *taskRunner) tryRestart(res *driver.ExitResult) bool {
	return tr.apply(tr.tracker.OnExit(res))
}

// apply carries out a restart decision: wait out the delay (a kill cuts it
// short) and report true, or mark the task dead and report false.
func (tr *taskRunner) apply(d Decision) bool {
	if !d.Restart {
		if d.Failed {
			ev := tr.event(drover.TaskNotRestarting, d.Reason)
			ev.RestartReason, ev.FailsTask = d.Reason, true
			tr.emit(ev, func(s *drover.TaskState) { s.State, s.Failed, s.FinishedAt = drover.TaskStateDead, true, tr.now() })
		} else {
			tr.update(func(s *drover.TaskState) { s.State, s.FinishedAt = drover.TaskStateDead, tr.now() })
		}
		return false
	}
	ev := tr.event(drover.TaskRestarting, fmt.Sprintf("Task restarting in %s", d.Delay))
	ev.RestartReason, ev.StartDelay = d.Reason, int64(d.Delay)
	ev.Details["restart_reason"], ev.Details["start_delay"] = d.Reason, strconv.FormatInt(int64(d.Delay), 10)
	tr.emit(ev, func(s *drover.TaskState) {
		s.State, s.Restarts, s.LastRestart = drover.TaskStatePending, s.Restarts+1, tr.now()
	})
	t := time.NewTimer(d.Delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-tr.killCh:
		tr.finishKilled()
		return false
	case <-tr.ctx.Done():
		return false
	}
}

// wait blocks until the task exits (returning its result) or the runner is
// shut down (shutdown true). A kill request stops the task and goes on
// waiting for its exit.
func (tr *taskRunner) wait(h *driver.TaskHandle) (res *driver.ExitResult, shutdown bool) {
	ch, err := tr.drv.WaitTask(tr.ctx, h.Config.ID)
	if err != nil {
		return &driver.ExitResult{Err: fmt.Errorf("wait: %w", err)}, false
	}
	killCh := tr.killCh
	for {
		select {
		case r, ok := <-ch:
			if !ok || r == nil {
				if tr.ctx.Err() != nil {
					return nil, true
				}
				return &driver.ExitResult{Err: errors.New("exit not observed")}, false
			}
			return r, false
		case <-killCh:
			killCh = nil
			tr.stop(h)
		case <-tr.ctx.Done():
			return nil, true
		}
	}
}

// stop asks the driver to stop the task with its kill signal and timeout,
// after its shutdown_delay. When the runner shuts down during the delay the
// task is left running.
func (tr *taskRunner) stop(h *driver.TaskHandle) {
	if !tr.shutdownDelay() {
		return
	}
	timeout := tr.killTimeout()
	sig := tr.task.KillSignal
	if sig == "" {
		sig = "interrupt"
	}
	ev := tr.event(drover.TaskKilling, "Sent "+sig+". Waiting "+timeout.String()+" before force killing")
	ev.KillTimeout, ev.KillReason = timeout, tr.killReason
	tr.emit(ev, nil)
	if err := tr.drv.StopTask(h.Config.ID, timeout, tr.task.KillSignal); err != nil && !errors.Is(err, driver.ErrTaskNotFound) {
		tr.logger.Error("stopping task failed", "error", err)
	}
}

// killTimeout is how long the task is given to exit after its kill
// signal: its kill_timeout (default 5s), capped by the client's
// max_kill_timeout.
func (tr *taskRunner) killTimeout() time.Duration {
	timeout := tr.task.KillTimeout
	if timeout <= 0 {
		timeout = drover.DefaultKillTimeout
	}
	if limit := tr.cfg.MaxKillTimeout; limit > 0 && timeout > limit {
		timeout = limit
	}
	return timeout
}

// release lets the driver free what it holds for an exited task.
func (tr *taskRunner) release(h *driver.TaskHandle) {
	tr.persistHandle(nil)
	if err := tr.drv.DestroyTask(h.Config.ID, true); err != nil && !errors.Is(err, driver.ErrTaskNotFound) {
		tr.logger.Warn("releasing task failed", "error", err)
	}
}

func (tr *taskRunner) finishKilled() {
	ev := tr.event(drover.TaskKilled, "Task successfully killed")
	ev.KillReason = tr.killReason
	tr.emit(ev, func(s *drover.TaskState) { s.State, s.FinishedAt = drover.TaskStateDead, tr.now() })
}

func terminatedEvent(ev *drover.TaskEvent, res *driver.ExitResult) *drover.TaskEvent {
	ev.ExitCode, ev.Signal = res.ExitCode, res.Signal
	ev.Details["exit_code"] = strconv.Itoa(res.ExitCode)
	ev.Details["signal"] = strconv.Itoa(res.Signal)
	ev.Details["oom_killed"] = strconv.FormatBool(res.OOMKilled)
	if res.Err != nil {
		ev.Details["err"] = res.Err.Error()
	}
	return ev
}
