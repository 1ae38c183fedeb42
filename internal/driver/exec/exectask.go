package exec

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/drover-sh/drover/internal/driver"
)

// DefaultExecSocketDir holds the sockets through which the agent asks a
// task's init to run commands in the task (drover alloc exec). Only root
// may enter it.
const DefaultExecSocketDir = "/run/drover/exec"

// execSocket is the socket of the task with the given ID: a hash of the ID
// (unix socket paths are short), found again by a restarted agent.
func (d *Driver) execSocket(id string) string {
	sum := sha256.Sum256([]byte(id))
	return filepath.Join(d.cfg.ExecSocketDir, hex.EncodeToString(sum[:16])+".sock")
}

// exitFile is where the task's init leaves its exit for a restarted agent.
func (d *Driver) exitFile(id string) string {
	return strings.TrimSuffix(d.execSocket(id), ".sock") + ".exit"
}

// ExecOptions says what ExecTask runs and where its streams go.
type ExecOptions struct {
	// Command is the program and its arguments, resolved like the task's
	// command inside the task's root.
	Command []string
	// TTY gives the command a terminal: Stdout then carries its whole
	// output, and Stderr is unused.
	TTY bool
	// Stdin feeds the command; nil means no input.
	Stdin io.Reader
	// Stdout and Stderr receive its output; nil discards it.
	Stdout, Stderr io.Writer
}

// ExecTask runs a command inside a running task's isolation: its
// namespaces, root, user, capabilities, environment and cgroup. It returns
// once the command has exited and its output has been copied; cancelling
// ctx kills the command. A command that cannot start is an error naming
// it; a command that runs and fails is an ExitResult.
func (d *Driver) ExecTask(ctx context.Context, taskID string, opts ExecOptions) (*driver.ExitResult, error) {
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
	var dialer net.Dialer
	c, err := dialer.DialContext(ctx, "unix", d.execSocket(taskID))
	if err != nil {
		return nil, fmt.Errorf("exec in task %q: reach its init: %w", taskID, err)
	}
	conn := c.(*net.UnixConn)
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.CloseWrite() }) // the init kills the command
	defer stop()

	streams, err := openStreams(opts)
	if err != nil {
		return nil, fmt.Errorf("exec in task %q: %w", taskID, err)
	}
	defer streams.close()
	req, _ := json.Marshal(execRequest{Command: opts.Command, TTY: opts.TTY})
	_, _, err = conn.WriteMsgUnix(req, unix.UnixRights(streams.remoteFDs()...), nil)
	streams.closeRemote() // the init holds them now
	if err != nil {
		return nil, fmt.Errorf("exec in task %q: send request: %w", taskID, err)
	}
	var rep execReply
	decErr := json.NewDecoder(conn).Decode(&rep)
	streams.wait()
	switch {
	case ctx.Err() != nil: // the command was killed for it
		return nil, fmt.Errorf("exec in task %q: %w", taskID, ctx.Err())
	case decErr != nil:
		return nil, fmt.Errorf("exec in task %q: read the result: %w", taskID, decErr)
	case rep.Error != "":
		return nil, fmt.Errorf("exec in task %q: %s", taskID, rep.Error)
	}
	return &driver.ExitResult{ExitCode: rep.ExitCode, Signal: rep.Signal}, nil
}

// streams are an exec session's stdio: the ends the command gets (remote)
// and the copying between the caller's streams and our ends.
type streams struct {
	remote []*os.File
	local  []*os.File
	copies sync.WaitGroup
}

func openStreams(opts ExecOptions) (*streams, error) {
	s := &streams{}
	if opts.TTY {
		return s, s.openTTY(opts)
	}
	for i := 0; i < 3; i++ {
		r, w, err := os.Pipe()
		if err != nil {
			s.close()
			return nil, err
		}
		if i == 0 {
			s.remote, s.local = append(s.remote, r), append(s.local, w)
			s.feed(w, opts.Stdin, true)
		} else {
			s.remote, s.local = append(s.remote, w), append(s.local, r)
			s.drain(r, []io.Writer{opts.Stdout, opts.Stderr}[i-1])
		}
	}
	return s, nil
}

// openTTY makes a pseudo-terminal: the command gets its terminal end as
// stdin, stdout and stderr.
func (s *streams) openTTY(opts ExecOptions) error {
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return fmt.Errorf("open a terminal: %w", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return fmt.Errorf("unlock the terminal: %w", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		master.Close()
		return fmt.Errorf("name the terminal: %w", err)
	}
	term, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return fmt.Errorf("open the terminal: %w", err)
	}
	s.remote = []*os.File{term, term, term}
	s.local = []*os.File{master}
	s.feed(master, opts.Stdin, false)
	s.drain(master, opts.Stdout)
	return nil
}

// feed copies r to the command's input w. A pipe is closed at the end of
// r (or at once without r), so the command reads EOF; a terminal stays
// open, as it also carries the output.
func (s *streams) feed(w *os.File, r io.Reader, isPipe bool) {
	if r == nil {
		if isPipe {
			w.Close()
		}
		return
	}
	go func() {
		io.Copy(w, r)
		if isPipe {
			w.Close()
		}
	}()
}

func (s *streams) drain(r *os.File, w io.Writer) {
	if w == nil {
		w = io.Discard
	}
	s.copies.Add(1)
	go func() {
		defer s.copies.Done()
		io.Copy(w, r) // a terminal reads EIO once the command is gone: the end
	}()
}

func (s *streams) remoteFDs() []int {
	fds := make([]int, len(s.remote))
	for i, f := range s.remote {
		fds[i] = int(f.Fd())
	}
	return fds
}

func (s *streams) closeRemote() {
	seen := map[*os.File]bool{}
	for _, f := range s.remote {
		if !seen[f] {
			seen[f] = true
			f.Close()
		}
	}
}

// wait waits for the output copies to end.
func (s *streams) wait() { s.copies.Wait() }

func (s *streams) close() {
	s.closeRemote()
	for _, f := range s.local {
		f.Close()
	}
}
