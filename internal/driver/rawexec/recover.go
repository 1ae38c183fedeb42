package rawexec

import (
	"encoding/json"
	"errors"
	"fmt"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drover-sh/drover/internal/cgroup"
	"github.com/drover-sh/drover/internal/driver"
)

// stateVersion is the format of taskState in TaskHandle.DriverState.
const stateVersion = 1

// taskState is what a handle carries to find the task again: its pid and
// process group, and its start time (clock ticks after boot, field 22 of
// /proc/<pid>/stat), which tells the task from a later process that reused
// the pid. Cgroup names the task's cgroup; it is empty for a task that runs
// without one, and in handles written before tasks had cgroups, which
// recover all the same.
type taskState struct {
	Pid       int    `json:"pid"`
	Pgid      int    `json:"pgid"`
	StartTime uint64 `json:"start_time"`
	Cgroup    string `json:"cgroup,omitempty"`
}

// ErrExitUnknown is the ExitResult.Err of a task recovered after an agent
// restart: it is no longer the agent's child, so its exit code cannot be
// read.
var ErrExitUnknown = errors.New("task was recovered after an agent restart: its exit code is unknowable")

// RecoverTask reattaches to a task from its handle, typically in a new agent
// process. It succeeds only when the process is still alive and is the same
// process (same start time); otherwise it returns driver.ErrTaskNotFound.
// A recovered task's exit is noticed by polling, and its ExitResult carries
// ErrExitUnknown instead of an exit code. Recovering a task this driver
// already tracks does nothing.
func (d *Driver) RecoverTask(h *driver.TaskHandle) error {
	if h == nil || h.Config == nil {
		return errors.New("recover raw_exec task: handle has no task config")
	}
	id := h.Config.ID
	if _, err := d.lookup(id); err == nil {
		return nil
	}
	if h.Version != stateVersion {
		return fmt.Errorf("recover raw_exec task %q: unknown handle version %d", id, h.Version)
	}
	var st taskState
	if err := json.Unmarshal(h.DriverState, &st); err != nil {
		return fmt.Errorf("recover raw_exec task %q: decode driver state: %w", id, err)
	}
	if st.Pid <= 0 || st.Pgid <= 1 || st.StartTime == 0 {
		return fmt.Errorf("recover raw_exec task %q: driver state %+v is incomplete", id, st)
	}

	// Open the pidfd before checking the start time: if the check passes,
	// the pidfd surely refers to the task and not to a later process.
	pidfd, err := unix.PidfdOpen(st.Pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("recover raw_exec task %q: process %d is gone: %w", id, st.Pid, driver.ErrTaskNotFound)
	}
	if err != nil {
		pidfd = -1 // old kernel or not permitted: poll /proc instead
	}
	group := d.openGroup(id, st.Cgroup)
	if !driver.SameProcessAlive(st.Pid, st.StartTime) {
		if pidfd >= 0 {
			unix.Close(pidfd)
		}
		// What the task left behind in its cgroup dies with it.
		d.destroyGroup(id, group)
		return fmt.Errorf("recover raw_exec task %q: process %d has exited: %w", id, st.Pid, driver.ErrTaskNotFound)
	}

	startedAt := h.StartedAt
	if startedAt.IsZero() {
		startedAt = time.Now()
	}
	t := newTask(id, h.Config.Name, st.Pid, st.Pgid, st.StartTime, startedAt)
	t.group, t.cfg = group, h.Config
	if !d.tasks.AddIfAbsent(id, t) {
		if pidfd >= 0 {
			unix.Close(pidfd)
		}
		return nil
	}
	go d.watchRecovered(t, pidfd)
	d.logger.Info("recovered task", "task_id", id, "pid", st.Pid, "cgroup", st.Cgroup)
	return nil
}

// openGroup reopens a recovered task's cgroup by name, or returns nil when
// it has none. A cgroup that is gone, or that this agent cannot reach
// (cgroups unavailable since), is logged: the task is recovered without it,
// as raw_exec tasks without cgroups are.
func (d *Driver) openGroup(taskID, name string) cgroup.Group {
	if name == "" {
		return nil
	}
	cg, err := d.cgroups()
	if err != nil {
		d.logger.Warn("cannot reopen the task's cgroup", "task_id", taskID, "cgroup", name, "error", err)
		return nil
	}
	g, err := cg.Open(name)
	if err != nil {
		d.logger.Warn("cannot reopen the task's cgroup", "task_id", taskID, "cgroup", name, "error", err)
		return nil
	}
	return g
}

// watchRecovered waits until the recovered task's process has exited (or
// the task is destroyed), then kills what is left of its process group and
// cgroup.
func (d *Driver) watchRecovered(t *task, pidfd int) {
	driver.WatchRecovered(pidfd, t.pid, t.startTicks, d.cfg.RecoverPollInterval, t.forget, func() {
		if err := killGroup(t.pgid, syscall.SIGKILL); err != nil {
			d.logger.Warn("cannot kill task's leftover processes", "task_id", t.id, "error", err)
		}
		d.killCgroup(t)
		t.Finish(&driver.ExitResult{Err: ErrExitUnknown})
	})
}
