package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/driver/drivertest"
	"github.com/drover-sh/drover/internal/testutil"
)

// TestExecTask: a command run in a task shares its isolation (user, PID
// namespace, root), gets its stdin, and reports its exit code and output.
func TestExecTask(t *testing.T) {
	testutil.Require(t, testutil.Root)
	d := newTestDriver(t, Config{})
	cfg := drivertest.NewTaskConfig(t, "host", map[string]any{"command": "sleep", "args": []any{"1000"}})
	run(t, d, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var stdout, stderr bytes.Buffer
	res, err := d.ExecTask(ctx, cfg.ID, ExecOptions{
		Command: []string{"/bin/sh", "-c", `echo uid=$(id -u); echo init=$(tr '\0' ' ' </proc/1/cmdline); ls /local >/dev/null && echo root=task; echo oops >&2; exit 7`},
		Stdout:  &stdout, Stderr: &stderr,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 7 {
		t.Errorf("exit %+v, want code 7", res)
	}
	for _, want := range []string{"uid=65534", "init=" + initArg0, "root=task"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout %q lacks %q", stdout.String(), want)
		}
	}
	if stderr.String() != "oops\n" {
		t.Errorf("stderr = %q, want oops", stderr.String())
	}

	stdout.Reset()
	res, err = d.ExecTask(ctx, cfg.ID, ExecOptions{Command: []string{"cat"}, Stdin: strings.NewReader("from stdin"), Stdout: &stdout})
	if err != nil || !res.Successful() || stdout.String() != "from stdin" {
		t.Fatalf("cat = %+v, %v, output %q; want the input back", res, err, stdout.String())
	}

	stdout.Reset()
	res, err = d.ExecTask(ctx, cfg.ID, ExecOptions{TTY: true, Command: []string{"/bin/sh", "-c", "test -t 0 && test -t 1 && echo on-a-tty"}, Stdout: &stdout})
	if err != nil || !res.Successful() || !strings.Contains(stdout.String(), "on-a-tty") {
		t.Fatalf("tty exec = %+v, %v, output %q; want a terminal", res, err, stdout.String())
	}

	if _, err := d.ExecTask(ctx, cfg.ID, ExecOptions{Command: []string{"drover-no-such-command"}}); err == nil || !strings.Contains(err.Error(), "drover-no-such-command") {
		t.Fatalf("exec of a missing command = %v, want an error naming it", err)
	}
	if _, err := d.ExecTask(ctx, cfg.ID, ExecOptions{}); err == nil {
		t.Fatal("exec without a command succeeded")
	}
	if _, err := d.ExecTask(ctx, "no/such/task", ExecOptions{Command: []string{"true"}}); !errors.Is(err, driver.ErrTaskNotFound) {
		t.Fatalf("exec in an unknown task = %v, want ErrTaskNotFound", err)
	}
}

// TestExecTaskCancel: cancelling the caller's context kills the command.
func TestExecTaskCancel(t *testing.T) {
	testutil.Require(t, testutil.Root)
	d := newTestDriver(t, Config{})
	cfg := drivertest.NewTaskConfig(t, "host", map[string]any{"command": "sleep", "args": []any{"1000"}})
	run(t, d, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := d.ExecTask(ctx, cfg.ID, ExecOptions{Command: []string{"sleep", "4918"}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ExecTask past its deadline = %v, want DeadlineExceeded", err)
	}
	testutil.WaitFor(t, 10*time.Second, func() error {
		if n := countProcs(t, "sleep", "4918"); n != 0 {
			return fmt.Errorf("%d exec'd sleeps still run", n)
		}
		return nil
	})
	if st, err := d.InspectTask(cfg.ID); err != nil || st.State != driver.TaskStateRunning {
		t.Fatalf("task after a cancelled exec: %+v, %v; want it running", st, err)
	}
}
