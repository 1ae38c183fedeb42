package exec

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// execRequest asks a task's init to run a command in the task's isolation
// (drover alloc exec). Its stdin, stdout and stderr come with it as file
// descriptors (SCM_RIGHTS): three pipe ends, or one terminal three times.
type execRequest struct {
	Command []string `json:"command"`
	TTY     bool     `json:"tty"`
}

// execReply is the init's one answer: how the command ended, or why it
// could not start.
type execReply struct {
	ExitCode int    `json:"exit_code"`
	Signal   int    `json:"signal"`
	Error    string `json:"error,omitempty"`
}

// reaper waits for every child of the init. The task's main process ends
// the init; an exec session's process is handed to whoever watches it.
type reaper struct {
	mu      sync.Mutex
	waiters map[int]chan syscall.WaitStatus
}

// run reaps until main exits and returns its status.
func (r *reaper) run(main int) syscall.WaitStatus {
	for {
		var ws syscall.WaitStatus
		got, err := syscall.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || got == main {
			return ws
		}
		r.mu.Lock()
		if ch, ok := r.waiters[got]; ok {
			ch <- ws
			delete(r.waiters, got)
		}
		r.mu.Unlock()
	}
}

// start starts cmd and registers for its exit under the reaper's lock, so
// the reaper cannot reap it before the registration.
func (r *reaper) start(cmd *execCmd, allow []uintptr) (int, <-chan syscall.WaitStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pid, err := startTask(cmd, allow)
	if err != nil {
		return 0, nil, err
	}
	ch := make(chan syscall.WaitStatus, 1)
	r.waiters[pid] = ch
	return pid, ch, nil
}

// serveExec accepts exec sessions on ln until it is closed. tmpl is the
// task's command: a session's command runs with its root, user and
// environment.
func serveExec(ln *net.UnixListener, tmpl *execCmd, allow []uintptr, r *reaper) {
	for {
		conn, err := ln.AcceptUnix()
		if err != nil {
			return
		}
		go serveSession(conn, tmpl, allow, r)
	}
}

func serveSession(conn *net.UnixConn, tmpl *execCmd, allow []uintptr, r *reaper) {
	defer conn.Close()
	enc := json.NewEncoder(conn)
	req, files, err := readExecRequest(conn)
	defer closeAll(files)
	if err != nil {
		enc.Encode(execReply{Error: err.Error()})
		return
	}
	cmd, err := sessionCmd(req, files, tmpl)
	if err != nil {
		enc.Encode(execReply{Error: err.Error()})
		return
	}
	pid, exited, err := r.start(cmd, allow)
	if err != nil {
		enc.Encode(execReply{Error: fmt.Sprintf("start %q: %v", req.Command[0], err)})
		return
	}
	closeAll(files) // the command holds them now; EOF must reach the other side
	files = nil
	// The driver hanging up (its caller gave up) ends the session.
	hangup := make(chan struct{})
	go func() {
		var b [1]byte
		conn.Read(b[:])
		close(hangup)
	}()
	var ws syscall.WaitStatus
	select {
	case ws = <-exited:
	case <-hangup:
		syscall.Kill(-pid, syscall.SIGKILL)
		syscall.Kill(pid, syscall.SIGKILL)
		ws = <-exited
	}
	// What is left of the session's process group (a background child)
	// goes with it, so it cannot hold the session's output open. The
	// group's ID cannot have been reused while the group has members.
	syscall.Kill(-pid, syscall.SIGKILL)
	rep := execReply{ExitCode: ws.ExitStatus()}
	if ws.Signaled() {
		rep = execReply{ExitCode: 128 + int(ws.Signal()), Signal: int(ws.Signal())}
	}
	enc.Encode(rep)
}

// readExecRequest reads the request line and the three descriptors sent
// with it.
func readExecRequest(conn *net.UnixConn) (*execRequest, []*os.File, error) {
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(3*4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, nil, fmt.Errorf("read exec request: %w", err)
	}
	var files []*os.File
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, nil, fmt.Errorf("exec request descriptors: %w", err)
	}
	for i := range msgs {
		fds, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			return nil, files, fmt.Errorf("exec request descriptors: %w", err)
		}
		for _, fd := range fds {
			unix.CloseOnExec(fd)
			files = append(files, os.NewFile(uintptr(fd), "exec-stdio"))
		}
	}
	if len(files) != 3 {
		return nil, files, fmt.Errorf("exec request came with %d descriptors, want 3", len(files))
	}
	var req execRequest
	if err := json.Unmarshal(buf[:n], &req); err != nil {
		return nil, files, fmt.Errorf("decode exec request: %w", err)
	}
	if len(req.Command) == 0 || req.Command[0] == "" {
		return nil, files, errors.New("exec request has no command")
	}
	return &req, files, nil
}

// sessionCmd builds a session's command like the task's: same root, user,
// environment and working directory.
func sessionCmd(req *execRequest, files []*os.File, tmpl *execCmd) (*execCmd, error) {
	root := tmpl.SysProcAttr.Chroot
	path, err := findCommand(root, req.Command[0], envPath(tmpl.Env))
	if err != nil {
		return nil, err
	}
	attr := *tmpl.SysProcAttr
	attr.Setsid = true
	if req.TTY {
		attr.Setctty, attr.Ctty = true, 0
	}
	return &execCmd{
		Path: path, Args: req.Command, Env: tmpl.Env, Dir: tmpl.Dir,
		Stdin: files[0], Stdout: files[1], Stderr: files[2],
		SysProcAttr: &attr,
	}, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}
