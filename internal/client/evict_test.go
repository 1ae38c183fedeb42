package client

import (
	"testing"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/internal/fakedriver"
)

// TestClientStopsEvictedAlloc: an allocation the servers evict (preempted
// by a higher-priority one) is stopped like one they stop, with the
// preemption as the kill reason; one that arrives already evicted never
// runs.
func TestClientStopsEvictedAlloc(t *testing.T) {
	srv := newFakeServer()
	drv := fakedriver.New("fake")
	c := startClient(t, srv, drv, nil)
	defer c.stop(t)
	waitFor(t, "register", func() bool { r, _, _ := srv.counts(); return r == 1 })

	a := testAlloc(c.NodeID(), drover.JobTypeService, map[string]any{})
	srv.upsertAlloc(a)
	waitFor(t, "running", func() bool { return srv.alloc(a.ID).ClientStatus == drover.AllocClientStatusRunning })
	evict := srv.alloc(a.ID)
	evict.DesiredStatus = drover.AllocDesiredStatusEvict
	evict.DesiredDescription = "Preempted by alloc ID 1234"
	evict.PreemptedByAllocation = "1234"
	srv.upsertAlloc(evict)
	waitFor(t, "complete", func() bool { return srv.alloc(a.ID).ClientStatus == drover.AllocClientStatusComplete })
	if drv.Running("web") != 0 {
		t.Fatal("task still running")
	}
	var reason string
	for _, e := range srv.alloc(a.ID).TaskStates["web"].Events {
		if e.Type == drover.TaskKilling {
			reason = e.KillReason
		}
	}
	if reason != "Preempted by alloc ID 1234" {
		t.Errorf("kill reason %q, want the preemption", reason)
	}

	late := testAlloc(c.NodeID(), drover.JobTypeService, map[string]any{})
	late.DesiredStatus = drover.AllocDesiredStatusEvict
	srv.upsertAlloc(late)
	marker := testAlloc(c.NodeID(), drover.JobTypeService, map[string]any{})
	srv.upsertAlloc(marker)
	// The evicted one is pulled no later than the marker, and a terminal
	// allocation is handled at once in the pull (the marker's tasks start
	// asynchronously): once the marker runs, the evicted one was seen.
	waitFor(t, "the marker running", func() bool {
		return srv.alloc(marker.ID).ClientStatus == drover.AllocClientStatusRunning
	})
	if got := srv.alloc(late.ID); got.ClientStatus != drover.AllocClientStatusPending || len(got.TaskStates) != 0 {
		t.Errorf("an alloc evicted before it ran was started: %s %v", got.ClientStatus, got.TaskStates)
	}
}
