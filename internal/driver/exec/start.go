package exec

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/drover-sh/drover/internal/cgroup"
	"github.com/drover-sh/drover/internal/driver"
)

// namespaces the init is started in.
const namespaces = syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS

// StartTask starts the task's init in new namespaces, places it in the
// task's cgroup before anything of the task runs, hands it the task's spec
// and waits for the command to start. Bad config, a denied user and an
// unusable host are not recoverable; a command missing from the task's
// filesystem is, so the restart policy decides.
func (d *Driver) StartTask(cfg *driver.TaskConfig) (*driver.TaskHandle, error) {
	if why := d.unavailable(); why != "" {
		return nil, errors.New("failed to start task: " + why)
	}
	tc, err := parseConfig(cfg.Config)
	if err != nil {
		return nil, fmt.Errorf("failed to start task: invalid exec config: %w", err)
	}
	usr, err := d.taskUser(cfg.User)
	if err != nil {
		return nil, fmt.Errorf("failed to start task: %w", err)
	}
	if err := d.tasks.Reserve(cfg.ID); err != nil {
		return nil, fmt.Errorf("failed to start task: %w", err)
	}
	defer d.tasks.Release(cfg.ID)

	cg, _ := d.cgroups()
	group, err := cg.Create(cgroup.SafeName(cfg.ID), d.limits(cfg))
	if err != nil {
		return nil, driver.Recoverable(fmt.Errorf("failed to start task: %w", err))
	}
	paths := newTaskPaths(cfg.AllocDir, cfg.TaskDir)
	spec := &initSpec{
		Root: cfg.TaskDir, AllocDir: cfg.AllocDir, Mounts: mountsOf(d.cfg.ChrootEnv),
		Command: paths.rewrite(tc.Command), Args: paths.list(tc.Args), Env: driver.EnvList(paths.env(cfg.Env)), User: usr,
		Hostname: hostname(cfg.Name), AllowCaps: d.caps,
	}
	if err := os.MkdirAll(d.cfg.ExecSocketDir, 0o700); err != nil {
		d.logger.Warn("exec sessions into the task will not work", "task_id", cfg.ID, "error", err)
	} else {
		spec.ExecSocket = d.execSocket(cfg.ID)
		spec.ExitFile = d.exitFile(cfg.ID)
		os.Remove(spec.ExitFile) // an ID is not reused; this is for certainty
	}
	t, err := d.launch(cfg, spec, group)
	if err != nil {
		if derr := group.Destroy(); derr != nil {
			d.logger.Warn("cannot remove the cgroup of a task that failed to start", "task_id", cfg.ID, "error", derr)
		}
		return nil, err
	}
	state, err := json.Marshal(taskState{Pid: t.pid, StartTime: t.startTicks, Cgroup: group.Name()})
	if err != nil {
		return nil, fmt.Errorf("encode driver state: %w", err)
	}
	return &driver.TaskHandle{Version: stateVersion, Config: cfg, DriverState: state, StartedAt: t.startedAt}, nil
}

// limits are the cgroup limits of a task: the hard memory limit is
// memory_max when set, else memory.
func (d *Driver) limits(cfg *driver.TaskConfig) cgroup.Limits {
	mem := cfg.MemoryMB
	if cfg.MemoryMaxMB > mem {
		mem = cfg.MemoryMaxMB
	}
	return cgroup.Limits{MemoryBytes: mem << 20, CPUShares: cfg.CPUShares, PidsMax: d.cfg.PidsLimit}
}

// launch starts the init, puts it in group, sends it spec and reads
// whether the command started. On error nothing of the task is left
// running.
func (d *Driver) launch(cfg *driver.TaskConfig, spec *initSpec, group cgroup.Group) (*task, error) {
	fail := func(err error) (*task, error) {
		return nil, fmt.Errorf("failed to start task: %w", err)
	}
	stdout, err := driver.OpenTaskLog(cfg.StdoutPath)
	if err != nil {
		return fail(fmt.Errorf("stdout: %w", err))
	}
	defer stdout.Close()
	stderr, err := driver.OpenTaskLog(cfg.StderrPath)
	if err != nil {
		return fail(fmt.Errorf("stderr: %w", err))
	}
	defer stderr.Close()
	specR, specW, err := os.Pipe()
	if err != nil {
		return fail(err)
	}
	defer specW.Close()
	statusR, statusW, err := os.Pipe()
	if err != nil {
		specR.Close()
		return fail(err)
	}
	cmd := &osexec.Cmd{
		Path:       "/proc/self/exe", // this very binary, even if replaced on disk since
		Args:       []string{initArg0},
		Env:        []string{},
		Dir:        "/",
		Stdout:     stdout,
		Stderr:     stderr,
		ExtraFiles: []*os.File{specR, statusW},
		// Its own session: the agent's terminal signals never reach it,
		// and it outlives the agent.
		SysProcAttr: &syscall.SysProcAttr{Cloneflags: namespaces, Setsid: true},
	}
	err = cmd.Start()
	specR.Close()
	statusW.Close()
	if err != nil {
		statusR.Close()
		return fail(fmt.Errorf("start init: %w", err))
	}
	abort := func(err error) (*task, error) {
		cmd.Process.Kill()
		cmd.Wait()
		statusR.Close()
		return fail(err)
	}
	pid := cmd.Process.Pid
	if err := group.Add(pid); err != nil {
		return abort(err)
	}
	if err := json.NewEncoder(specW).Encode(spec); err != nil {
		return abort(fmt.Errorf("send spec to init: %w", err))
	}
	specW.Close()
	status := bufio.NewReader(statusR)
	var started startMsg
	if err := readMsg(status, &started); err != nil || started.Error != "" {
		if err == nil {
			err = errors.New(started.Error)
		}
		if _, werr := cmd.Process.Wait(); werr != nil {
			d.logger.Warn("cannot reap a task init that failed", "task_id", cfg.ID, "error", werr)
		}
		statusR.Close()
		if started.NotFound {
			return nil, driver.Recoverable(fmt.Errorf("failed to start task: %w", err))
		}
		return fail(err)
	}
	_, ticks, err := driver.ProcStat(pid)
	if err != nil {
		d.logger.Warn("cannot read the task init's start time; it will not be recoverable", "pid", pid, "error", err)
	}
	t := newTask(cfg.ID, cfg.Name, cmd.Process, ticks, time.Now(), group)
	d.tasks.Add(cfg.ID, t)
	go d.waitInit(t, cmd, status, statusR)
	d.logger.Debug("task started", "task_id", cfg.ID, "pid", pid, "task_pid", started.Pid, "command", spec.Command, "user", spec.User)
	return t, nil
}

// readMsg reads one JSON line from the init.
func readMsg(r *bufio.Reader, v any) error {
	line, err := r.ReadBytes('\n')
	if err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("task init exited without a word")
		}
		return err
	}
	return json.Unmarshal(line, v)
}

// waitInit waits for the init to report the task's exit and to exit
// itself, then kills anything left in the cgroup, reads whether the kernel
// OOM-killed the task, and removes the cgroup.
func (d *Driver) waitInit(t *task, cmd *osexec.Cmd, status *bufio.Reader, closer io.Closer) {
	var exit exitMsg
	msgErr := readMsg(status, &exit)
	closer.Close()
	waitErr := cmd.Wait()
	res := &driver.ExitResult{ExitCode: exit.ExitCode, Signal: exit.Signal}
	if msgErr != nil {
		// The init itself was killed (StopTask's SIGKILL): its own status
		// is the task's.
		res = initExit(cmd.ProcessState, waitErr)
	}
	t.finish(d, res)
}

// initExit turns the init's wait status into an ExitResult.
func initExit(ps *os.ProcessState, waitErr error) *driver.ExitResult {
	if ps == nil {
		return &driver.ExitResult{Err: fmt.Errorf("wait for task: %w", waitErr)}
	}
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		return &driver.ExitResult{ExitCode: 128 + int(ws.Signal()), Signal: int(ws.Signal())}
	}
	return &driver.ExitResult{ExitCode: ps.ExitCode()}
}

// hostname is the task's hostname in its UTS namespace: its name, made a
// valid host name.
func hostname(task string) string {
	b := []byte(strings.ToLower(task))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			b[i] = '-'
		}
	}
	s := strings.Trim(string(b), "-")
	if len(s) > 63 {
		s = s[:63]
	}
	if s == "" {
		s = "task"
	}
	return s
}
