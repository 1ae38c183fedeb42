package rawexec

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/drover-sh/drover/internal/driver"
)

var _ driver.ExecDriver = (*Driver)(nil)

// ExecTask runs a command beside a running task, as the task itself runs:
// unisolated, as the agent's user, in the task's directory with exactly its
// environment, its command resolved like the task's, and in the task's
// cgroup when it has one. The command leads a session of its own (with the
// terminal as its controlling terminal under opts.TTY); when it exits,
// what is left of its process group is killed, so a background child
// cannot hold the session open. Cancelling ctx kills the group at once.
func (d *Driver) ExecTask(ctx context.Context, taskID string, opts driver.ExecOptions) (*driver.ExitResult, error) {
	t, err := d.lookup(taskID)
	if err != nil {
		return nil, err
	}
	if t.Exited() {
		return nil, fmt.Errorf("exec in task %q: task has exited", taskID)
	}
	if len(opts.Command) == 0 || opts.Command[0] == "" {
		return nil, fmt.Errorf("exec in task %q: no command", taskID)
	}
	cfg := t.cfg
	if cfg == nil {
		return nil, fmt.Errorf("exec in task %q: the task's config is unknown", taskID)
	}
	path, err := resolveCommand(opts.Command[0], cfg.TaskDir, pathOf(cfg.Env))
	if err != nil {
		return nil, fmt.Errorf("exec in task %q: %w", taskID, err)
	}
	streams, err := driver.OpenExecStreams(opts)
	if err != nil {
		return nil, fmt.Errorf("exec in task %q: %w", taskID, err)
	}
	defer streams.Close()
	stdio := streams.Remote()
	cmd, err := d.startInGroup(func() *exec.Cmd {
		attr := &syscall.SysProcAttr{Setsid: true}
		if opts.TTY {
			attr.Setctty, attr.Ctty = true, 0 // stdin, the terminal
		}
		return &exec.Cmd{
			Path: path, Args: opts.Command, Dir: cfg.TaskDir, Env: driver.EnvList(cfg.Env),
			Stdin: stdio[0], Stdout: stdio[1], Stderr: stdio[2],
			SysProcAttr: attr,
		}
	}, t.group)
	streams.CloseRemote() // the command holds them now
	if err != nil {
		return nil, fmt.Errorf("exec in task %q: start %q: %w", taskID, opts.Command[0], err)
	}
	pid := cmd.Process.Pid

	// The killer ends before the reap, so it can only ever signal the
	// session's own group, never a later process that reused the pid.
	exited := make(chan struct{})
	var killer sync.WaitGroup
	killer.Add(1)
	go func() {
		defer killer.Done()
		select {
		case <-ctx.Done():
			killGroup(pid, syscall.SIGKILL)
		case <-exited:
		}
	}()
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	close(exited)
	killer.Wait()
	if err := killGroup(pid, syscall.SIGKILL); err != nil {
		d.logger.Warn("cannot kill an exec session's leftover processes", "task_id", taskID, "error", err)
	}
	waitErr := cmd.Wait()
	streams.Wait(ctx)
	if ctx.Err() != nil {
		return nil, fmt.Errorf("exec in task %q: %w", taskID, ctx.Err())
	}
	return exitResult(cmd.ProcessState, waitErr), nil
}
