package exec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/drover-sh/drover/internal/cgroup"
	"github.com/drover-sh/drover/internal/driver"
)

// killWait bounds how long a kill waits for the task to be gone.
const killWait = 30 * time.Second

// task is one running or exited task.
type task struct {
	id, name   string
	pid        int    // the init's pid, in the agent's namespace
	startTicks uint64 // its start time, field 22 of /proc/<pid>/stat
	startedAt  time.Time
	group      cgroup.Group
	// proc signals the init through a pidfd, so a signal can never reach
	// a later process that reused the pid.
	proc *os.Process
	// killed is set once the driver SIGKILLs the init.
	killed atomic.Bool

	driver.ExitState

	forget     chan struct{} // closed by DestroyTask: ends a recovered task's watcher
	forgetOnce sync.Once
}

func newTask(id, name string, proc *os.Process, ticks uint64, startedAt time.Time, g cgroup.Group) *task {
	return &task{id: id, name: name, pid: proc.Pid, proc: proc, startTicks: ticks, startedAt: startedAt, group: g, forget: make(chan struct{})}
}

// signal sends sig to the init, which forwards it to the task (SIGKILL
// ends the init and with it the task's PID namespace). An init that has
// exited is not an error.
func (t *task) signal(sig syscall.Signal) error {
	if sig == syscall.SIGKILL {
		t.killed.Store(true)
	}
	err := t.proc.Signal(sig)
	if errors.Is(err, os.ErrProcessDone) || errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// finish records the exit: it marks it an OOM kill when the kernel says
// so, then kills what is left in the cgroup and removes it.
func (t *task) finish(d *Driver, res *driver.ExitResult) {
	if oom, err := t.group.OOMKilled(); err != nil {
		d.logger.Warn("cannot tell whether the task was OOM killed", "task_id", t.id, "error", err)
	} else if oom {
		res.OOMKilled = true
	}
	if err := t.group.Destroy(); err != nil {
		d.logger.Warn("cannot remove the task's cgroup", "task_id", t.id, "error", err)
	}
	// The init removes its socket, unless it was killed.
	for _, f := range []string{d.execSocket(t.id), d.exitFile(t.id)} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			d.logger.Warn("cannot remove a file of the task's init", "task_id", t.id, "error", err)
		}
	}
	t.Finish(res)
}

// WaitTask returns a channel that yields the task's exit once, then
// closes; when ctx ends first it closes without a value.
func (d *Driver) WaitTask(ctx context.Context, taskID string) (<-chan *driver.ExitResult, error) {
	t, err := d.lookup(taskID)
	if err != nil {
		return nil, err
	}
	return t.Wait(ctx), nil
}

// StopTask sends signal (SIGINT when empty) to the task, waits up to
// timeout for it to exit, then kills everything in its namespace and
// cgroup. It returns once the task has exited.
func (d *Driver) StopTask(taskID string, timeout time.Duration, signal string) error {
	t, err := d.lookup(taskID)
	if err != nil {
		return err
	}
	if t.Exited() {
		return nil
	}
	sig := syscall.SIGINT
	if signal != "" {
		if sig, err = driver.ParseSignal(signal); err != nil {
			return fmt.Errorf("stop exec task %q: %w", taskID, err)
		}
	}
	// The init forwards it to the task.
	if err := t.signal(sig); err != nil {
		return fmt.Errorf("stop exec task %q: %w", taskID, err)
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-t.Done():
		return nil
	case <-timer.C:
	}
	d.logger.Info("task did not exit in time, killing it", "task_id", taskID, "signal", sig.String(), "timeout", timeout)
	return d.kill(t)
}

// recoveredExit is the exit of a task recovered after an agent restart,
// which its init left in the exit file. Without it (the init was killed),
// a kill this driver sent is the exit; otherwise it is unknown.
func (d *Driver) recoveredExit(t *task) *driver.ExitResult {
	b, err := os.ReadFile(d.exitFile(t.id))
	if err == nil {
		var m exitMsg
		if err := json.Unmarshal(b, &m); err == nil {
			return &driver.ExitResult{ExitCode: m.ExitCode, Signal: m.Signal}
		}
	}
	if t.killed.Load() {
		return &driver.ExitResult{ExitCode: 128 + int(syscall.SIGKILL), Signal: int(syscall.SIGKILL)}
	}
	return &driver.ExitResult{Err: ErrExitUnknown}
}

// kill SIGKILLs the init, which takes down its whole PID namespace, and
// everything in the cgroup, then waits for the task to be seen exiting.
func (d *Driver) kill(t *task) error {
	if err := t.signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill exec task %q: %w", t.id, err)
	}
	if err := t.group.Kill(); err != nil {
		return fmt.Errorf("kill exec task %q: %w", t.id, err)
	}
	select {
	case <-t.Done():
		return nil
	case <-time.After(killWait):
		return fmt.Errorf("exec task %q (init pid %d) did not exit %v after SIGKILL", t.id, t.pid, killWait)
	}
}

// DestroyTask forgets the task and removes its cgroup. A running task is
// an error unless force is set, when it is killed first.
func (d *Driver) DestroyTask(taskID string, force bool) error {
	t, err := d.lookup(taskID)
	if err != nil {
		return err
	}
	if !t.Exited() {
		if !force {
			return fmt.Errorf("destroy exec task %q: task is still running", taskID)
		}
		if err := d.kill(t); err != nil {
			return err
		}
	}
	t.forgetOnce.Do(func() { close(t.forget) })
	if err := t.group.Destroy(); err != nil {
		return fmt.Errorf("destroy exec task %q: %w", taskID, err)
	}
	d.tasks.Remove(taskID)
	return nil
}

// InspectTask returns the task's state, times and, once exited, its exit.
func (d *Driver) InspectTask(taskID string) (*driver.TaskStatus, error) {
	t, err := d.lookup(taskID)
	if err != nil {
		return nil, err
	}
	return t.Status(t.id, t.name, t.startedAt), nil
}

// SignalTask sends the named signal to the task's main process (through
// its init, which forwards it). Unknown names and exited tasks are errors.
func (d *Driver) SignalTask(taskID string, signal string) error {
	t, err := d.lookup(taskID)
	if err != nil {
		return err
	}
	sig, err := driver.ParseSignal(signal)
	if err != nil {
		return fmt.Errorf("signal exec task %q: %w", taskID, err)
	}
	if t.Exited() {
		return fmt.Errorf("signal exec task %q: task has exited", taskID)
	}
	if err := t.signal(sig); err != nil {
		return fmt.Errorf("signal exec task %q: %w", taskID, err)
	}
	return nil
}

// TaskUsage is a task's resource use at one moment.
type TaskUsage struct {
	cgroup.Usage
	// Timestamp is when it was sampled; CPU MHz are derived from two
	// samples' CPUNanos over their time apart.
	Timestamp time.Time
}

// Usage samples the task's resource use from its cgroup, with the count
// of its processes and threads.
func (d *Driver) Usage(taskID string) (*TaskUsage, error) {
	t, err := d.lookup(taskID)
	if err != nil {
		return nil, err
	}
	if t.Exited() {
		return nil, fmt.Errorf("stats of exec task %q: task has exited", taskID)
	}
	u, err := t.group.Usage()
	if err != nil {
		return nil, fmt.Errorf("stats of exec task %q: %w", taskID, err)
	}
	return &TaskUsage{Usage: u, Timestamp: time.Now()}, nil
}

// TaskStats implements driver.StatsDriver from the task's cgroup. A cgroup
// counts CPU time in total, not split by mode, so only the percent is
// reported as measured; memory is what the group holds less the page cache
// the kernel can drop at once.
func (d *Driver) TaskStats(taskID string) (*driver.TaskResourceUsage, error) {
	u, err := d.Usage(taskID)
	if err != nil {
		return nil, err
	}
	return &driver.TaskResourceUsage{
		Timestamp: u.Timestamp,
		CPU:       driver.CPUUsage{UserTime: time.Duration(u.CPUNanos), Measured: []string{driver.MeasuredPercent}},
		Memory: driver.MemoryUsage{Usage: u.MemoryBytes, RSS: u.MemoryBytes,
			Measured: []string{driver.MeasuredRSS, driver.MeasuredUsage}},
	}, nil
}

var _ driver.StatsDriver = (*Driver)(nil)
