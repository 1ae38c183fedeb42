package state

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-memdb"

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

	// The operator cancels a drain the drainer was about to complete: the
	// late completion leaves the cancellation's record alone.
	must(t, s.UpdateNodeDrain(11, "n1", strategy, false, false, nil, start.UnixNano(), nil))
	must(t, s.UpdateNodeDrain(12, "n1", nil, false, false, nil, start.Add(time.Minute).UnixNano(), nil))
	must(t, s.UpdateNodeDrain(13, "n1", nil, false, true, nil, start.Add(2*time.Minute).UnixNano(), nil))
	n, _ = s.NodeByID(nil, "n1")
	if n.LastDrain.Status != drover.DrainStatusCanceled || n.ModifyIndex != 12 || !n.LastDrain.UpdatedAt.Equal(start.Add(time.Minute)) {
		t.Fatalf("after a late completion: last drain %+v, modify index %d; want the cancellation of index 12", n.LastDrain, n.ModifyIndex)
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

// TestDrainingNodesWatch: the draining nodes are read, and watched, apart
// from the others: a write of a node that is not draining does not wake a
// reader of the draining ones; a drain starting, a draining node changing
// and a drain ending do.
func TestDrainingNodesWatch(t *testing.T) {
	s := newStore(t)
	for i, id := range []string{"n1", "n2", "n3"} {
		must(t, s.UpsertNode(uint64(i+1), testNode(id)))
	}
	read := func() ([]string, memdb.WatchSet) {
		t.Helper()
		ws := memdb.NewWatchSet()
		nodes, err := s.DrainingNodes(ws)
		must(t, err)
		return ids(nodes, func(n *drover.Node) string { return n.ID }), ws
	}
	got, ws := read()
	if len(got) != 0 {
		t.Fatalf("draining %v before any drain", got)
	}
	must(t, s.UpsertNode(4, testNode("n2")))
	must(t, s.UpdateNodeStatus(5, "n3", drover.NodeStatusDown, 1))
	if fired(ws) {
		t.Fatal("writes of nodes that are not draining woke a reader of the draining ones")
	}
	strategy := &drover.DrainStrategy{Deadline: time.Hour}
	must(t, s.UpdateNodeDrain(6, "n3", strategy, false, false, nil, 1, nil))
	must(t, s.UpdateNodeDrain(7, "n1", strategy, false, false, nil, 1, nil))
	if !fired(ws) {
		t.Fatal("a drain starting did not wake the reader")
	}
	if got, _ = read(); strings.Join(got, ",") != "n1,n3" {
		t.Fatalf("draining %v, want n1,n3", got)
	}

	_, ws = read()
	must(t, s.UpsertNode(8, testNode("n2")))
	if fired(ws) {
		t.Fatal("a write of a node that is not draining woke the reader")
	}
	must(t, s.UpdateNodeStatus(9, "n3", drover.NodeStatusReady, 2))
	if !fired(ws) {
		t.Fatal("a draining node's change did not wake the reader")
	}
	_, ws = read()
	must(t, s.UpdateNodeDrain(10, "n1", nil, false, true, nil, 2, nil))
	if !fired(ws) {
		t.Fatal("a drain ending did not wake the reader")
	}
	if got, _ = read(); strings.Join(got, ",") != "n3" {
		t.Fatalf("draining %v after n1's drain ended, want n3", got)
	}
	must(t, s.DeleteNode(11, "n3"))
	if got, _ = read(); len(got) != 0 {
		t.Fatalf("draining %v after the node was removed", got)
	}
}
