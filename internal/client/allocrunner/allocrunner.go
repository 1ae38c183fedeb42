// Package allocrunner runs one allocation on a client: it builds the
// allocation directory, runs each task of the group with a task runner
// (prestart hooks, driver start, wait, restarts per the restart policy),
// derives the allocation's client status from its tasks and reports every
// change through a callback. It records task states and driver handles in
// the client's local state so a restarted agent can reattach.
package allocrunner

import (
	"context"
	"errors"
	"fmt"
	"github.com/drover-sh/drover/internal/artifact"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/clientstate"
	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/logfile"
)

// Config is what an AllocRunner needs.
type Config struct {
	// Alloc is the allocation as the servers sent it, with its Job.
	Alloc *drover.Allocation
	// Node is this client's node, for interpolation; may be nil.
	Node *drover.Node
	// Drivers are the drivers tasks may use.
	Drivers *driver.Registry
	// AllocRoot is the directory holding allocation directories; this
	// allocation's is AllocRoot/<allocID>.
	AllocRoot string
	// State records allocations, task states and handles.
	State clientstate.State
	// OnUpdate is called with a copy of the allocation carrying the new
	// ClientStatus, ClientDescription and TaskStates after every change. It
	// must not block for long and must not call back into the runner.
	OnUpdate func(*drover.Allocation)
	Logger   *slog.Logger
	// Path is the agent's PATH, passed on to tasks.
	Path string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// LogRotateInterval is how often log files are checked for rotation
	// (default 5s).
	LogRotateInterval time.Duration
	// After is the timer of shutdown delays (default time.After), so that
	// tests can drive them with a fake clock.
	After func(time.Duration) <-chan time.Time
	// ArtifactLimits bound artifact downloads; nil means
	// artifact.DefaultLimits().
	ArtifactLimits *artifact.Limits
	// MaxKillTimeout caps every task's kill_timeout; 0 means no cap.
	MaxKillTimeout time.Duration
	// LogWatcher, when set, wakes the tasks' log rotation at every write;
	// without it logs are checked every LogRotateInterval only.
	LogWatcher *logfile.Watcher
}

// AllocRunner runs one allocation. Create it with New, then call Run (a new
// allocation) or Restore (one recorded by an earlier agent) once.
type AllocRunner struct {
	cfg      Config
	id       string
	logger   *slog.Logger
	allocDir string

	mu      sync.Mutex
	current *drover.Allocation
	tasks   map[string]*taskRunner
	order   []string // task names in group order
	// taskList holds the tasks the runners run, in group order; nil until
	// start created every runner.
	taskList []*drover.Task
	status   string
	desc     string
	// phase is how far the group's lifecycle got (see lifecycle.go);
	// stopping is set once the allocation began stopping its tasks.
	phase    phase
	stopping bool

	// seq numbers the snapshots taken under mu; reportMu and reported
	// make sure OnUpdate never sees an older snapshot after a newer one
	// (tasks change from several goroutines).
	seq      uint64
	reportMu sync.Mutex
	reported uint64

	// live counts the task runs under way (a task that runs again after
	// an allocation restart has a run of its own); done is closed when it
	// drops to zero.
	live       int
	done       chan struct{} // closed when every task runner has returned
	forceCh    chan struct{} // closed by Kill and Destroy: no more waiting
	forceOnce  sync.Once
	shutdownCh chan struct{} // closed by Shutdown: leave the tasks alone
	shutOnce   sync.Once
}

// New returns a runner for cfg.Alloc. It records the allocation in the
// local state.
func New(cfg Config) (*AllocRunner, error) {
	if cfg.Alloc == nil || cfg.Alloc.Job == nil {
		return nil, errors.New("allocrunner: allocation without job")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.LogRotateInterval <= 0 {
		cfg.LogRotateInterval = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.OnUpdate == nil {
		cfg.OnUpdate = func(*drover.Allocation) {}
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	a := cfg.Alloc
	ar := &AllocRunner{
		cfg:      cfg,
		id:       a.ID,
		logger:   cfg.Logger.With("alloc_id", a.ID),
		allocDir: filepath.Join(cfg.AllocRoot, a.ID),
		current:  a,
		tasks:    map[string]*taskRunner{},
		done:     make(chan struct{}),
		status:   a.ClientStatus,

		forceCh:    make(chan struct{}),
		shutdownCh: make(chan struct{}),
	}
	if tg := a.Job.LookupTaskGroup(a.TaskGroup); tg == nil {
		return nil, fmt.Errorf("allocrunner: alloc %s: group %q not in job %q", a.ID, a.TaskGroup, a.Job.ID)
	}
	if err := cfg.State.PutAlloc(a); err != nil {
		return nil, fmt.Errorf("allocrunner: record alloc %s: %w", a.ID, err)
	}
	return ar, nil
}

// ID returns the allocation's ID.
func (ar *AllocRunner) ID() string { return ar.id }

// AllocDir returns the allocation directory.
func (ar *AllocRunner) AllocDir() string { return ar.allocDir }

// HasTask reports whether the allocation's group has the named task.
func (ar *AllocRunner) HasTask(name string) bool {
	a := ar.alloc()
	return a.Job.LookupTaskGroup(a.TaskGroup).LookupTask(name) != nil
}

func (ar *AllocRunner) alloc() *drover.Allocation {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	return ar.current
}

// Alloc returns a copy of the allocation with the client's view: status,
// description and task states.
func (ar *AllocRunner) Alloc() *drover.Allocation {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	return ar.snapshotLocked()
}

func (ar *AllocRunner) snapshotLocked() *drover.Allocation {
	c := *ar.current
	c.ClientStatus, c.ClientDescription = ar.status, ar.desc
	c.TaskStates = make(map[string]*drover.TaskState, len(ar.tasks))
	for name, tr := range ar.tasks {
		c.TaskStates[name] = tr.State()
	}
	return &c
}

// Run starts the allocation's tasks. It does not block.
func (ar *AllocRunner) Run() { ar.start(nil) }

// Restore resumes an allocation an earlier agent ran: task states come from
// the local state, and each task with a recorded handle is reattached with
// the driver's RecoverTask — not restarted. A task whose process is gone is
// restarted per its policy; a dead task stays dead. It does not block.
func (ar *AllocRunner) Restore() error {
	handles := map[string]*driver.TaskHandle{}
	states := map[string]*drover.TaskState{}
	for _, t := range ar.group().Tasks {
		h, err := ar.cfg.State.TaskHandle(ar.id, t.Name)
		if err != nil {
			return fmt.Errorf("allocrunner: restore %s/%s handle: %w", ar.id, t.Name, err)
		}
		s, err := ar.cfg.State.TaskState(ar.id, t.Name)
		if err != nil {
			return fmt.Errorf("allocrunner: restore %s/%s state: %w", ar.id, t.Name, err)
		}
		handles[t.Name], states[t.Name] = h, s
	}
	ar.start(func(name string) (*driver.TaskHandle, *drover.TaskState) { return handles[name], states[name] })
	return nil
}

// RestoredTaskState is the state a task resumes with after an agent
// restart, from its recorded handle h and its recorded state s (either may
// be nil; s is not modified). A task with a handle was started, even when
// the state recorded before the agent stopped does not say so yet: it gets
// its start time and Started event from the handle. A pending handle (see
// driver.Cleaner) does not count as started.
func RestoredTaskState(h *driver.TaskHandle, s *drover.TaskState) *drover.TaskState {
	var out drover.TaskState
	if s != nil {
		out = *s
		out.Events = append([]*drover.TaskEvent(nil), s.Events...)
	} else {
		out.State = drover.TaskStatePending
	}
	if h == nil || h.Config == nil || h.Pending || out.State == drover.TaskStateDead || !out.StartedAt.IsZero() {
		return &out
	}
	started := h.StartedAt
	if started.IsZero() {
		started = time.Now()
	}
	out.State, out.StartedAt = drover.TaskStateRunning, started
	out.Events = append(out.Events, &drover.TaskEvent{Type: drover.TaskStarted, Time: started.UnixNano(),
		Message: "Task started by client", DisplayMessage: "Task started by client", Details: map[string]string{}})
	return &out
}

func (ar *AllocRunner) group() *drover.TaskGroup {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	return ar.groupLocked()
}

func (ar *AllocRunner) groupLocked() *drover.TaskGroup {
	return ar.current.Job.LookupTaskGroup(ar.current.TaskGroup)
}

// start creates and runs the task runners; restored (nil for a fresh
// allocation) gives each task's recorded handle and state.
func (ar *AllocRunner) start(restored func(string) (*driver.TaskHandle, *drover.TaskState)) {
	type launch struct {
		tr *taskRunner
		h  *driver.TaskHandle
	}
	var launches []launch
	tg := ar.group()
	ar.mu.Lock()
	for _, t := range tg.Tasks {
		var h *driver.TaskHandle
		state := &drover.TaskState{State: drover.TaskStatePending}
		if restored != nil {
			if rh, rs := restored(t.Name); rs != nil || rh != nil {
				h, state = rh, RestoredTaskState(rh, rs)
			}
			if h == nil && state.State == drover.TaskStateRunning {
				// It ran, but nothing recorded lets us reattach to it:
				// an empty handle makes the task runner count it as
				// gone and restart it per its policy.
				h = &driver.TaskHandle{}
			}
		}
		drv, ok := ar.cfg.Drivers.Get(t.Driver)
		tr := newTaskRunner(ar, ar.current.Job.Type, t, drv, state)
		if !ok {
			tr.hooks = []prestartHook{missingDriverHook{name: t.Driver}}
		}
		ar.tasks[t.Name] = tr
		ar.order = append(ar.order, t.Name)
		launches = append(launches, launch{tr, h})
	}
	ar.taskList = tg.Tasks
	ar.live = len(launches)
	if ar.live == 0 {
		close(ar.done)
	}
	states := ar.statesLocked()
	ar.status, ar.desc = computeStatus(tg.Tasks, states)
	ar.advanceLocked(states)
	// A restored allocation is reported now, whole, when it is still live
	// or its recorded tasks put it in another status than its copy says:
	// the servers may not have heard the last change before the agent
	// stopped (a task's start recorded here, its update never sent), or
	// the copy is theirs after the local state was lost, and its tasks
	// may not change again for a long time.
	var snap *drover.Allocation
	var seq uint64
	if restored != nil && (ar.status != ar.current.ClientStatus || !drover.ClientStatusTerminal(ar.status)) {
		snap = ar.snapshotLocked()
		ar.seq++
		seq = ar.seq
	}
	ar.mu.Unlock()
	if snap != nil {
		ar.report(seq, snap)
	}

	for _, l := range launches {
		go ar.runTask(l.tr, l.h)
	}
	if ar.alloc().ServerTerminal() {
		ar.beginStop(stopCause{reason: "allocation stopped by the servers"})
	}
	ar.stopIfCalledFor(tg.Tasks, states)
}

// runTask runs one task runner and closes done after the last run
// returned. The caller counted the run in live.
func (ar *AllocRunner) runTask(tr *taskRunner, h *driver.TaskHandle) {
	tr.run(h)
	ar.mu.Lock()
	defer ar.mu.Unlock()
	if ar.live--; ar.live == 0 {
		close(ar.done)
	}
}

func (ar *AllocRunner) statesLocked() map[string]*drover.TaskState {
	m := make(map[string]*drover.TaskState, len(ar.tasks))
	for n, tr := range ar.tasks {
		m[n] = tr.State()
	}
	return m
}

// taskStateChanged is called by a task runner after each change of its
// state: it recomputes the allocation's status, lets the tasks whose
// lifecycle phase came start, stops the other tasks when a task failed for
// good, the leader finished or only sidecars are left, and reports the
// change.
func (ar *AllocRunner) taskStateChanged() {
	ar.mu.Lock()
	tasks := ar.taskList
	if tasks == nil {
		ar.mu.Unlock() // still creating runners; start reports once done
		return
	}
	states := ar.statesLocked()
	ar.status, ar.desc = computeStatus(tasks, states)
	ar.advanceLocked(states)
	snap := ar.snapshotLocked()
	ar.seq++
	seq := ar.seq
	ar.mu.Unlock()
	ar.report(seq, snap)
	ar.stopIfCalledFor(tasks, states)
}

// report hands snap, the seq-th snapshot, to OnUpdate unless a newer one
// was handed over already.
func (ar *AllocRunner) report(seq uint64, snap *drover.Allocation) {
	ar.reportMu.Lock()
	defer ar.reportMu.Unlock()
	if seq <= ar.reported {
		return
	}
	ar.reported = seq
	ar.cfg.OnUpdate(snap)
}

// advanceLocked moves the lifecycle on as far as states allow and opens the
// start gate of every task whose phase has come.
func (ar *AllocRunner) advanceLocked(states map[string]*drover.TaskState) {
	ar.phase = nextPhase(ar.phase, ar.stopping, ar.taskList, states)
	for _, t := range ar.taskList {
		if phaseOf(t) <= ar.phase {
			ar.tasks[t.Name].openGate()
		}
	}
}

// stopIfCalledFor begins stopping the tasks when their states call for it.
func (ar *AllocRunner) stopIfCalledFor(tasks []*drover.Task, states map[string]*drover.TaskState) {
	if cause, ok := selfStopCause(tasks, states); ok {
		ar.beginStop(cause)
	}
}

// computeStatus derives the allocation's client status from its tasks, as
// Nomad does: any task failed → failed; any running → running; any main or
// prestart or poststart task not yet started → pending; all finished →
// complete. Poststop tasks that have yet to run once all the others are
// dead keep the allocation running: they start at once.
func computeStatus(tasks []*drover.Task, states map[string]*drover.TaskState) (status, desc string) {
	var pending, poststopPending, running, failed int
	for _, t := range tasks {
		s := states[t.Name]
		switch {
		case s == nil:
		case s.Failed:
			failed++
		case s.State == drover.TaskStateRunning:
			running++
		case s.State == drover.TaskStatePending && phaseOf(t) == phasePoststop:
			poststopPending++
		case s.State == drover.TaskStatePending:
			pending++
		}
	}
	switch {
	case failed > 0:
		return drover.AllocClientStatusFailed, "Failed tasks"
	case running > 0:
		return drover.AllocClientStatusRunning, "Tasks are running"
	case pending > 0:
		return drover.AllocClientStatusPending, "No tasks have started"
	case poststopPending > 0:
		return drover.AllocClientStatusRunning, "Poststop tasks are starting"
	default:
		return drover.AllocClientStatusComplete, "All tasks have completed"
	}
}

// Update hands the runner a newer version of its allocation from the
// servers. When the servers want it stopped, its tasks are stopped in the
// background: after the group's shutdown_delay, the leader first, then the
// other tasks, the sidecars last, each after its own shutdown_delay with
// its kill_signal and kill_timeout; then the poststop tasks run.
func (ar *AllocRunner) Update(a *drover.Allocation) {
	ar.mu.Lock()
	ar.current = a
	ar.mu.Unlock()
	if err := ar.cfg.State.PutAlloc(a); err != nil {
		ar.logger.Error("recording alloc update failed", "error", err)
	}
	if a.ServerTerminal() {
		reason := a.DesiredDescription
		if reason == "" {
			reason = "allocation stopped by the servers"
		}
		ar.beginStop(stopCause{reason: reason})
	}
}

// WaitCh is closed once every task runner has returned (tasks done, killed,
// or the runner shut down).
func (ar *AllocRunner) WaitCh() <-chan struct{} { return ar.done }

// Destroy kills the tasks, waits for them to exit, then removes the
// allocation directory and forgets the allocation in the local state. Like
// Kill and Shutdown, it must follow Run or Restore.
func (ar *AllocRunner) Destroy() error {
	ar.killAll("allocation destroyed")
	<-ar.done
	var errs []error
	if err := removeAllocDir(ar.allocDir); err != nil {
		errs = append(errs, err)
	}
	if err := ar.cfg.State.DeleteAlloc(ar.id); err != nil {
		errs = append(errs, fmt.Errorf("allocrunner: forget alloc: %w", err))
	}
	return errors.Join(errs...)
}

// Kill kills the tasks and waits for them to exit, leaving the allocation
// directory and records in place; the tasks' secrets tmpfs, which no task
// uses any more, is unmounted (its contents are gone).
func (ar *AllocRunner) Kill() {
	ar.killAll("client shutting down")
	<-ar.done
	if err := unmountAllocDir(ar.allocDir); err != nil {
		ar.logger.Warn("unmounting the allocation's secrets failed", "error", err)
	}
}

// Shutdown stops the task runners without touching the tasks, which keep
// running for a later agent to reattach to. It waits for the runners.
func (ar *AllocRunner) Shutdown() {
	ar.shutOnce.Do(func() { close(ar.shutdownCh) })
	ar.mu.Lock()
	for _, tr := range ar.tasks {
		tr.cancel()
	}
	ar.mu.Unlock()
	<-ar.done
}

// missingDriverHook fails a task whose driver this client does not have.
type missingDriverHook struct{ name string }

func (h missingDriverHook) Name() string { return "driver" }

func (h missingDriverHook) Prestart(_ context.Context, _ *taskRunner) error {
	return &hookFailure{eventType: drover.TaskDriverFailure, err: fmt.Errorf("driver %q is not available on this client", h.name)}
}
