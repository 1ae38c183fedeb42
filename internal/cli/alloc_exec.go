package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/term"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/api"
)

func allocExecCommand() *command {
	return &command{
		name:     "alloc exec",
		args:     "[options] <alloc> <command> [args...]",
		synopsis: "Run a command in a running task",
		// The command's own flags are not ours.
		flagsFirst: true,
		help: `Runs a command inside a running task of an allocation (an ID, or a unique prefix of one), as Nomad's alloc exec does: with the exec driver the command shares the task's isolation (its namespaces, root, user, capabilities, environment and cgroup); with raw_exec it runs beside the task, in its directory with its environment. The task may be left out when the allocation runs only one; with -job, a random running allocation of the job is chosen and the first argument is the command. The agent asked passes the session on to the agent of the node that runs the allocation.

With -t (the default when stdin is a terminal) the command gets a terminal: the local terminal is put in raw mode, its size is sent at the start and whenever it changes, and the escape character (-e, "~" by default) followed by "." at the start of a line closes the session. Without -i the command gets no input.

Exit codes: the command's own exit code; 1 on errors (unknown allocation or task, task not running, a driver that cannot exec); 2 on misuse.`,
		example: `drover alloc exec cb3116cf /bin/sh
drover alloc exec -task web cb31 cat /local/config.json
drover alloc exec -job web -i=false ps aux`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			task := fs.String("task", "", "The `name` of the task to run the command in; needed when the allocation runs several.")
			job := fs.Bool("job", false, "Take the first argument as a job ID and run in a random running allocation of it.")
			stdin := fs.Bool("i", true, "Pass stdin to the command.")
			tty := fs.Bool("t", isTerminal(env.Stdin), "Give the command a terminal (default: whether stdin is a terminal).")
			escape := fs.String("e", "~", "The escape `character` for a terminal session: it and \".\" at the start of a line close the session; \"none\" turns it off.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) < 2 {
					return usagef("alloc exec takes the allocation ID (or with -job the job ID) and the command to run")
				}
				if *escape != "none" && len([]rune(*escape)) != 1 {
					return usagef("-e must be one character or \"none\", not %q", *escape)
				}
				c, err := af.client()
				if err != nil {
					return err
				}
				alloc, err := execAlloc(c, clock(ctx)(), args[0], *job)
				if err != nil {
					return err
				}
				name, err := execTask(alloc, *task)
				if err != nil {
					return err
				}
				s := &execSession{env: env, tty: *tty, escape: *escape}
				if *stdin {
					s.stdin = env.Stdin
				}
				code, err := s.run(ctx, c, alloc.ID, name, args[1:])
				if err != nil {
					return fmt.Errorf("exec in task %q of allocation %q: %w", name, short(alloc.ID), err)
				}
				if code != 0 {
					return &exitError{code: code}
				}
				return nil
			}
		},
	}
}

// execAlloc finds the allocation: by ID or prefix, or with byJob a random
// running allocation of the job.
func execAlloc(c *api.Client, now time.Time, arg string, byJob bool) (*drover.Allocation, error) {
	var id string
	if byJob {
		jobID, err := resolveJob(c, arg)
		if err != nil {
			return nil, err
		}
		stubs, _, err := c.Jobs().Allocations(jobID, false, nil)
		if err != nil {
			return nil, fmt.Errorf("reading the allocations of job %q: %w", jobID, err)
		}
		var running []string
		for _, s := range stubs {
			if s.ClientStatus == drover.AllocClientStatusRunning {
				running = append(running, s.ID)
			}
		}
		if len(running) == 0 {
			return nil, fmt.Errorf("job %q has no running allocation", jobID)
		}
		id = running[rand.IntN(len(running))]
	} else {
		var err error
		if id, err = resolveAlloc(c, now, arg); err != nil {
			return nil, err
		}
	}
	alloc, _, err := c.Allocations().Info(id, nil)
	if err != nil {
		return nil, fmt.Errorf("reading allocation %q: %w", short(id), err)
	}
	return alloc, nil
}

// execTask picks the task: the one named, or the allocation's only one.
func execTask(a *drover.Allocation, name string) (string, error) {
	tasks := allocTaskNames(a)
	if name != "" {
		for _, t := range tasks {
			if t == name {
				return t, nil
			}
		}
		return "", fmt.Errorf("allocation %q has no task %q; its tasks: %s", short(a.ID), name, strings.Join(tasks, ", "))
	}
	switch len(tasks) {
	case 1:
		return tasks[0], nil
	case 0:
		return "", fmt.Errorf("allocation %q has no tasks", short(a.ID))
	}
	return "", usagef("allocation %q runs several tasks; name one with -task: %s", short(a.ID), strings.Join(tasks, ", "))
}

// execSession is one alloc exec run: its streams and terminal handling.
type execSession struct {
	env    *Env
	stdin  io.Reader // nil: no input
	tty    bool
	escape string
}

func (s *execSession) run(ctx context.Context, c *api.Client, allocID, task string, command []string) (int, error) {
	opts := api.ExecOptions{Task: task, Command: command, TTY: s.tty, Stdin: s.stdin,
		Stdout: s.env.Stdout, Stderr: s.env.Stderr}
	if !s.tty {
		return c.Allocations().Exec(ctx, allocID, opts)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var closed atomic.Bool
	if s.stdin != nil && s.escape != "none" {
		esc := []byte(s.escape)[0]
		opts.Stdin = &escapeReader{r: s.stdin, esc: esc, atLineStart: true, onClose: func() {
			closed.Store(true)
			cancel()
		}}
	}
	if in, ok := s.env.Stdin.(*os.File); ok && term.IsTerminal(int(in.Fd())) {
		old, err := term.MakeRaw(int(in.Fd()))
		if err != nil {
			return -1, fmt.Errorf("put the terminal in raw mode: %w", err)
		}
		defer term.Restore(int(in.Fd()), old)
	}
	if f := s.sizeFile(); f != nil {
		resize := make(chan api.TerminalSize, 1)
		if size, ok := termSize(f); ok {
			resize <- size
		}
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		defer signal.Stop(winch)
		go func() {
			for {
				select {
				case <-winch:
					if size, ok := termSize(f); ok {
						select {
						case resize <- size:
						case <-ctx.Done():
							return
						}
					}
				case <-ctx.Done():
					return
				}
			}
		}()
		opts.Resize = resize
	}
	code, err := c.Allocations().Exec(ctx, allocID, opts)
	if closed.Load() && errors.Is(err, context.Canceled) {
		fmt.Fprintf(s.env.Stderr, "\r\nSession closed by the escape sequence %s.\r\n", s.escape)
		return 1, nil
	}
	return code, err
}

// sizeFile is the local terminal whose size the remote one follows: stdout
// or stdin, whichever is a terminal; nil when neither is.
func (s *execSession) sizeFile() *os.File {
	for _, v := range []any{s.env.Stdout, s.env.Stdin} {
		if f, ok := v.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			return f
		}
	}
	return nil
}

func termSize(f *os.File) (api.TerminalSize, bool) {
	w, h, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return api.TerminalSize{}, false
	}
	return api.TerminalSize{Height: h, Width: w}, true
}

// isTerminal reports whether r is a terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// escapeReader passes its reader's input on, except for the escape
// sequences at the start of a line: esc followed by "." calls onClose and
// ends the input; esc twice passes one esc on; esc followed by anything
// else passes both on.
type escapeReader struct {
	r           io.Reader
	esc         byte
	onClose     func()
	atLineStart bool
	pending     bool // esc seen at a line start, waiting for the next byte
	closed      bool
	buf, out    []byte // out: filtered input not yet returned
}

func (e *escapeReader) Read(p []byte) (int, error) {
	for len(e.out) == 0 {
		if e.closed {
			return 0, io.EOF
		}
		if cap(e.buf) < len(p) {
			e.buf = make([]byte, len(p))
		}
		n, err := e.r.Read(e.buf[:len(p)])
		e.filter(e.buf[:n])
		if len(e.out) == 0 && err != nil {
			return 0, err
		}
	}
	n := copy(p, e.out)
	e.out = e.out[n:]
	return n, nil
}

// filter appends the input in b to out, taking the escape sequences out.
func (e *escapeReader) filter(b []byte) {
	for _, c := range b {
		if e.closed {
			return
		}
		switch {
		case e.pending:
			e.pending = false
			if c == '.' {
				e.closed = true
				e.onClose()
				return
			}
			if c != e.esc {
				e.out = append(e.out, e.esc)
			}
			e.out = append(e.out, c)
		case e.atLineStart && c == e.esc:
			e.pending = true
			continue
		default:
			e.out = append(e.out, c)
		}
		e.atLineStart = c == '\r' || c == '\n'
	}
}
