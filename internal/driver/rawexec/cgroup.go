package rawexec

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/drover-sh/drover/internal/cgroup"
	"github.com/drover-sh/drover/internal/driver"
)

// The cgroup of a raw_exec task enforces nothing: it is there so the task's
// usage can be read for all its processes, and so that stopping the task
// reaches every process it started, including those that left its process
// group (setsid, a daemonising shell).
//
// The task is in its cgroup before it runs. On a version 2 host the kernel
// creates it there (clone3 with CLONE_INTO_CGROUP). On a version 1 host it
// is forked from an agent thread that was moved into the group first (v1
// moves single threads), and that thread is moved back right after. Only on a
// version 2 kernel without clone3 (before 5.7) is the task moved in after
// it started: in that window, between exec and the move, the command
// already runs in the agent's cgroup, and a process it forks then stays
// outside the task's group (and out of the driver's reach, once it also
// leaves the process group).

// cgroupParent is the group all tasks' groups are made under, shared with
// the exec driver.
const cgroupParent = "drover"

// cgroupPrefix starts a raw_exec group's name, so that it can never be
// mistaken for (and emptied as a leftover of) an exec task's group.
const cgroupPrefix = "raw_exec-"

// cgroups returns the host's cgroup manager, detected once, or the reason
// tasks run without cgroups here.
func (d *Driver) cgroups() (cgroup.Manager, error) {
	d.cgOnce.Do(func() {
		if os.Geteuid() != 0 {
			d.cgErr = errors.New("cgroups need the agent to run as root")
			return
		}
		d.cg, d.cgErr = d.cfg.cgroups()
	})
	return d.cg, d.cgErr
}

// cgroupAttributes are the fingerprint attributes that say whether tasks
// get a cgroup, and of which version.
func (d *Driver) cgroupAttributes() map[string]string {
	cg, err := d.cgroups()
	if err != nil {
		return map[string]string{"driver.raw_exec.cgroup": "false"}
	}
	return map[string]string{
		"driver.raw_exec.cgroup":         "true",
		"driver.raw_exec.cgroup_version": fmt.Sprint(cg.Version()),
	}
}

// newGroup makes the task's cgroup, or returns nil when this host gives
// tasks none; a cgroup that cannot be made is logged, and the task runs
// without one, as raw_exec always could.
func (d *Driver) newGroup(taskID string) cgroup.Group {
	cg, err := d.cgroups()
	if err != nil {
		return nil
	}
	g, err := cg.Create(cgroupPrefix+cgroup.SafeName(taskID), cgroup.Limits{})
	if err != nil {
		d.logger.Warn("cannot create the task's cgroup; it runs without one", "task_id", taskID, "error", err)
		return nil
	}
	return g
}

// startInGroup starts the command newCmd builds inside group, so that the
// task and anything it forks are in the group from the first instruction:
// on version 2 the kernel creates it there (CLONE_INTO_CGROUP); on version
// 1 it is forked from a thread moved into the group first. Where neither
// works (a kernel without clone3) it is moved in right after the start. A
// nil group just starts it. When the process cannot be put in the group it
// is killed and reaped, and the error says so. newCmd may be called again
// for a second try, as an exec.Cmd cannot be started twice.
func (d *Driver) startInGroup(newCmd func() *exec.Cmd, group cgroup.Group) (*exec.Cmd, error) {
	cmd := newCmd()
	if group == nil {
		return cmd, cmd.Start()
	}
	if dir, err := cgroup.OpenDirFD(group); err == nil {
		cmd.SysProcAttr.UseCgroupFD = true
		cmd.SysProcAttr.CgroupFD = int(dir.Fd())
		err := cmd.Start()
		dir.Close()
		if err == nil || !cloneIntoUnsupported(err) {
			return cmd, err
		}
		d.logger.Debug("cannot start the task inside its cgroup; moving it in after the start", "error", err)
		return startThenAdd(newCmd(), group)
	}
	moved, err := startFromThreadIn(cmd, group)
	if moved {
		return cmd, err
	}
	d.logger.Debug("cannot fork the task from inside its cgroup; moving it in after the start", "error", err)
	return startThenAdd(newCmd(), group)
}

// startFromThreadIn starts cmd from an OS thread moved into the version 1
// group, so the child is born in it, then moves the thread back. Should
// that fail, the goroutine ends still locked to the thread, which makes
// the runtime retire it, so no other goroutine runs in the task's cgroup.
// moved is false, with cmd not started, when the thread could not be moved.
func startFromThreadIn(cmd *exec.Cmd, group cgroup.Group) (moved bool, err error) {
	type result struct {
		moved bool
		err   error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		restore, err := cgroup.AddThread(group, unix.Gettid())
		if err != nil {
			done <- result{false, err}
			return // locked: the thread may be half moved
		}
		err = cmd.Start()
		if rerr := restore(); rerr != nil {
			done <- result{true, err}
			return // locked: the thread is retired
		}
		runtime.UnlockOSThread()
		done <- result{true, err}
	}()
	r := <-done
	return r.moved, r.err
}

// startThenAdd starts cmd, then moves it into group; between the two the
// child runs in the agent's cgroup, and what it forks then stays there.
func startThenAdd(cmd *exec.Cmd, group cgroup.Group) (*exec.Cmd, error) {
	if err := cmd.Start(); err != nil {
		return cmd, err
	}
	if err := group.Add(cmd.Process.Pid); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return cmd, fmt.Errorf("put the task in its cgroup: %w", err)
	}
	return cmd, nil
}

// cloneIntoUnsupported reports whether a start failed because the kernel
// cannot create a process inside a cgroup, rather than because of the
// command.
func cloneIntoUnsupported(err error) bool {
	return errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.E2BIG)
}

var _ driver.Cleaner = (*Driver)(nil)

// CleanupTask implements driver.Cleaner: it kills what is left in the
// cgroup a StartTask of cfg made, and removes the group. On a host where
// tasks get no cgroup there is nothing to find by the config alone.
func (d *Driver) CleanupTask(cfg *driver.TaskConfig) error {
	if _, err := d.lookup(cfg.ID); err == nil {
		return d.DestroyTask(cfg.ID, true)
	}
	cg, err := d.cgroups()
	if err != nil {
		return nil
	}
	g, err := cg.Open(cgroupPrefix + cgroup.SafeName(cfg.ID))
	if err != nil {
		return nil // never made: the task did not start
	}
	if err := g.Destroy(); err != nil {
		return fmt.Errorf("raw_exec: clean up task %q: %w", cfg.ID, err)
	}
	d.logger.Warn("stopped a task whose start was never recorded", "task_id", cfg.ID)
	return nil
}
