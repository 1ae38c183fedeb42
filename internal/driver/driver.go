// Package driver declares what the client needs of a task driver: a small
// required interface, the values that cross it, and a registry the agent
// fills with the drivers it builds. Drivers live in subpackages (rawexec,
// mock, ...) and never import the client; drivertest holds the conformance
// suite every driver passes.
package driver

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Driver runs tasks of one kind. A driver is safe for concurrent use; every
// method but Fingerprint and ValidateConfig addresses a task by the ID given
// in its TaskConfig.
type Driver interface {
	// Name is the driver's name in job files ("raw_exec", "mock").
	Name() string
	// Fingerprint reports whether the driver can run tasks on this machine,
	// and attributes for the node ("driver.raw_exec.version", ...).
	Fingerprint(ctx context.Context) Fingerprint
	// ValidateConfig checks a task's driver config (the job file's config
	// block) before anything is started. Errors name the offending key.
	ValidateConfig(config map[string]any) error
	// StartTask starts the task and returns a handle that RecoverTask can
	// reattach with after an agent restart. An error wrapping ErrRecoverable
	// may succeed on retry (the restart policy applies); any other fails the
	// task at once.
	StartTask(cfg *TaskConfig) (*TaskHandle, error)
	// WaitTask returns a channel that yields the task's exit once and is then
	// closed. ctx cancels the wait, not the task.
	WaitTask(ctx context.Context, taskID string) (<-chan *ExitResult, error)
	// StopTask sends signal (the driver's default when empty), waits up to
	// timeout for the task to exit, then kills it and everything it started.
	// It returns once the task has exited.
	StopTask(taskID string, timeout time.Duration, signal string) error
	// DestroyTask releases what the driver holds for the task. It stops the
	// task first when force is set; without force a running task is an error.
	DestroyTask(taskID string, force bool) error
	// RecoverTask reattaches to a task started by an earlier agent process,
	// from the handle StartTask returned. It returns ErrTaskNotFound when the
	// task is gone.
	RecoverTask(handle *TaskHandle) error
	// InspectTask returns the task's current status.
	InspectTask(taskID string) (*TaskStatus, error)
	// SignalTask sends a signal ("SIGHUP", ...) to the task.
	SignalTask(taskID string, signal string) error
}

// Errors drivers return.
var (
	ErrTaskNotFound = errors.New("task not found")
	// ErrRecoverable marks a start failure worth retrying.
	ErrRecoverable = errors.New("recoverable")
)

// Fingerprint is a driver's view of the machine.
type Fingerprint struct {
	Detected          bool
	Healthy           bool
	HealthDescription string
	Attributes        map[string]string
}

// TaskConfig is everything a driver needs to start one task.
type TaskConfig struct {
	// ID is unique per task run: "<allocID>/<task>/<random>".
	ID        string
	AllocID   string
	JobName   string
	TaskGroup string
	Name      string // task name
	// Config is the job file's driver config, interpolated.
	Config map[string]any
	// Env is the task's complete environment.
	Env  map[string]string
	User string
	// Resources the task was given.
	CPUShares   int64 // MHz
	MemoryMB    int64
	MemoryMaxMB int64
	// AllocDir is the allocation directory; TaskDir the task's own directory
	// inside it (its working directory).
	AllocDir string
	TaskDir  string
	// StdoutPath and StderrPath are the live log files. The driver opens them
	// in append mode and hands them to the task as its stdout and stderr; the
	// client rotates them by copy-and-truncate (see internal/logfile).
	StdoutPath string
	StderrPath string
}

// TaskHandle is what the client persists to reattach to a running task.
type TaskHandle struct {
	// Version of DriverState's format, for the driver to read it back.
	Version int
	Config  *TaskConfig
	// DriverState is the driver's own encoding (pid, start time, ...).
	DriverState []byte
	StartedAt   time.Time
	// Driver names the driver that started the task. The client sets it
	// before recording the handle, so that a handle found without its
	// allocation (an orphan) can still be given to the right driver.
	Driver string
	// Pending marks a handle the client recorded before calling StartTask:
	// only Config and Driver are set, and the task may or may not have
	// started (see Cleaner).
	Pending bool
}

// ExitResult is how a task ended.
type ExitResult struct {
	ExitCode  int
	Signal    int
	OOMKilled bool
	// Err is set when the exit could not be observed (e.g. a recovered task
	// whose exit code is unknowable).
	Err error
}

// Successful reports whether the task exited with code 0 and no signal.
func (r *ExitResult) Successful() bool {
	return r.ExitCode == 0 && r.Signal == 0 && !r.OOMKilled && r.Err == nil
}

func (r *ExitResult) String() string {
	switch {
	case r.Err != nil:
		return "exit unknown: " + r.Err.Error()
	case r.OOMKilled:
		return fmt.Sprintf("OOM killed (exit code %d)", r.ExitCode)
	case r.Signal != 0:
		return fmt.Sprintf("killed by signal %d", r.Signal)
	default:
		return fmt.Sprintf("exit code %d", r.ExitCode)
	}
}

// Task states InspectTask reports.
const (
	TaskStateRunning = "running"
	TaskStateExited  = "exited"
)

// TaskStatus is a snapshot of a task.
type TaskStatus struct {
	ID          string
	Name        string
	State       string
	StartedAt   time.Time
	CompletedAt time.Time
	ExitResult  *ExitResult
}

// Registry holds the drivers an agent built, by name.
type Registry struct {
	drivers map[string]Driver
}

// NewRegistry returns a registry of the given drivers. Two drivers with one
// name are a programming error.
func NewRegistry(ds ...Driver) *Registry {
	r := &Registry{drivers: map[string]Driver{}}
	for _, d := range ds {
		if _, dup := r.drivers[d.Name()]; dup {
			panic("driver: duplicate driver " + d.Name())
		}
		r.drivers[d.Name()] = d
	}
	return r
}

// Get returns the named driver.
func (r *Registry) Get(name string) (Driver, bool) {
	d, ok := r.drivers[name]
	return d, ok
}

// Names returns the drivers' names, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.drivers))
	for n := range r.drivers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Recoverable marks err as worth retrying: errors.Is(err, ErrRecoverable)
// holds, and the message is err's own.
func Recoverable(err error) error {
	if err == nil {
		return nil
	}
	return &recoverableError{err: err}
}

type recoverableError struct{ err error }

func (e *recoverableError) Error() string   { return e.err.Error() }
func (e *recoverableError) Unwrap() []error { return []error{e.err, ErrRecoverable} }
