package server

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/reconcile"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

func stopAlloc(s *Server, id string) (*drover.AllocStopResponse, error) {
	var reply drover.AllocStopResponse
	err := s.RPC(context.Background(), drover.MethodAllocStop, &drover.AllocStopRequest{AllocID: id}, &reply)
	return &reply, err
}

// TestAllocStopReplacesAtOnce: the stopped allocation is stopped and its
// replacement placed by the alloc-stop evaluation, without waiting for the
// replacement to be healthy; the other allocation is untouched.
func TestAllocStopReplacesAtOnce(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	registerJob(t, s, schedtest.Job("web", 2))
	waitFor(t, 10*time.Second, "placements", func() bool { return len(liveAllocs(t, s, "web")) == 2 })
	before := liveAllocs(t, s, "web")
	old, other := before[0], before[1]

	reply, err := stopAlloc(s, old.ID)
	if err != nil {
		t.Fatalf("alloc stop: %v", err)
	}
	if reply.EvalID == "" || reply.Index == 0 {
		t.Fatalf("reply %+v: want an eval ID and an index", reply)
	}
	ev := evalOf(t, s, reply.EvalID)
	if ev == nil || ev.TriggeredBy != drover.EvalTriggerAllocStop || ev.JobID != "web" || ev.Type != drover.JobTypeService {
		t.Fatalf("eval %+v: want an alloc-stop service eval of web", ev)
	}
	waitFor(t, 10*time.Second, "the eval to complete", func() bool {
		return evalOf(t, s, reply.EvalID).Status == drover.EvalStatusComplete
	})
	stopped, err := s.State().AllocByID(nil, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stopped.DesiredStatus != drover.AllocDesiredStatusStop || stopped.DesiredDescription != reconcile.DescStopRequested {
		t.Errorf("stopped alloc: desired %s %q, want stop %q", stopped.DesiredStatus, stopped.DesiredDescription, reconcile.DescStopRequested)
	}
	if !stopped.DesiredTransition.ShouldReschedule() {
		t.Errorf("stopped alloc transition %+v: want Reschedule", stopped.DesiredTransition)
	}
	live := liveAllocs(t, s, "web")
	if len(live) != 2 {
		t.Fatalf("live allocs after stop: %d, want 2", len(live))
	}
	var repl *drover.Allocation
	for _, a := range live {
		switch a.ID {
		case other.ID:
		case old.ID:
			t.Fatalf("stopped alloc %s still live", old.ID)
		default:
			repl = a
		}
	}
	if repl == nil || repl.PreviousAllocation != old.ID || repl.Name != old.Name {
		t.Fatalf("replacement %+v: want previous %s and name %s", repl, old.ID, old.Name)
	}
}

// TestAllocStopSystemJobRunsAgainOnNode: a system allocation stopped on
// request is replaced on its node.
func TestAllocStopSystemJobRunsAgainOnNode(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	job := schedtest.Job("agent", 1)
	job.Type = drover.JobTypeSystem
	for _, tg := range job.TaskGroups {
		tg.Migrate, tg.ReschedulePolicy = nil, nil
	}
	registerJob(t, s, job)
	waitFor(t, 10*time.Second, "placement", func() bool { return len(liveAllocs(t, s, "agent")) == 1 })
	old := liveAllocs(t, s, "agent")[0]
	if _, err := stopAlloc(s, old.ID); err != nil {
		t.Fatalf("alloc stop: %v", err)
	}
	waitFor(t, 10*time.Second, "a replacement on n1", func() bool {
		live := liveAllocs(t, s, "agent")
		return len(live) == 1 && live[0].ID != old.ID && live[0].NodeID == "n1" && live[0].PreviousAllocation == old.ID
	})
}

func TestAllocStopBadInput(t *testing.T) {
	s := newTestServer(t, nil)
	if _, err := stopAlloc(s, "9e0c3a2b-0000-0000-0000-000000000000"); !errors.Is(err, drover.ErrNotFound) {
		t.Errorf("unknown alloc: %v, want not found", err)
	}
	if _, err := stopAlloc(s, ""); !errors.Is(err, drover.ErrInvalid) {
		t.Errorf("no alloc ID: %v, want invalid", err)
	}
}
