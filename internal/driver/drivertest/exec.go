package drivertest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/driver"
)

// execDriver returns the driver as a driver.ExecDriver, checking that it
// is one exactly when the harness says so; nil when it is not.
func execDriver(t *testing.T, h Harness, d driver.Driver) driver.ExecDriver {
	t.Helper()
	ed, ok := d.(driver.ExecDriver)
	if ok != h.Exec {
		t.Fatalf("driver implements driver.ExecDriver = %v, but Harness.Exec = %v", ok, h.Exec)
	}
	return ed
}

// SyncBuffer is a bytes.Buffer safe for one writer and concurrent readers,
// for output a test watches while a command runs.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// WaitForOutput waits until b holds want.
func WaitForOutput(t *testing.T, b *SyncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !strings.Contains(b.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("output %q does not contain %q", b.String(), want)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition with a deadline
	}
}

// testExec: a command's stdout, stderr and exit code come back apart, and
// its stdin reaches it and ends; the task goes on running.
func testExec(t *testing.T, h Harness) {
	d := h.New(t)
	ed := execDriver(t, h, d)
	if ed == nil {
		return
	}
	cfg, _ := start(t, d, "long", h.RunUntilStopped)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()

	var stdout, stderr bytes.Buffer
	res, err := ed.ExecTask(ctx, cfg.ID, driver.ExecOptions{
		Command: []string{"/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"},
		Stdout:  &stdout, Stderr: &stderr,
	})
	if err != nil {
		t.Fatalf("ExecTask: %v", err)
	}
	if res.ExitCode != 3 || res.Signal != 0 || res.Successful() {
		t.Errorf("exit = %+v, want code 3", res)
	}
	if stdout.String() != "to-stdout\n" || stderr.String() != "to-stderr\n" {
		t.Errorf("stdout %q, stderr %q; want each line on its own stream", stdout.String(), stderr.String())
	}

	stdout.Reset()
	res, err = ed.ExecTask(ctx, cfg.ID, driver.ExecOptions{
		Command: []string{"cat"}, Stdin: strings.NewReader("line one\nline two"), Stdout: &stdout,
	})
	if err != nil || !res.Successful() || stdout.String() != "line one\nline two" {
		t.Fatalf("cat = %+v, %v, output %q; want its input back and exit 0", res, err, stdout.String())
	}

	// A background child does not hold the session open: it ends with
	// the command.
	stdout.Reset()
	res, err = ed.ExecTask(ctx, cfg.ID, driver.ExecOptions{
		Command: []string{"/bin/sh", "-c", "sleep 1000 & echo started"}, Stdout: &stdout,
	})
	if err != nil || !res.Successful() || stdout.String() != "started\n" {
		t.Fatalf("exec with a background child = %+v, %v, output %q; want it to end with the command", res, err, stdout.String())
	}
	inspectState(t, d, cfg.ID, driver.TaskStateRunning)
}

// testExecTTY: with a terminal the command sees one, of the size asked for,
// and a resize reaches it as SIGWINCH with the new size.
func testExecTTY(t *testing.T, h Harness) {
	d := h.New(t)
	ed := execDriver(t, h, d)
	if ed == nil {
		return
	}
	cfg, _ := start(t, d, "long", h.RunUntilStopped)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()

	var out SyncBuffer
	resize := make(chan driver.TerminalSize)
	type result struct {
		res *driver.ExitResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		script := `test -t 0 && test -t 1 && echo "on-a-tty $(stty size)"; ` +
			`trap 'echo "resized $(stty size)"; exit 5' WINCH; echo ready; while :; do sleep 0.05; done`
		res, err := ed.ExecTask(ctx, cfg.ID, driver.ExecOptions{
			TTY: true, Command: []string{"/bin/sh", "-c", script}, Stdout: &out,
			Size: driver.TerminalSize{Height: 30, Width: 100}, Resize: resize,
		})
		done <- result{res, err}
	}()
	WaitForOutput(t, &out, "ready")
	if !strings.Contains(out.String(), "on-a-tty 30 100") {
		t.Fatalf("output %q: want a terminal of 30 rows and 100 columns", out.String())
	}
	select {
	case resize <- driver.TerminalSize{Height: 40, Width: 120}:
	case r := <-done:
		t.Fatalf("exec ended before the resize: %+v, %v, output %q", r.res, r.err, out.String())
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(waitLimit):
		t.Fatalf("exec did not end after the resize; output %q", out.String())
	}
	if r.err != nil || r.res.ExitCode != 5 {
		t.Fatalf("exec = %+v, %v; want exit code 5 from the WINCH trap", r.res, r.err)
	}
	if !strings.Contains(out.String(), "resized 40 120") {
		t.Fatalf("output %q: want the new size 40x120 after the resize", out.String())
	}
}

// testExecErrors: no command, a missing command, an unknown task and an
// exited task are errors; a cancelled context kills the command.
func testExecErrors(t *testing.T, h Harness) {
	d := h.New(t)
	ed := execDriver(t, h, d)
	if ed == nil {
		return
	}
	cfg, _ := start(t, d, "long", h.RunUntilStopped)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if _, err := ed.ExecTask(ctx, cfg.ID, driver.ExecOptions{}); err == nil {
		t.Error("exec without a command succeeded")
	}
	if _, err := ed.ExecTask(ctx, cfg.ID, driver.ExecOptions{Command: []string{"drover-no-such-command"}}); err == nil ||
		!strings.Contains(err.Error(), "drover-no-such-command") {
		t.Errorf("exec of a missing command = %v, want an error naming it", err)
	}
	if _, err := ed.ExecTask(ctx, "no-such-alloc/no-such-task/0", driver.ExecOptions{Command: []string{"true"}}); !errors.Is(err, driver.ErrTaskNotFound) {
		t.Errorf("exec in an unknown task = %v, want ErrTaskNotFound", err)
	}

	short, stop := context.WithTimeout(ctx, 300*time.Millisecond)
	defer stop()
	began := time.Now()
	_, err := ed.ExecTask(short, cfg.ID, driver.ExecOptions{Command: []string{"sleep", "1000"}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("exec past its deadline = %v, want DeadlineExceeded", err)
	}
	if time.Since(began) > waitLimit {
		t.Errorf("a cancelled exec took %v to end", time.Since(began))
	}
	inspectState(t, d, cfg.ID, driver.TaskStateRunning)

	cfg0, _ := start(t, d, "done", h.ExitZero)
	waitExit(t, d, cfg0.ID)
	_, err = ed.ExecTask(ctx, cfg0.ID, driver.ExecOptions{Command: []string{"true"}})
	if err == nil || errors.Is(err, driver.ErrTaskNotFound) {
		t.Errorf("exec in an exited task = %v, want an error saying it exited", err)
	}
	if err != nil && !strings.Contains(err.Error(), "exited") {
		t.Errorf("exec in an exited task = %v, want it to say the task exited", err)
	}
}

// testExecAfterRecover: a driver instance that recovered a running task
// (an agent restarted) runs commands in it like the one that started it.
func testExecAfterRecover(t *testing.T, h Harness) {
	if !h.Exec || !h.RecoverAfterRestart {
		return
	}
	d1 := h.New(t)
	cfg, handle := start(t, d1, "long", h.RunUntilStopped)
	d2 := h.New(t)
	if err := d2.RecoverTask(handle); err != nil {
		t.Fatalf("RecoverTask: %v", err)
	}
	cleanup(t, d2, cfg.ID)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	var stdout bytes.Buffer
	res, err := execDriver(t, h, d2).ExecTask(ctx, cfg.ID, driver.ExecOptions{
		Command: []string{"/bin/sh", "-c", "echo recovered; exit 6"}, Stdout: &stdout,
	})
	if err != nil || res.ExitCode != 6 || stdout.String() != "recovered\n" {
		t.Fatalf("exec after recovery = %+v, %v, output %q; want it to run", res, err, stdout.String())
	}
}
