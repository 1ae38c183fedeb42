// Package mock is a real task driver whose tasks are goroutines steered by
// their config, for tests that need many cheap tasks with chosen behaviour
// (scheduler and client scale tests, failure handling).
//
// Task config keys, all optional:
//
//	run_for                 duration ("30s"); absent or "0": run until stopped
//	exit_code               int the task exits with after run_for
//	exit_signal             int signal the task reports it died of after run_for
//	exit_err_msg            string: the exit carries this error
//	start_error             string: StartTask fails with this message
//	start_error_recoverable bool: that failure wraps driver.ErrRecoverable
//	start_block_for         duration StartTask takes before returning
//	kill_after              duration the task takes to react to StopTask's
//	                        signal (StopTask's timeout still bounds it)
//	stdout_string           string written to the stdout log at start
//	stdout_repeat           int: write stdout_string this many more times,
//	stdout_repeat_duration  duration apart
//	stats_cpu_percent       number: the task uses this percent of one core
//	                        (user mode), so TaskStats' CPU time grows by it
//	stats_memory_mb         int: the RSS TaskStats reports, in MiB
//
// A stopped task exits with Signal set to the stop signal (SIGKILL when its
// timeout ran out) and exit code 128+signal. SignalTask accepts any known
// signal and otherwise ignores it. RecoverTask succeeds only for tasks this
// driver instance still tracks: goroutines do not survive an agent restart.
package mock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"syscall"
	"time"

	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/logfile"
)

// Name is the driver's name in job files.
const Name = "mock"

// Driver is the mock driver. It is safe for concurrent use.
type Driver struct {
	logger *slog.Logger
	now    func() time.Time // the clock of start times and stats; tests replace it

	mu    sync.Mutex
	tasks map[string]*task
}

var _ driver.Driver = (*Driver)(nil)

// New returns a mock driver. logger may be nil.
func New(logger *slog.Logger) *Driver {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Driver{logger: logger.With("driver", Name), now: time.Now, tasks: map[string]*task{}}
}

// Name returns "mock".
func (d *Driver) Name() string { return Name }

// Fingerprint always reports the driver healthy.
func (d *Driver) Fingerprint(ctx context.Context) driver.Fingerprint {
	return driver.Fingerprint{
		Detected:          true,
		Healthy:           true,
		HealthDescription: "healthy",
		Attributes:        map[string]string{"driver.mock": "1"},
	}
}

// ValidateConfig checks a config block against the keys in the package
// doc; unknown keys and wrong types are errors naming the key.
func (d *Driver) ValidateConfig(config map[string]any) error {
	_, err := parseConfig(config)
	return err
}

// StartTask starts the task's goroutine after start_block_for, or fails with
// start_error.
func (d *Driver) StartTask(cfg *driver.TaskConfig) (*driver.TaskHandle, error) {
	tc, err := parseConfig(cfg.Config)
	if err != nil {
		return nil, fmt.Errorf("failed to start task: invalid mock config: %w", err)
	}
	if tc.StartBlockFor > 0 {
		time.Sleep(tc.StartBlockFor) // the behaviour asked for, not synchronisation
	}
	if tc.StartError != "" {
		if tc.StartErrRecoverable {
			return nil, fmt.Errorf("failed to start task: %s: %w", tc.StartError, driver.ErrRecoverable)
		}
		return nil, fmt.Errorf("failed to start task: %s", tc.StartError)
	}
	if tc.StdoutString != "" {
		if err := writeStdout(cfg.StdoutPath, tc.StdoutString); err != nil {
			return nil, fmt.Errorf("failed to start task: %w", err)
		}
	}

	t := &task{
		id: cfg.ID, name: cfg.Name, cfg: tc, stdoutPath: cfg.StdoutPath,
		startedAt: d.now(),
		stopCh:    make(chan syscall.Signal, 1),
		killCh:    make(chan struct{}),
	}
	d.mu.Lock()
	if _, dup := d.tasks[cfg.ID]; dup {
		d.mu.Unlock()
		return nil, fmt.Errorf("failed to start task: task %q already exists", cfg.ID)
	}
	d.tasks[cfg.ID] = t
	d.mu.Unlock()
	go t.run(d.logger)

	state, _ := json.Marshal(map[string]string{"task_id": cfg.ID})
	return &driver.TaskHandle{Version: 1, Config: cfg, DriverState: state, StartedAt: t.startedAt}, nil
}

func writeStdout(path, s string) error {
	if path == "" {
		return nil
	}
	f, err := logfile.OpenAppend(path)
	if err != nil {
		return err
	}
	_, err = f.WriteString(s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write stdout: %w", err)
	}
	return nil
}

func (d *Driver) lookup(id string) (*task, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.tasks[id]
	if !ok {
		return nil, fmt.Errorf("mock task %q: %w", id, driver.ErrTaskNotFound)
	}
	return t, nil
}

// WaitTask returns a channel that yields the task's exit once, then closes;
// when ctx ends first it closes without a value.
func (d *Driver) WaitTask(ctx context.Context, taskID string) (<-chan *driver.ExitResult, error) {
	t, err := d.lookup(taskID)
	if err != nil {
		return nil, err
	}
	return t.Wait(ctx), nil
}

// StopTask delivers signal (SIGINT when empty); the task exits kill_after
// later, or is killed when timeout passes first. It returns once the task
// has exited.
func (d *Driver) StopTask(taskID string, timeout time.Duration, signal string) error {
	t, err := d.lookup(taskID)
	if err != nil {
		return err
	}
	sig := syscall.SIGINT
	if signal != "" {
		if sig, err = driver.ParseSignal(signal); err != nil {
			return fmt.Errorf("stop mock task %q: %w", taskID, err)
		}
	}
	select {
	case t.stopCh <- sig:
	default: // a stop is already pending
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-t.Done():
		return nil
	case <-timer.C:
	}
	t.kill()
	<-t.Done()
	return nil
}

// DestroyTask forgets the task; a running task is an error unless force is
// set, when it is killed first.
func (d *Driver) DestroyTask(taskID string, force bool) error {
	t, err := d.lookup(taskID)
	if err != nil {
		return err
	}
	if !t.Exited() {
		if !force {
			return fmt.Errorf("destroy mock task %q: task is still running", taskID)
		}
		t.kill()
		<-t.Done()
	}
	d.mu.Lock()
	delete(d.tasks, taskID)
	d.mu.Unlock()
	return nil
}

// RecoverTask succeeds for a task this driver still tracks and returns
// driver.ErrTaskNotFound for any other.
func (d *Driver) RecoverTask(h *driver.TaskHandle) error {
	if h == nil || h.Config == nil {
		return errors.New("recover mock task: handle has no task config")
	}
	_, err := d.lookup(h.Config.ID)
	return err
}

// InspectTask returns the task's state, times and, once exited, its exit.
func (d *Driver) InspectTask(taskID string) (*driver.TaskStatus, error) {
	t, err := d.lookup(taskID)
	if err != nil {
		return nil, err
	}
	return t.Status(t.id, t.name, t.startedAt), nil
}

// SignalTask checks the signal name and that the task runs; the signal has
// no effect on a mock task.
func (d *Driver) SignalTask(taskID string, signal string) error {
	t, err := d.lookup(taskID)
	if err != nil {
		return err
	}
	if _, err := driver.ParseSignal(signal); err != nil {
		return fmt.Errorf("signal mock task %q: %w", taskID, err)
	}
	if t.Exited() {
		return fmt.Errorf("signal mock task %q: task has exited", taskID)
	}
	return nil
}
