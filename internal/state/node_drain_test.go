package state

import (
	"errors"
	"testing"
	"time"

	"github.com/drover-sh/drover"
)

func TestNodeDrainLifecycle(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertNode(3, testNode("n1")))
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	strategy := &drover.DrainStrategy{Deadline: time.Hour, StartedAt: start, ForceDeadline: start.Add(time.Hour)}
	ev := testEval("e1", "web", drover.EvalStatusPending)
	must(t, s.UpdateNodeDrain(4, "n1", strategy, false, false, map[string]string{"reason": "kernel"}, start.UnixNano(), []*drover.Evaluation{ev}))

	n, _ := s.NodeByID(nil, "n1")
	if !n.Drain || n.DrainStrategy == nil || n.SchedulingEligibility != drover.NodeIneligible || n.Ready() {
		t.Fatalf("draining node = drain %v strategy %v eligibility %q", n.Drain, n.DrainStrategy, n.SchedulingEligibility)
	}
	if n.LastDrain == nil || n.LastDrain.Status != drover.DrainStatusDraining || n.LastDrain.Meta["reason"] != "kernel" {
		t.Fatalf("LastDrain = %+v", n.LastDrain)
	}
	if e, _ := s.EvalByID(nil, "e1"); e == nil || e.CreateIndex != 4 {
		t.Fatalf("eval written with the drain: %+v", e)
	}

	// The client re-registering keeps the operator's drain.
	must(t, s.UpsertNode(5, testNode("n1")))
	n, _ = s.NodeByID(nil, "n1")
	if !n.Drain || n.DrainStrategy == nil || n.LastDrain == nil || n.SchedulingEligibility != drover.NodeIneligible {
		t.Fatalf("re-registration lost the drain: %+v", n)
	}

	// Eligible while draining is refused and changes nothing.
	if err := s.UpdateNodeEligibility(6, "n1", drover.NodeEligible, 0, nil); !errors.Is(err, drover.ErrInvalid) {
		t.Fatalf("eligible while draining: err = %v", err)
	}

	// The drainer completes it; the node stays ineligible.
	must(t, s.UpdateNodeDrain(7, "n1", nil, false, true, nil, start.Add(time.Minute).UnixNano(), nil))
	n, _ = s.NodeByID(nil, "n1")
	if n.Drain || n.DrainStrategy != nil || n.SchedulingEligibility != drover.NodeIneligible {
		t.Fatalf("after drain: drain %v strategy %v eligibility %q", n.Drain, n.DrainStrategy, n.SchedulingEligibility)
	}
	if n.LastDrain.Status != drover.DrainStatusComplete || !n.LastDrain.StartedAt.Equal(start) || n.LastDrain.Meta["reason"] != "kernel" {
		t.Fatalf("LastDrain = %+v", n.LastDrain)
	}
	must(t, s.UpdateNodeEligibility(8, "n1", drover.NodeEligible, 0, nil))
	if n, _ = s.NodeByID(nil, "n1"); !n.Ready() {
		t.Fatalf("node not ready after eligible: %+v", n)
	}
	if err := s.UpdateNodeEligibility(9, "n1", "maybe", 0, nil); !errors.Is(err, drover.ErrInvalid) {
		t.Fatalf("bad eligibility: err = %v", err)
	}
	if err := s.UpdateNodeDrain(10, "nope", strategy, false, false, nil, 0, nil); !errors.Is(err, drover.ErrNotFound) {
		t.Fatalf("unknown node: err = %v", err)
	}
}

func TestAllocDesiredTransitionMerge(t *testing.T) {
	s := newStore(t)
	job := testJob("web")
	must(t, s.UpsertJob(3, job))
	must(t, s.UpsertAllocs(4, []*drover.Allocation{testAlloc("a1", job, "n1", "e1")}))
	yes, no := true, false
	must(t, s.UpdateAllocsDesiredTransitions(5, map[string]*drover.DesiredTransition{
		"a1": {Migrate: &yes}, "gone": {Migrate: &yes},
	}, nil))
	must(t, s.UpdateAllocsDesiredTransitions(6, map[string]*drover.DesiredTransition{"a1": {Reschedule: &no}}, nil))
	a, _ := s.AllocByID(nil, "a1")
	if !a.DesiredTransition.ShouldMigrate() || a.DesiredTransition.Reschedule == nil || *a.DesiredTransition.Reschedule {
		t.Fatalf("transition = %+v", a.DesiredTransition)
	}
	if a.AllocModifyIndex != 6 || a.ModifyIndex != 6 {
		t.Fatalf("indexes %d/%d, want 6", a.ModifyIndex, a.AllocModifyIndex)
	}
}
