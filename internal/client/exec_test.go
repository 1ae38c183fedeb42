package client

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/internal/fakedriver"
	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/driver/rawexec"
)

// TestExecAlloc: a command run through the client reaches the task's
// current run in its driver: it gets the task's directory and environment,
// its output and exit code come back, and the task keeps running.
func TestExecAlloc(t *testing.T) {
	srv := newFakeServer()
	c := startClient(t, srv, rawexec.New(nil, rawexec.Config{Enabled: true}), nil)
	defer c.stop(t)
	waitFor(t, "register", func() bool { r, _, _ := srv.counts(); return r == 1 })
	a := testAlloc(c.NodeID(), drover.JobTypeService, map[string]any{"command": "sleep", "args": []any{"1000"}})
	a.Job.TaskGroups[0].Tasks[0].Driver = rawexec.Name
	srv.upsertAlloc(a)
	waitFor(t, "running", func() bool {
		s := srv.alloc(a.ID).TaskStates["web"]
		return s != nil && s.State == drover.TaskStateRunning
	})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	res, err := c.ExecAlloc(ctx, a.ID, "web", driver.ExecOptions{
		Command: []string{"/bin/sh", "-c", `echo "alloc=$NOMAD_ALLOC_ID task=$NOMAD_TASK_NAME dir=$(pwd)"; read line; echo "got $line" >&2; exit 4`},
		Stdin:   strings.NewReader("hello\n"), Stdout: &stdout, Stderr: &stderr,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 4 {
		t.Errorf("exit %+v, want code 4", res)
	}
	if want := "alloc=" + a.ID + " task=web dir="; !strings.HasPrefix(stdout.String(), want) || !strings.Contains(stdout.String(), "/web\n") {
		t.Errorf("stdout %q, want it to start %q and end in the task's directory", stdout.String(), want)
	}
	if stderr.String() != "got hello\n" {
		t.Errorf("stderr %q, want the input echoed", stderr.String())
	}
	if s := srv.alloc(a.ID).TaskStates["web"]; s.State != drover.TaskStateRunning {
		t.Errorf("task after exec: %s, want running", s.State)
	}

	exec := func(alloc, task string, cmd ...string) error {
		_, err := c.ExecAlloc(ctx, alloc, task, driver.ExecOptions{Command: cmd})
		return err
	}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"unknown alloc", exec("nope", "web", "true"), drover.ErrNotFound},
		{"unknown task", exec(a.ID, "nope", "true"), drover.ErrInvalid},
		{"no task", exec(a.ID, "", "true"), drover.ErrInvalid},
		{"no command", exec(a.ID, "web"), drover.ErrInvalid},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, tt.err, tt.want)
		}
	}

	// A stopped task is not running: a conflict.
	stopped := srv.alloc(a.ID).Copy()
	stopped.DesiredStatus = drover.AllocDesiredStatusStop
	stopped.AllocModifyIndex++
	srv.upsertAlloc(stopped)
	waitFor(t, "stopped", func() bool {
		s := srv.alloc(a.ID).TaskStates["web"]
		return s != nil && s.State == drover.TaskStateDead
	})
	if err := exec(a.ID, "web", "true"); !errors.Is(err, drover.ErrConflict) {
		t.Errorf("exec in a stopped task: %v, want ErrConflict", err)
	}
}

// TestExecAllocNotSupported: a task whose driver cannot exec says so.
func TestExecAllocNotSupported(t *testing.T) {
	srv := newFakeServer()
	drv := fakedriver.New("fake")
	c := startClient(t, srv, drv, nil)
	defer c.stop(t)
	waitFor(t, "register", func() bool { r, _, _ := srv.counts(); return r == 1 })
	a := testAlloc(c.NodeID(), drover.JobTypeService, map[string]any{})
	srv.upsertAlloc(a)
	waitFor(t, "running", func() bool { return drv.Running("web") == 1 })
	_, err := c.ExecAlloc(context.Background(), a.ID, "web", driver.ExecOptions{Command: []string{"true"}})
	if !errors.Is(err, drover.ErrNotSupported) || !strings.Contains(err.Error(), "fake driver") {
		t.Fatalf("exec with a driver without exec: %v, want ErrNotSupported naming the driver", err)
	}
}
