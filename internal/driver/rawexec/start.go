package rawexec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drover-sh/drover/internal/driver"
)

// StartTask runs the task's command in TaskDir with exactly cfg.Env as its
// environment, stdin from /dev/null and stdout/stderr appended to the live
// log files, as the leader of a new process group and, where the host
// allows, in a cgroup of its own (see cgroup.go). A disabled driver or bad
// config is not recoverable: a retry would fail the same way. A command that
// is not found or fails to exec is recoverable, so the task's restart policy
// decides: the file may yet appear.
func (d *Driver) StartTask(cfg *driver.TaskConfig) (*driver.TaskHandle, error) {
	if !d.cfg.Enabled {
		return nil, errors.New("failed to start task: raw_exec driver is disabled")
	}
	tc, err := parseConfig(cfg.Config)
	if err != nil {
		return nil, fmt.Errorf("failed to start task: invalid raw_exec config: %w", err)
	}
	if err := d.tasks.Reserve(cfg.ID); err != nil {
		return nil, fmt.Errorf("failed to start task: %w", err)
	}
	defer d.tasks.Release(cfg.ID)
	path, err := resolveCommand(tc.Command, cfg.TaskDir, pathOf(cfg.Env))
	if err != nil {
		// The command may yet appear (an artifact, a deploy): the task's
		// restart policy decides whether to try again.
		return nil, driver.Recoverable(fmt.Errorf("failed to start task: %w", err))
	}

	stdout, err := driver.OpenTaskLog(cfg.StdoutPath)
	if err != nil {
		return nil, fmt.Errorf("failed to start task: stdout: %w", err)
	}
	defer stdout.Close()
	stderr, err := driver.OpenTaskLog(cfg.StderrPath)
	if err != nil {
		return nil, fmt.Errorf("failed to start task: stderr: %w", err)
	}
	defer stderr.Close()

	group := d.newGroup(cfg.ID)
	cmd, err := d.startInGroup(func() *exec.Cmd {
		return &exec.Cmd{
			Path:        path,
			Args:        append([]string{tc.Command}, tc.Args...),
			Dir:         cfg.TaskDir,
			Env:         driver.EnvList(cfg.Env),
			Stdout:      stdout, // *os.File: handed to the child, no copying goroutine
			Stderr:      stderr,
			SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
		}
	}, group)
	if err != nil {
		d.destroyGroup(cfg.ID, group)
		return nil, driver.Recoverable(fmt.Errorf("failed to start task: command %q: %w", tc.Command, err))
	}
	pid := cmd.Process.Pid
	// The child is not reaped before cmd.Wait, so its stat is readable.
	_, ticks, err := driver.ProcStat(pid)
	if err != nil {
		d.logger.Warn("cannot read task start time; it will not be recoverable", "pid", pid, "error", err)
	}
	t := newTask(cfg.ID, cfg.Name, pid, pid, ticks, time.Now())
	t.group, t.cfg = group, cfg
	d.tasks.Add(cfg.ID, t)
	go d.waitChild(t, cmd)

	st := taskState{Pid: pid, Pgid: pid, StartTime: ticks}
	if group != nil {
		st.Cgroup = group.Name()
	}
	state, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encode driver state: %w", err)
	}
	d.logger.Debug("task started", "task_id", cfg.ID, "pid", pid, "command", path)
	return &driver.TaskHandle{
		Version:     stateVersion,
		Config:      cfg,
		DriverState: state,
		StartedAt:   t.startedAt,
	}, nil
}

// waitChild waits for the task's main process to exit, kills what is left
// of its process group and of its cgroup, then reaps it. The group is
// killed before the reap, while the exited leader still holds its pid, so
// the group id cannot have been reused by then.
func (d *Driver) waitChild(t *task, cmd *exec.Cmd) {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, t.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			break
		}
	}
	if err := killGroup(t.pgid, syscall.SIGKILL); err != nil {
		d.logger.Warn("cannot kill task's leftover processes", "task_id", t.id, "error", err)
	}
	d.killCgroup(t)
	waitErr := cmd.Wait()
	t.Finish(exitResult(cmd.ProcessState, waitErr))
}

// exitResult turns a reaped process's state into an ExitResult; a process
// killed by a signal gets exit code 128+signal, as shells report it.
func exitResult(ps *os.ProcessState, waitErr error) *driver.ExitResult {
	if ps == nil {
		return &driver.ExitResult{Err: fmt.Errorf("wait for task: %w", waitErr)}
	}
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if !ok {
		return &driver.ExitResult{ExitCode: ps.ExitCode()}
	}
	if ws.Signaled() {
		return &driver.ExitResult{ExitCode: 128 + int(ws.Signal()), Signal: int(ws.Signal())}
	}
	return &driver.ExitResult{ExitCode: ws.ExitStatus()}
}

// pathOf is the PATH the command is searched in: the task's, else the
// agent's.
func pathOf(env map[string]string) string {
	if p, ok := env["PATH"]; ok {
		return p
	}
	return os.Getenv("PATH")
}

// resolveCommand finds the executable for command: an absolute path as is;
// a path with a slash relative to taskDir; a bare name in taskDir if it is
// there, else in the directories of path.
func resolveCommand(command, taskDir, path string) (string, error) {
	if filepath.IsAbs(command) {
		return command, checkExecutable(command, command)
	}
	if strings.Contains(command, "/") {
		p := filepath.Join(taskDir, command)
		return p, checkExecutable(command, p)
	}
	if taskDir != "" {
		p := filepath.Join(taskDir, command)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, checkExecutable(command, p)
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, command)
		if checkExecutable(command, p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("command %q not found in PATH", command)
}

func checkExecutable(command, p string) error {
	fi, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("command %q not found (no file %s)", command, p)
	case err != nil:
		return fmt.Errorf("command %q: %w", command, err)
	case fi.IsDir():
		return fmt.Errorf("command %q: %s is a directory", command, p)
	case fi.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("command %q: %s is not executable", command, p)
	}
	return nil
}
