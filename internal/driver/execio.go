package driver

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// ExecStreams are the standard streams of one exec session: the files the
// command gets (Remote) and the copying between them and the caller's
// readers and writers. Drivers that start the command themselves (or have
// it started) share it, so terminals and pipes behave alike everywhere.
type ExecStreams struct {
	remote []*os.File
	local  []*os.File
	copies sync.WaitGroup

	master *os.File      // the terminal's master end; nil without TTY
	done   chan struct{} // closed by Close: ends the resize loop
	once   sync.Once

	mu     sync.Mutex // orders resizes and Close
	closed bool
}

// OpenExecStreams makes the session's streams: three pipes, or with
// opts.TTY a pseudo-terminal sized opts.Size whose terminal end is the
// command's stdin, stdout and stderr and which follows opts.Resize. The
// caller hands Remote to the command, calls CloseRemote once the command
// holds them, Wait for the output after it exited, and Close at the end.
func OpenExecStreams(opts ExecOptions) (*ExecStreams, error) {
	s := &ExecStreams{done: make(chan struct{})}
	if opts.TTY {
		if err := s.openTTY(opts); err != nil {
			return nil, err
		}
		return s, nil
	}
	for i := 0; i < 3; i++ {
		r, w, err := os.Pipe()
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("make a pipe: %w", err)
		}
		if i == 0 {
			s.remote, s.local = append(s.remote, r), append(s.local, w)
			s.feed(w, opts.Stdin, false)
		} else {
			s.remote, s.local = append(s.remote, w), append(s.local, r)
			s.drain(r, []io.Writer{opts.Stdout, opts.Stderr}[i-1])
		}
	}
	return s, nil
}

// openTTY makes a pseudo-terminal: the command gets its terminal end as
// stdin, stdout and stderr; the master end stays here.
func (s *ExecStreams) openTTY(opts ExecOptions) error {
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
	s.master = master
	if opts.Size != (TerminalSize{}) {
		if err := s.resize(opts.Size); err != nil {
			master.Close()
			term.Close()
			return err
		}
	}
	s.remote = []*os.File{term, term, term}
	s.local = []*os.File{master}
	s.feed(master, opts.Stdin, true)
	s.drain(master, opts.Stdout)
	if opts.Resize != nil {
		go s.follow(opts.Resize)
	}
	return nil
}

// resize sets the terminal's size; the kernel signals SIGWINCH to the
// terminal's foreground process group.
func (s *ExecStreams) resize(size TerminalSize) error {
	if size.Height < 0 || size.Width < 0 || size.Height > 0xffff || size.Width > 0xffff {
		return fmt.Errorf("terminal size %dx%d is out of range", size.Width, size.Height)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	ws := &unix.Winsize{Row: uint16(size.Height), Col: uint16(size.Width)}
	if err := unix.IoctlSetWinsize(int(s.master.Fd()), unix.TIOCSWINSZ, ws); err != nil {
		return fmt.Errorf("set the terminal size: %w", err)
	}
	return nil
}

// follow applies sizes from ch until it closes or the session ends. A size
// that cannot be set is dropped: the session goes on at the old size.
func (s *ExecStreams) follow(ch <-chan TerminalSize) {
	for {
		select {
		case size, ok := <-ch:
			if !ok {
				return
			}
			_ = s.resize(size)
		case <-s.done:
			return
		}
	}
}

// feed copies r to the command's input w. A pipe is closed at the end of
// r (or at once without r), so the command reads EOF; a terminal, which
// also carries the output, gets its end-of-file character instead.
func (s *ExecStreams) feed(w *os.File, r io.Reader, terminal bool) {
	if r == nil {
		if !terminal {
			w.Close()
		}
		return
	}
	go func() {
		_, err := io.Copy(w, r)
		if terminal {
			if err == nil {
				w.Write([]byte{4}) // ^D: a line-reading command sees EOF
			}
			return
		}
		w.Close()
	}()
}

func (s *ExecStreams) drain(r *os.File, w io.Writer) {
	if w == nil {
		w = io.Discard
	}
	s.copies.Add(1)
	go func() {
		defer s.copies.Done()
		io.Copy(w, r) // a terminal reads EIO once the command is gone: the end
	}()
}

// Remote returns the command's stdin, stdout and stderr, in that order.
func (s *ExecStreams) Remote() []*os.File { return s.remote }

// RemoteFDs returns Remote's descriptors, for passing them on.
func (s *ExecStreams) RemoteFDs() []int {
	fds := make([]int, len(s.remote))
	for i, f := range s.remote {
		fds[i] = int(f.Fd())
	}
	return fds
}

// CloseRemote closes our copies of the command's ends, so that its exit
// ends the output (EOF on a pipe, EIO on a terminal).
func (s *ExecStreams) CloseRemote() {
	seen := map[*os.File]bool{}
	for _, f := range s.remote {
		if !seen[f] {
			seen[f] = true
			f.Close()
		}
	}
}

// Wait waits for the output copies to end: every holder of the command's
// output ends has closed them. When ctx ends first (a process that escaped
// the session still holds them), it stops copying and returns.
func (s *ExecStreams) Wait(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		s.copies.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.Close()
		<-done
	}
}

// Close releases everything; the copies end.
func (s *ExecStreams) Close() {
	s.once.Do(func() {
		close(s.done)
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.CloseRemote()
		for _, f := range s.local {
			f.Close()
		}
	})
}
