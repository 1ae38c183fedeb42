package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/api"
)

// tailBytesPerLine is how many bytes per wanted line -tail reads back from
// the end of the log; the excess is trimmed to the last -n lines.
const tailBytesPerLine = 256

func allocLogsCommand() *command {
	return &command{
		name:     "alloc logs",
		args:     "[options] <alloc> [task]",
		synopsis: "Print a task's stdout or stderr log",
		help:     `Copies the log of a task of an allocation (an ID, or a unique prefix of one) to stdout: its stdout log, or its stderr log with -stderr. The task may be left out when the allocation has only one. With -f, keeps printing as the task writes until Ctrl-C. With -tail, prints only the last lines (10, or -n). With -job, the argument is a job ID (or a unique prefix of one) and the log is that of a random running allocation of the job.`,
		example: `drover alloc logs cb3116cf
drover alloc logs -stderr -tail -n 50 cb31 web
drover alloc logs -f cb31
drover alloc logs -job web -task server`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			stderr := fs.Bool("stderr", false, "Print the task's stderr log instead of its stdout log.")
			follow := fs.Bool("f", false, "Follow the log: keep printing what the task writes until Ctrl-C.")
			tail := fs.Bool("tail", false, "Print only the end of the log: the last -n lines.")
			lines := fs.Int("n", 10, "The number of `lines` -tail prints; setting it implies -tail.")
			byJob := fs.Bool("job", false, "Take the argument as a job ID and read the log of a random running allocation of the job.")
			taskName := fs.String("task", "", "The `task` whose log to read, as the task argument names it.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) < 1 || len(args) > 2 {
					return usagef("alloc logs takes the allocation ID (or with -job the job ID) and, optionally, the task name")
				}
				if *taskName != "" {
					if len(args) == 2 && args[1] != *taskName {
						return usagef("-task %q and the task argument %q name different tasks", *taskName, args[1])
					}
					args = []string{args[0], *taskName}
				}
				nSet := false
				fs.Visit(func(f *flag.Flag) { nSet = nSet || f.Name == "n" })
				if *lines < 0 {
					return usagef("-n must not be negative")
				}
				opts := logOpts{stream: "stdout", follow: *follow, lines: -1}
				if *stderr {
					opts.stream = "stderr"
				}
				if *tail || nSet {
					opts.lines = *lines
				}
				opts.byJob = *byJob
				return allocLogs(ctx, env, af, args, opts)
			}
		},
	}
}

// logOpts are the options of alloc logs; lines < 0 prints the whole log.
type logOpts struct {
	stream string
	follow bool
	lines  int
	byJob  bool // args[0] is a job: read a random running allocation's log
}

func allocLogs(ctx context.Context, env *Env, af *apiFlags, args []string, opts logOpts) error {
	c, err := af.client()
	if err != nil {
		return err
	}
	alloc, err := execAlloc(c, clock(ctx)(), args[0], opts.byJob)
	if err != nil {
		return err
	}
	id := alloc.ID
	task, err := logTask(alloc, args[1:])
	if err != nil {
		return err
	}
	origin, offset := "start", int64(0)
	if opts.lines >= 0 {
		origin, offset = "end", int64(opts.lines+1)*tailBytesPerLine
	}
	rc, err := c.AllocFS().Logs(ctx, id, task, opts.stream, opts.follow, origin, offset)
	if errors.Is(err, drover.ErrNotSupported) && alloc.NodeID != "" {
		// The agent at -address does not run the allocation: logs live on
		// its node, so ask that node's agent, as Nomad's CLI does.
		nc, nerr := nodeClient(af, c, alloc.NodeID)
		if nerr != nil {
			return fmt.Errorf("%w; reaching the allocation's node instead: %w", err, nerr)
		}
		rc, err = nc.AllocFS().Logs(ctx, id, task, opts.stream, opts.follow, origin, offset)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("reading %s log of task %q of allocation %q: %w", opts.stream, task, short(id), err)
	}
	defer rc.Close()
	var src io.Reader = rc
	switch {
	case opts.lines >= 0 && !opts.follow:
		b, err := io.ReadAll(rc)
		if err != nil {
			return fmt.Errorf("reading %s log of task %q: %w", opts.stream, task, err)
		}
		src = bytes.NewReader(lastLines(b, opts.lines))
	case opts.lines >= 0:
		src = &tailReader{r: rc, lines: opts.lines}
	}
	if _, err := io.Copy(env.Stdout, src); err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("copying %s log of task %q: %w", opts.stream, task, err)
	}
	return nil
}

// logTask picks the task whose log to read: the one named, or the
// allocation's only task.
func logTask(a *drover.Allocation, args []string) (string, error) {
	tasks := allocTaskNames(a)
	if len(args) == 1 {
		for _, t := range tasks {
			if t == args[0] {
				return t, nil
			}
		}
		return "", drover.Errorf(drover.ErrNotFound, "allocation %q has no task %q; its tasks: %s", short(a.ID), args[0], strings.Join(tasks, ", "))
	}
	switch len(tasks) {
	case 1:
		return tasks[0], nil
	case 0:
		return "", fmt.Errorf("allocation %q has no tasks", short(a.ID))
	}
	return "", usagef("allocation %q runs several tasks; name one of: %s", short(a.ID), strings.Join(tasks, ", "))
}

// tailReader passes on its reader's data, except that it trims the first
// chunk read (the backlog the server sends from the end of the log) to its
// last lines lines.
type tailReader struct {
	r       io.Reader
	lines   int
	trimmed bool
	pending []byte
}

func (t *tailReader) Read(p []byte) (int, error) {
	if len(t.pending) > 0 {
		n := copy(p, t.pending)
		t.pending = t.pending[n:]
		return n, nil
	}
	if t.trimmed {
		return t.r.Read(p)
	}
	buf := make([]byte, 64*1024)
	n, err := t.r.Read(buf)
	if n == 0 {
		return 0, err
	}
	t.trimmed = true
	t.pending = lastLines(buf[:n], t.lines)
	m := copy(p, t.pending)
	t.pending = t.pending[m:]
	if len(t.pending) > 0 {
		err = nil
	}
	return m, err
}

// lastLines returns the last n lines of b (a trailing newline does not
// start a line).
func lastLines(b []byte, n int) []byte {
	if n == 0 {
		return nil
	}
	end := len(b)
	if end > 0 && b[end-1] == '\n' {
		end--
	}
	for i := 0; i < n; i++ {
		j := bytes.LastIndexByte(b[:end], '\n')
		if j < 0 {
			return b
		}
		end = j
	}
	return b[end+1:]
}

// nodeClient returns a client for the HTTP API of the agent of node nodeID,
// with the scheme and token of af.
func nodeClient(af *apiFlags, c *api.Client, nodeID string) (*api.Client, error) {
	node, _, err := c.Nodes().Info(nodeID, nil)
	if err != nil {
		return nil, fmt.Errorf("reading node %q: %w", short(nodeID), err)
	}
	if node.HTTPAddr == "" {
		return nil, fmt.Errorf("node %q has no HTTP address", node.Name)
	}
	scheme := "http://"
	if strings.HasPrefix(af.address, "https://") {
		scheme = "https://"
	}
	return af.clientAt(scheme + node.HTTPAddr)
}
