package client

import (
	"errors"
	"slices"
	"testing"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/internal/fakedriver"
)

// TestAllocControls: restart and signal reach the allocation's task
// through the client; the allocation stays the same and its status reaches
// the servers with the restart counted.
func TestAllocControls(t *testing.T) {
	srv := newFakeServer()
	drv := fakedriver.New("fake")
	c := startClient(t, srv, drv, nil)
	defer c.stop(t)
	waitFor(t, "register", func() bool { r, _, _ := srv.counts(); return r == 1 })
	a := testAlloc(c.NodeID(), drover.JobTypeService, map[string]any{})
	srv.upsertAlloc(a)
	// Running as the servers see it: the task runner has marked the task
	// running (the driver's count alone goes up before that).
	waitFor(t, "running", func() bool {
		s := srv.alloc(a.ID).TaskStates["web"]
		return drv.Running("web") == 1 && s != nil && s.State == drover.TaskStateRunning
	})

	if err := c.SignalAlloc(a.ID, "web", "SIGUSR1"); err != nil {
		t.Fatal(err)
	}
	if got := drv.Signals("web"); !slices.Equal(got, []string{"SIGUSR1"}) {
		t.Errorf("signals %v, want [SIGUSR1]", got)
	}
	if err := c.RestartAlloc(a.ID, "web", false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the restart reported", func() bool {
		s := srv.alloc(a.ID).TaskStates["web"]
		return drv.Starts("web") == 2 && s != nil && s.Restarts == 1 && s.State == drover.TaskStateRunning
	})
	if err := c.RestartAlloc(a.ID, "", true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the second restart", func() bool { return drv.Starts("web") == 3 && drv.Running("web") == 1 })

	tests := []struct {
		name string
		err  error
		want error
	}{
		{"restart unknown alloc", c.RestartAlloc("nope", "web", false), drover.ErrNotFound},
		{"signal unknown alloc", c.SignalAlloc("nope", "web", "SIGHUP"), drover.ErrNotFound},
		{"restart task and all", c.RestartAlloc(a.ID, "web", true), drover.ErrInvalid},
		{"restart unknown task", c.RestartAlloc(a.ID, "nope", false), drover.ErrInvalid},
		{"signal unknown signal", c.SignalAlloc(a.ID, "web", "SIGFOO"), drover.ErrInvalid},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, tt.err, tt.want)
		}
	}
}
