package allocrunner

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/taskenv"
	"github.com/drover-sh/drover/internal/logfile"
)

// prestartHook prepares a task before the driver starts it. Hooks run in
// order, once per task runner (not per restart), and must be idempotent: a
// restarted agent runs them again for a task it reattaches to. Later
// features (artifacts, templates, service registration) add hooks here.
type prestartHook interface {
	// Name names the hook in logs and errors.
	Name() string
	// Prestart does the hook's work. ctx ends when the task runner stops.
	Prestart(ctx context.Context, tr *taskRunner) error
}

// hookFailure is a prestart error that fails the task with a specific event
// type (Setup Failure unless set). A recoverable failure is retried per the
// task's restart policy instead of failing the task at once.
type hookFailure struct {
	eventType   string
	recoverable bool
	err         error
}

func (e *hookFailure) Error() string { return e.err.Error() }
func (e *hookFailure) Unwrap() error { return e.err }

// defaultHooks is the prestart chain, in the order the hooks run. The driver
// start and the wait for the task's exit follow in the task runner's loop.
func defaultHooks() []prestartHook {
	return []prestartHook{taskDirHook{}, dispatchPayloadHook{}, envHook{}, validateHook{}, artifactHook{}, logRotateHook{}}
}

// taskDirHook creates the allocation's shared directory and the task's own.
type taskDirHook struct{}

func (taskDirHook) Name() string { return "task_dir" }

func (taskDirHook) Prestart(_ context.Context, tr *taskRunner) error {
	if err := buildAllocDir(tr.allocDir); err != nil {
		return err
	}
	return buildTaskDir(tr.taskDir, tr.logger)
}

// envHook builds the task's environment and interpolates its driver config.
type envHook struct{}

func (envHook) Name() string { return "env" }

func (envHook) Prestart(_ context.Context, tr *taskRunner) error {
	env := taskenv.Build(taskenv.Input{
		Alloc: tr.alloc(), Task: tr.task, Node: tr.cfg.Node,
		AllocDir: tr.allocDir, TaskDir: tr.taskDir, Path: tr.cfg.Path,
	})
	tr.env = env.Map()
	tr.driverConfig = env.ReplaceConfig(tr.task.Config)
	return nil
}

// validateHook asks the driver whether the interpolated config is valid.
type validateHook struct{}

func (validateHook) Name() string { return "validate" }

func (validateHook) Prestart(_ context.Context, tr *taskRunner) error {
	if err := tr.drv.ValidateConfig(tr.driverConfig); err != nil {
		return &hookFailure{eventType: drover.TaskFailedValidation, err: fmt.Errorf("driver config: %w", err)}
	}
	return nil
}

// logRotateHook runs a rotator for each of the task's log files until the
// task runner stops. With the client's log watcher the files are checked
// at every write, so a task writing fast stays near its bound. A full log
// disk is told on the task as an event, and again when it has space.
type logRotateHook struct{}

func (logRotateHook) Name() string { return "logs" }

func (logRotateHook) Prestart(ctx context.Context, tr *taskRunner) error {
	maxFiles, maxMB := drover.DefaultLogMaxFiles, drover.DefaultLogMaxFileSizeMB
	if lc := tr.task.LogConfig; lc != nil {
		if lc.MaxFiles > 0 {
			maxFiles = lc.MaxFiles
		}
		if lc.MaxFileSizeMB > 0 {
			maxMB = lc.MaxFileSizeMB
		}
	}
	interval := tr.cfg.LogRotateInterval
	for _, live := range []string{tr.stdoutPath(), tr.stderrPath()} {
		r := logfile.NewRotator(live, maxFiles, int64(maxMB)<<20, tr.logger)
		r.OnDiskFull = func(full bool) { tr.logDisk.note(tr, live, full) }
		var wake <-chan struct{}
		stop := func() {}
		if w := tr.cfg.LogWatcher; w != nil {
			var err error
			if wake, stop, err = w.Watch(live); err != nil {
				tr.logger.Debug("log file checked at intervals only", "log_file", live, "error", err)
				wake, stop = nil, func() {}
			}
		}
		go func() {
			defer stop()
			r.RunWatched(ctx, interval, wake)
		}()
	}
	return nil
}

// logDiskState follows whether the disk holding a task's log files is
// full, so that the task gets one event when the first of them finds it
// full and one when none does any more.
type logDiskState struct {
	mu   sync.Mutex
	full map[string]bool // log file → its disk is full
}

func (l *logDiskState) note(tr *taskRunner, file string, full bool) {
	l.mu.Lock()
	was := len(l.full) > 0
	if l.full == nil {
		l.full = map[string]bool{}
	}
	if full {
		l.full[file] = true
	} else {
		delete(l.full, file)
	}
	now := len(l.full) > 0
	l.mu.Unlock()
	switch {
	case now && !was:
		tr.emit(tr.event(drover.TaskLogDiskFull, "The disk holding the task's logs is full: its output is lost until there is space"), nil)
	case was && !now:
		tr.emit(tr.event(drover.TaskLogDiskSpace, "The disk holding the task's logs has space again"), nil)
	}
}

func (tr *taskRunner) stdoutPath() string {
	return filepath.Join(LogDir(tr.allocDir), tr.task.Name+".stdout")
}

func (tr *taskRunner) stderrPath() string {
	return filepath.Join(LogDir(tr.allocDir), tr.task.Name+".stderr")
}
