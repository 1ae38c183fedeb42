package rawexec

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/drover-sh/drover/internal/cgroup"
	"github.com/drover-sh/drover/internal/driver"
)

// killWait bounds how long StopTask waits for a task to die after SIGKILL
// (a process stuck in uninterruptible sleep) before it reports failure.
const killWait = 30 * time.Second

// task is one running or exited task.
type task struct {
	id, name   string
	pid, pgid  int
	startTicks uint64 // field 22 of /proc/<pid>/stat
	startedAt  time.Time
	group      cgroup.Group // nil when the task runs without a cgroup
	// cfg is the task's config, from its start or its handle: exec
	// sessions run in its directory with its environment.
	cfg *driver.TaskConfig

	driver.ExitState

	// forget, closed by DestroyTask, ends the watcher of a recovered task.
	forget     chan struct{}
	forgetOnce sync.Once
}

func newTask(id, name string, pid, pgid int, ticks uint64, startedAt time.Time) *task {
	return &task{
		id: id, name: name, pid: pid, pgid: pgid, startTicks: ticks, startedAt: startedAt,
		forget: make(chan struct{}),
	}
}

// killGroup signals every process in the group; a group already gone is
// not an error.
func killGroup(pgid int, sig syscall.Signal) error {
	if pgid <= 1 {
		return fmt.Errorf("refusing to signal process group %d", pgid)
	}
	if err := syscall.Kill(-pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal process group %d: %w", pgid, err)
	}
	return nil
}

// killCgroup SIGKILLs every process left in the task's cgroup, if it has
// one: those that left its process group too.
func (d *Driver) killCgroup(t *task) {
	if t.group == nil {
		return
	}
	if err := t.group.Kill(); err != nil {
		d.logger.Warn("cannot kill the processes left in the task's cgroup", "task_id", t.id, "error", err)
	}
}

// destroyGroup removes the cgroup of a task that did not start; nil does
// nothing.
func (d *Driver) destroyGroup(taskID string, g cgroup.Group) {
	if g == nil {
		return
	}
	if err := g.Destroy(); err != nil {
		d.logger.Warn("cannot remove the cgroup of a task that did not start", "task_id", taskID, "error", err)
	}
}

// WaitTask returns a channel that yields the task's exit once it and its
// process group are gone, then closes. When ctx ends first the channel
// closes without a value.
func (d *Driver) WaitTask(ctx context.Context, taskID string) (<-chan *driver.ExitResult, error) {
	t, err := d.lookup(taskID)
	if err != nil {
		return nil, err
	}
	return t.Wait(ctx), nil
}

// StopTask sends signal (SIGINT when empty) to the task's whole process
// group, waits up to timeout for the task to exit, then SIGKILLs the group.
// It returns once the task has exited; stopping an exited task does nothing.
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
			return fmt.Errorf("stop raw_exec task %q: %w", taskID, err)
		}
	}
	if err := killGroup(t.pgid, sig); err != nil {
		return fmt.Errorf("stop raw_exec task %q: %w", taskID, err)
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

// kill SIGKILLs the task's process group and everything in its cgroup,
// and waits for the task to exit.
func (d *Driver) kill(t *task) error {
	if err := killGroup(t.pgid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill raw_exec task %q: %w", t.id, err)
	}
	d.killCgroup(t)
	select {
	case <-t.Done():
		return nil
	case <-time.After(killWait):
		return fmt.Errorf("raw_exec task %q (pid %d) did not exit %v after SIGKILL", t.id, t.pid, killWait)
	}
}

// DestroyTask forgets the task and removes its cgroup. A running task is an
// error unless force is set, when it is killed first.
func (d *Driver) DestroyTask(taskID string, force bool) error {
	t, err := d.lookup(taskID)
	if err != nil {
		return err
	}
	if !t.Exited() {
		if !force {
			return fmt.Errorf("destroy raw_exec task %q: task is still running", taskID)
		}
		if err := d.kill(t); err != nil {
			return err
		}
	}
	if t.group != nil {
		if err := t.group.Destroy(); err != nil {
			return fmt.Errorf("destroy raw_exec task %q: %w", taskID, err)
		}
	}
	t.forgetOnce.Do(func() { close(t.forget) })
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

// SignalTask sends the named signal ("SIGHUP", "SIGUSR1", ...) to the
// task's main process. Unknown names and exited tasks are errors.
func (d *Driver) SignalTask(taskID string, signal string) error {
	t, err := d.lookup(taskID)
	if err != nil {
		return err
	}
	sig, err := driver.ParseSignal(signal)
	if err != nil {
		return fmt.Errorf("signal raw_exec task %q: %w", taskID, err)
	}
	if t.Exited() {
		return fmt.Errorf("signal raw_exec task %q: task has exited", taskID)
	}
	if err := syscall.Kill(t.pid, sig); err != nil {
		return fmt.Errorf("signal raw_exec task %q: %w", taskID, err)
	}
	return nil
}
