package exec

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drover-sh/drover/internal/cgroup"
	"github.com/drover-sh/drover/internal/driver"
)

// stateVersion is the format of taskState in TaskHandle.DriverState.
const stateVersion = 1

// taskState is what a handle carries to find the task again: the init's
// pid and start time (clock ticks after boot, which tells it from a later
// process that reused the pid) and the name of its cgroup.
type taskState struct {
	Pid       int    `json:"pid"`
	StartTime uint64 `json:"start_time"`
	Cgroup    string `json:"cgroup"`
}

// ErrExitUnknown is the ExitResult.Err of a task recovered after an agent
// restart whose init died without leaving its exit (killed by someone
// else): it is no longer the agent's child, so the exit code cannot be
// read.
var ErrExitUnknown = errors.New("task was recovered after an agent restart and its init was killed: its exit code is unknowable")

// RecoverTask reattaches to a task from its handle, typically in a new
// agent process. It succeeds only when the init is alive and is the same
// process (same start time), and its cgroup exists; otherwise it removes
// what is left of the task's cgroup and returns driver.ErrTaskNotFound.
// Recovering a task this driver already tracks does nothing.
func (d *Driver) RecoverTask(h *driver.TaskHandle) error {
	if h == nil || h.Config == nil {
		return errors.New("recover exec task: handle has no task config")
	}
	id := h.Config.ID
	if _, err := d.lookup(id); err == nil {
		return nil
	}
	if h.Version != stateVersion {
		return fmt.Errorf("recover exec task %q: unknown handle version %d", id, h.Version)
	}
	var st taskState
	if err := json.Unmarshal(h.DriverState, &st); err != nil {
		return fmt.Errorf("recover exec task %q: decode driver state: %w", id, err)
	}
	if st.Pid <= 1 || st.StartTime == 0 || st.Cgroup == "" {
		return fmt.Errorf("recover exec task %q: driver state %+v is incomplete", id, st)
	}
	cg, err := d.cgroups()
	if err != nil {
		return fmt.Errorf("recover exec task %q: %w", id, err)
	}
	// Open the pidfd before checking the start time: if the check passes,
	// the pidfd surely refers to the init and not to a later process.
	pidfd, err := unix.PidfdOpen(st.Pid, 0)
	if err != nil {
		pidfd = -1
	}
	// FindProcess holds a pidfd too: the start time check below makes
	// sure it is the init's.
	proc, perr := os.FindProcess(st.Pid)
	group, gerr := cg.Open(st.Cgroup)
	if perr != nil || !driver.SameProcessAlive(st.Pid, st.StartTime) || gerr != nil {
		if perr == nil {
			proc.Release()
		}
		if pidfd >= 0 {
			unix.Close(pidfd)
		}
		if gerr == nil {
			if err := group.Destroy(); err != nil {
				d.logger.Warn("cannot remove the cgroup of a task that died while the agent was away", "task_id", id, "error", err)
			}
		}
		return fmt.Errorf("recover exec task %q: init %d has exited: %w", id, st.Pid, driver.ErrTaskNotFound)
	}
	startedAt := h.StartedAt
	if startedAt.IsZero() {
		startedAt = time.Now()
	}
	t := newTask(id, h.Config.Name, proc, st.StartTime, startedAt, group)
	if !d.tasks.AddIfAbsent(id, t) {
		if pidfd >= 0 {
			unix.Close(pidfd)
		}
		proc.Release()
		return nil
	}
	go d.watchRecovered(t, pidfd)
	d.logger.Info("recovered task", "task_id", id, "pid", st.Pid)
	return nil
}

// watchRecovered waits until the recovered task's init has exited (or the
// task is destroyed), then finishes it.
func (d *Driver) watchRecovered(t *task, pidfd int) {
	driver.WatchRecovered(pidfd, t.pid, t.startTicks, d.cfg.RecoverPollInterval, t.forget, func() {
		t.finish(d, d.recoveredExit(t))
	})
}

var _ driver.Cleaner = (*Driver)(nil)

// CleanupTask implements driver.Cleaner: it kills what is left in the
// cgroup a StartTask of cfg made (the init, and with it the task's
// namespaces and mounts), and removes the group.
func (d *Driver) CleanupTask(cfg *driver.TaskConfig) error {
	if _, err := d.lookup(cfg.ID); err == nil {
		return d.DestroyTask(cfg.ID, true)
	}
	cg, err := d.cgroups()
	if err != nil {
		return nil // no cgroups: this driver could not have started it
	}
	g, err := cg.Open(cgroup.SafeName(cfg.ID))
	if err != nil {
		return nil // never made: the task did not start
	}
	if err := g.Destroy(); err != nil {
		return fmt.Errorf("exec: clean up task %q: %w", cfg.ID, err)
	}
	d.logger.Warn("stopped a task whose start was never recorded", "task_id", cfg.ID)
	return nil
}
