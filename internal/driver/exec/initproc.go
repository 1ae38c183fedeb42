package exec

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// initArg0 is the argv[0] the driver gives the re-executed binary; seeing
// it, the package's init function runs the task's init instead of the
// program.
const initArg0 = "drover-exec-init"

// The init's extra file descriptors (ExtraFiles 0 and 1).
const (
	specFD   = 3 // driver → init: the initSpec, then EOF
	statusFD = 4 // init → driver: one startMsg, then one exitMsg
)

// initSpec is everything the init needs, sent by the driver once it has
// placed the init in the task's cgroup.
type initSpec struct {
	Root      string      `json:"root"`      // the task directory, the task's /
	AllocDir  string      `json:"alloc_dir"` // host alloc dir; its alloc/ is the task's /alloc
	Mounts    []bindMount `json:"mounts"`    // read-only binds of host paths
	Command   string      `json:"command"`
	Args      []string    `json:"args"`
	Env       []string    `json:"env"`
	User      string      `json:"user"`
	Hostname  string      `json:"hostname"`
	AllowCaps []uintptr   `json:"allow_caps"` // kept by a root task only
	// ExecSocket is where the init serves exec sessions; "" serves none.
	ExecSocket string `json:"exec_socket,omitempty"`
	// ExitFile is where the init leaves the task's exit for a driver that
	// is not its parent; "" leaves none.
	ExitFile string `json:"exit_file,omitempty"`
}

// bindMount is one chroot_env entry.
type bindMount struct {
	Source string `json:"source"`
	Dest   string `json:"dest"`
}

// startMsg reports whether the command started; exitMsg how it ended.
type startMsg struct {
	Pid   int    `json:"pid,omitempty"`
	Error string `json:"error,omitempty"`
	// NotFound marks a missing command: worth retrying (an artifact may
	// yet bring it).
	NotFound bool `json:"not_found,omitempty"`
}

type exitMsg struct {
	ExitCode int `json:"exit_code"`
	Signal   int `json:"signal"`
}

// probeArg0 is the argv[0] of the probe: it only exits, proving that the
// init could be started in the task's namespaces.
const probeArg0 = "drover-exec-probe"

func init() {
	if len(os.Args) == 1 {
		switch os.Args[0] {
		case initArg0:
			os.Exit(runInit())
		case probeArg0:
			os.Exit(0)
		}
	}
}

// probeNamespaces starts this binary in the namespaces a task gets, as a
// root agent in an unprivileged container cannot.
func probeNamespaces() error {
	cmd := &execCmd{
		Path: "/proc/self/exe", Args: []string{probeArg0}, Env: []string{},
		SysProcAttr: &syscall.SysProcAttr{Cloneflags: namespaces},
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v %s", err, out)
	}
	return nil
}

// runInit is the task's PID 1. Its stdout and stderr are the task's log
// files; everything it has to say goes to the driver over statusFD.
func runInit() int {
	syscall.CloseOnExec(specFD) // the task must not inherit the driver's pipes
	syscall.CloseOnExec(statusFD)
	status := os.NewFile(statusFD, "status")
	enc := json.NewEncoder(status)
	fail := func(msg startMsg) int {
		enc.Encode(msg)
		return 127
	}
	var spec initSpec
	if err := json.NewDecoder(os.NewFile(specFD, "spec")).Decode(&spec); err != nil {
		return fail(startMsg{Error: "exec init: read spec: " + err.Error()})
	}
	// Forward signals from before the command starts, so none is lost.
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, forwarded...)

	cmd, notFound, err := prepare(&spec)
	if err != nil {
		return fail(startMsg{Error: err.Error(), NotFound: notFound})
	}
	pid, err := startTask(cmd, spec.AllowCaps)
	if err != nil {
		return fail(startMsg{Error: fmt.Sprintf("start command %q: %v", spec.Command, err)})
	}
	r := &reaper{waiters: map[int]chan syscall.WaitStatus{}}
	if spec.ExecSocket != "" {
		ln, err := listenExec(spec.ExecSocket)
		if err != nil {
			syscall.Kill(pid, syscall.SIGKILL)
			return fail(startMsg{Error: err.Error()})
		}
		defer os.Remove(spec.ExecSocket)
		go serveExec(ln, cmd, spec.AllowCaps, r)
	}
	// The task was forked with the init's score, so this protects only
	// the init: under memory pressure the kernel kills the task, not the
	// process that reports why it died.
	os.WriteFile("/proc/self/oom_score_adj", []byte("-1000"), 0)
	enc.Encode(startMsg{Pid: pid})

	go func() {
		for s := range sigs {
			syscall.Kill(pid, s.(syscall.Signal))
		}
	}()
	ws := r.run(pid)
	res := exitMsg{ExitCode: ws.ExitStatus()}
	code := res.ExitCode
	if ws.Signaled() {
		res = exitMsg{ExitCode: 128 + int(ws.Signal()), Signal: int(ws.Signal())}
		code = res.ExitCode
	}
	// The driver that started the task reads the pipe; one that recovered
	// it after an agent restart reads the file.
	if spec.ExitFile != "" {
		writeExitFile(spec.ExitFile, res)
	}
	enc.Encode(res) // the driver may be gone (agent restart): nothing to do then
	return code
}

// forwarded are the signals the init passes on to the task. SIGURG is the
// Go runtime's own; SIGCHLD is the init's business.
var forwarded = []os.Signal{
	syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2,
	syscall.SIGTERM, syscall.SIGCONT, syscall.SIGWINCH, syscall.SIGALRM, syscall.SIGABRT,
	syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGPIPE,
}

// startTask starts cmd from a thread of its own whose capability bounding
// set keeps only allow (the only capabilities a root task can hold) and
// that has no_new_privs set (setuid files grant nothing). The thread is
// never unlocked, so the Go runtime ends it: the init's other threads keep
// the privileges they need to signal the task.
func startTask(cmd *execCmd, allow []uintptr) (int, error) {
	type result struct {
		pid int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with this goroutine
		if err := dropPrivileges(allow); err != nil {
			ch <- result{err: err}
			return
		}
		err := cmd.Start()
		if err != nil {
			ch <- result{err: err}
			return
		}
		ch <- result{pid: cmd.Process.Pid}
	}()
	r := <-ch
	return r.pid, r.err
}

// dropPrivileges limits the calling thread, and so what it forks.
func dropPrivileges(allow []uintptr) error {
	keep := map[uintptr]bool{}
	for _, c := range allow {
		keep[c] = true
	}
	for c := uintptr(0); c <= lastCap(); c++ {
		if keep[c] {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, c, 0, 0, 0); err != nil && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("drop capability %d: %w", c, err)
		}
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	if err := setInheritable(allow); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("set no_new_privs: %w", err)
	}
	return nil
}

// setInheritable makes the thread's inheritable set allow: a root task's
// capabilities after exec are its inheritable set plus the bounding set.
func setInheritable(allow []uintptr) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("read capabilities: %w", err)
	}
	data[0].Inheritable, data[1].Inheritable = 0, 0
	for _, c := range allow {
		data[c/32].Inheritable |= 1 << (c % 32)
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("set inheritable capabilities: %w", err)
	}
	return nil
}

// listenExec listens for exec sessions on a unix socket only root can
// reach, replacing a stale one of an earlier run.
func listenExec(path string) (*net.UnixListener, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("exec socket: %w", err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("exec socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("exec socket: %w", err)
	}
	return ln, nil
}

// writeExitFile records the exit atomically: a reader sees all of it or
// nothing.
func writeExitFile(path string, res exitMsg) error {
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
