package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/driver"
)

// echoExec is a client whose exec sessions copy stdin to stdout, write the
// command and the terminal size to stderr (to stdout with a terminal), and
// exit with code 9.
func echoExec(tokens chan<- string) *fakeClient {
	return &fakeClient{Exec: func(ctx context.Context, allocID, task string, opts driver.ExecOptions) (*driver.ExitResult, error) {
		if allocID != controlAllocID || task != "web" {
			return nil, fmt.Errorf("exec reached alloc %s task %s", allocID, task)
		}
		if _, err := io.Copy(opts.Stdout, opts.Stdin); err != nil {
			return nil, err
		}
		info := opts.Stderr
		if opts.TTY {
			info = opts.Stdout
		}
		fmt.Fprintf(info, "|%s tty=%v size=%dx%d", strings.Join(opts.Command, " "), opts.TTY, opts.Size.Width, opts.Size.Height)
		return &driver.ExitResult{ExitCode: 9}, nil
	}}
}

func TestAllocExec(t *testing.T) {
	c := newTestClient(t, controlRPC(), echoExec(nil), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var stdout, stderr strings.Builder
	code, err := c.Allocations().Exec(ctx, controlAllocID, ExecOptions{
		Task: "web", Command: []string{"cat", "-"}, Stdin: strings.NewReader("some input"),
		Stdout: &stdout, Stderr: &stderr,
	})
	if err != nil || code != 9 {
		t.Fatalf("exec = %d, %v; want exit code 9", code, err)
	}
	if stdout.String() != "some input" || stderr.String() != "|cat - tty=false size=0x0" {
		t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}

	// With a terminal, a size waiting in Resize is the starting size.
	stdout.Reset()
	resize := make(chan TerminalSize, 1)
	resize <- TerminalSize{Height: 24, Width: 80}
	code, err = c.Allocations().Exec(ctx, controlAllocID, ExecOptions{
		Task: "web", Command: []string{"sh"}, TTY: true, Stdout: &stdout, Resize: resize,
	})
	if err != nil || code != 9 || stdout.String() != "|sh tty=true size=80x24" {
		t.Fatalf("tty exec = %d, %v, output %q; want the size 80x24 from the start", code, err, stdout.String())
	}
}

func TestAllocExecErrors(t *testing.T) {
	client := echoExec(nil)
	c := newTestClient(t, controlRPC(), client, nil)
	ctx := context.Background()
	a := c.Allocations()
	if _, err := a.Exec(ctx, "nope", ExecOptions{Task: "web", Command: []string{"id"}}); !errors.Is(err, drover.ErrNotFound) {
		t.Errorf("unknown alloc: %v, want ErrNotFound", err)
	}
	if _, err := a.Exec(ctx, controlAllocID, ExecOptions{Task: "nope", Command: []string{"id"}}); !errors.Is(err, drover.ErrInvalid) {
		t.Errorf("unknown task: %v, want ErrInvalid", err)
	}
	if _, err := a.Exec(ctx, controlAllocID, ExecOptions{Task: "web"}); err == nil {
		t.Error("exec without a command succeeded")
	}
	client.Exec = func(context.Context, string, string, driver.ExecOptions) (*driver.ExitResult, error) {
		return nil, drover.Errorf(drover.ErrConflict, `task "web" is not running (dead)`)
	}
	_, err := a.Exec(ctx, controlAllocID, ExecOptions{Task: "web", Command: []string{"id"}})
	if err == nil || err.Error() != `task "web" is not running (dead)` {
		t.Errorf("failed session: %v, want the agent's message", err)
	}
	long := "the command could not start: " + strings.Repeat("a long reason, ", 20)
	client.Exec = func(context.Context, string, string, driver.ExecOptions) (*driver.ExitResult, error) {
		return nil, errors.New(long)
	}
	if _, err := a.Exec(ctx, controlAllocID, ExecOptions{Task: "web", Command: []string{"id"}}); err == nil || err.Error() != long {
		t.Errorf("failed session with a long message: %v, want all of it", err)
	}

	// Cancelling the context ends a session that waits for input.
	client.Exec = func(ctx context.Context, _, _ string, opts driver.ExecOptions) (*driver.ExitResult, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	pr, pw := io.Pipe()
	defer pw.Close()
	if _, err := a.Exec(short, controlAllocID, ExecOptions{Task: "web", Command: []string{"cat"}, Stdin: pr}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled session: %v, want DeadlineExceeded", err)
	}
}
