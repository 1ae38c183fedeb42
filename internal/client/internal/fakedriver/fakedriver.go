// Package fakedriver is an in-memory task driver for the client's tests:
// tasks are goroutines steered by their config, so tests can make a task
// exit, fail to start, or outlive an agent restart without any process.
//
// Config keys: "exit_code" (number) the task exits with; "run_for" (a
// duration string) how long it runs before exiting — absent, it runs until
// stopped; "stdout" text written to its stdout file at start; "start_error"
// makes StartTask fail, wrapping driver.ErrRecoverable when
// "start_error_recoverable" is true.
package fakedriver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/drover-sh/drover/internal/driver"
)

// Driver is a fake driver. The zero value is not usable; call New.
type Driver struct {
	name string

	mu        sync.Mutex
	unhealthy bool
	tasks     map[string]*task
	starts    map[string]int      // task name → StartTask calls that succeeded
	signals   map[string][]string // task name → signals sent, in order
	cleanups  int                 // CleanupTask calls
	// StartHook, when set, runs at each StartTask; an error fails the start.
	StartHook func(cfg *driver.TaskConfig) error
}

type task struct {
	cfg     *driver.TaskConfig
	started time.Time
	done    chan struct{}
	result  *driver.ExitResult
	once    sync.Once
}

func (t *task) exit(r *driver.ExitResult) {
	t.once.Do(func() { t.result = r; close(t.done) })
}

var _ driver.Driver = (*Driver)(nil)

// New returns a fake driver with the given name.
func New(name string) *Driver {
	return &Driver{name: name, tasks: map[string]*task{}, starts: map[string]int{}}
}

// Name implements driver.Driver.
func (d *Driver) Name() string { return d.name }

// Fingerprint implements driver.Driver.
func (d *Driver) Fingerprint(context.Context) driver.Fingerprint {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.unhealthy {
		return driver.Fingerprint{Detected: true, HealthDescription: "broken"}
	}
	return driver.Fingerprint{Detected: true, Healthy: true, HealthDescription: "healthy",
		Attributes: map[string]string{"driver." + d.name + ".version": "1.0"}}
}

// ValidateConfig implements driver.Driver: "bad" is refused.
func (d *Driver) ValidateConfig(cfg map[string]any) error {
	if _, ok := cfg["bad"]; ok {
		return errors.New(`config key "bad" is not allowed`)
	}
	return nil
}

func number(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case uint64:
		return int(n)
	case float64:
		return int(n)
	}
	return 0
}

// StartTask implements driver.Driver.
func (d *Driver) StartTask(cfg *driver.TaskConfig) (*driver.TaskHandle, error) {
	if d.StartHook != nil {
		if err := d.StartHook(cfg); err != nil {
			return nil, err
		}
	}
	if msg, ok := cfg.Config["start_error"].(string); ok {
		if rec, _ := cfg.Config["start_error_recoverable"].(bool); rec {
			return nil, fmt.Errorf("%s: %w", msg, driver.ErrRecoverable)
		}
		return nil, errors.New(msg)
	}
	if out, ok := cfg.Config["stdout"].(string); ok && cfg.StdoutPath != "" {
		f, err := os.OpenFile(cfg.StdoutPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		f.WriteString(out)
		f.Close()
	}
	t := &task{cfg: cfg, started: time.Now(), done: make(chan struct{})}
	if s, ok := cfg.Config["run_for"].(string); ok {
		dur, err := time.ParseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("run_for: %w", err)
		}
		code := number(cfg.Config["exit_code"])
		time.AfterFunc(dur, func() { t.exit(&driver.ExitResult{ExitCode: code}) })
	}
	d.mu.Lock()
	d.tasks[cfg.ID] = t
	d.starts[cfg.Name]++
	d.mu.Unlock()
	return &driver.TaskHandle{Version: 1, Config: cfg, DriverState: []byte("fake"), StartedAt: t.started}, nil
}

func (d *Driver) get(id string) (*task, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.tasks[id]
	if !ok {
		return nil, fmt.Errorf("task %s: %w", id, driver.ErrTaskNotFound)
	}
	return t, nil
}

// WaitTask implements driver.Driver.
func (d *Driver) WaitTask(ctx context.Context, id string) (<-chan *driver.ExitResult, error) {
	t, err := d.get(id)
	if err != nil {
		return nil, err
	}
	ch := make(chan *driver.ExitResult, 1)
	go func() {
		defer close(ch)
		select {
		case <-t.done:
			ch <- t.result
		case <-ctx.Done():
		}
	}()
	return ch, nil
}

// StopTask implements driver.Driver: the task exits with signal 15.
func (d *Driver) StopTask(id string, timeout time.Duration, signal string) error {
	t, err := d.get(id)
	if err != nil {
		return err
	}
	t.exit(&driver.ExitResult{Signal: 15})
	return nil
}

// DestroyTask implements driver.Driver.
func (d *Driver) DestroyTask(id string, force bool) error {
	t, err := d.get(id)
	if err != nil {
		return err
	}
	select {
	case <-t.done:
	default:
		if !force {
			return errors.New("task is running")
		}
		t.exit(&driver.ExitResult{Signal: 9})
	}
	d.mu.Lock()
	delete(d.tasks, id)
	d.mu.Unlock()
	return nil
}

var _ driver.Cleaner = (*Driver)(nil)

// CleanupTask implements driver.Cleaner: a task this driver still holds
// under cfg.ID is stopped and forgotten.
func (d *Driver) CleanupTask(cfg *driver.TaskConfig) error {
	d.mu.Lock()
	d.cleanups++
	t, ok := d.tasks[cfg.ID]
	delete(d.tasks, cfg.ID)
	d.mu.Unlock()
	if ok {
		t.exit(&driver.ExitResult{Signal: 9})
	}
	return nil
}

// Cleanups returns how many times CleanupTask was called.
func (d *Driver) Cleanups() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cleanups
}

// RecoverTask implements driver.Driver: a task is recovered while this
// driver still holds it and it has not exited.
func (d *Driver) RecoverTask(h *driver.TaskHandle) error {
	t, err := d.get(h.Config.ID)
	if err != nil {
		return err
	}
	select {
	case <-t.done:
		return fmt.Errorf("task %s exited: %w", h.Config.ID, driver.ErrTaskNotFound)
	default:
		return nil
	}
}

// InspectTask implements driver.Driver.
func (d *Driver) InspectTask(id string) (*driver.TaskStatus, error) {
	t, err := d.get(id)
	if err != nil {
		return nil, err
	}
	st := &driver.TaskStatus{ID: id, Name: t.cfg.Name, State: driver.TaskStateRunning, StartedAt: t.started}
	select {
	case <-t.done:
		st.State, st.ExitResult = driver.TaskStateExited, t.result
	default:
	}
	return st, nil
}

// SignalTask implements driver.Driver.
func (d *Driver) SignalTask(id string, signal string) error {
	t, err := d.get(id)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.signals == nil {
		d.signals = map[string][]string{}
	}
	d.signals[t.cfg.Name] = append(d.signals[t.cfg.Name], signal)
	return nil
}

// Signals returns the signals sent to tasks of that name, in order.
func (d *Driver) Signals(taskName string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.signals[taskName]...)
}

// SetHealthy changes what Fingerprint reports.
func (d *Driver) SetHealthy(healthy bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.unhealthy = !healthy
}

// Exit makes every running task with the given task name exit with code.
func (d *Driver) Exit(taskName string, code int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, t := range d.tasks {
		if t.cfg.Name == taskName {
			t.exit(&driver.ExitResult{ExitCode: code})
		}
	}
}

// Forget drops every task, as if the machine had rebooted.
func (d *Driver) Forget() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.tasks = map[string]*task{}
}

// Starts returns how many times a task of that name was started.
func (d *Driver) Starts(taskName string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.starts[taskName]
}

// Running returns how many tasks of that name have not exited.
func (d *Driver) Running(taskName string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, t := range d.tasks {
		select {
		case <-t.done:
		default:
			if t.cfg.Name == taskName {
				n++
			}
		}
	}
	return n
}
