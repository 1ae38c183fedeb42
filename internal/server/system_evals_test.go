package server

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

func sysJob(id string) *drover.Job {
	j := rawJob(id, drover.JobTypeSystem)
	j.TaskGroups[0].Tasks[0].Resources = &drover.Resources{CPU: 100, MemoryMB: 64}
	return j
}

// nodesHolding returns the IDs of nodes holding a live allocation of jobID.
func nodesHolding(t *testing.T, s *Server, jobID string) map[string]int {
	out := map[string]int{}
	for _, a := range liveAllocs(t, s, jobID) {
		out[a.NodeID]++
	}
	return out
}

func TestSystemJobRunsOnEveryNodeIncludingNewOnes(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	registerNode(t, s, schedtest.Node("n2"))
	registerJob(t, s, sysJob("sys"))
	waitFor(t, 10*time.Second, "two system allocs", func() bool { return len(nodesHolding(t, s, "sys")) == 2 })

	// A node that joins later gets one, through the evaluation its
	// registration creates.
	registerNode(t, s, schedtest.Node("n3"))
	waitFor(t, 10*time.Second, "an alloc on the new node", func() bool { return nodesHolding(t, s, "sys")["n3"] == 1 })
	evals, err := s.State().EvalsByJob(nil, "default", "sys")
	if err != nil {
		t.Fatal(err)
	}
	var nodeEvals int
	for _, e := range evals {
		if e.TriggeredBy == drover.EvalTriggerNodeUpdate && e.NodeID == "n3" {
			nodeEvals++
		}
	}
	if nodeEvals != 1 {
		t.Errorf("%d node-update evals for n3, want 1", nodeEvals)
	}
	if got := nodesHolding(t, s, "sys"); len(got) != 3 || got["n1"] != 1 || got["n2"] != 1 {
		t.Errorf("allocs by node %v, want one on each of 3 nodes", got)
	}

	// Re-registering an unchanged ready node creates no evaluation.
	registerNode(t, s, schedtest.Node("n3"))
	evals, _ = s.State().EvalsByJob(nil, "default", "sys")
	for _, e := range evals {
		if e.TriggeredBy == drover.EvalTriggerNodeUpdate && e.NodeID == "n3" {
			nodeEvals--
		}
	}
	if nodeEvals != 0 {
		t.Errorf("re-registering an unchanged node created an evaluation")
	}
}

func TestSystemEvalsOnlyForMatchingJobs(t *testing.T) {
	s := newTestServer(t, nil)
	other := sysJob("elsewhere")
	other.Datacenters = []string{"dc9"}
	registerJob(t, s, other)
	registerJob(t, s, schedtest.Job("svc", 1))
	registerNode(t, s, schedtest.Node("n1"))
	for _, id := range []string{"elsewhere", "svc"} {
		evals, err := s.State().EvalsByJob(nil, "default", id)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evals {
			if e.TriggeredBy == drover.EvalTriggerNodeUpdate {
				t.Errorf("job %s got a node-update eval", id)
			}
		}
	}
}

func TestSystemEvalWhenNodeReturnsReady(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	registerJob(t, s, sysJob("sys"))
	waitFor(t, 10*time.Second, "the system alloc", func() bool { return nodesHolding(t, s, "sys")["n1"] == 1 })
	for _, status := range []string{drover.NodeStatusDown, drover.NodeStatusReady} {
		var reply drover.NodeUpdateResponse
		req := &drover.NodeUpdateStatusRequest{NodeID: "n1", Status: status}
		if err := s.RPC(context.Background(), drover.MethodNodeUpdateStatus, req, &reply); err != nil {
			t.Fatalf("status %s: %v", status, err)
		}
		if status == drover.NodeStatusDown {
			waitFor(t, 10*time.Second, "the alloc lost", func() bool { return len(nodesHolding(t, s, "sys")) == 0 })
		}
	}
	waitFor(t, 10*time.Second, "a new alloc on the returned node", func() bool { return nodesHolding(t, s, "sys")["n1"] == 1 })
}

func TestSystemJobPlanCountsEveryNode(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	registerNode(t, s, schedtest.Node("n2"))
	reply := planJob(t, s, sysJob("sys"), false)
	if reply.Annotations == nil || reply.Annotations.DesiredTGUpdates["g"] == nil || reply.Annotations.DesiredTGUpdates["g"].Place != 2 {
		t.Fatalf("annotations %+v, want 2 placements for group g", reply.Annotations)
	}
	if len(reply.FailedTGAllocs) != 0 {
		t.Errorf("failed %+v", reply.FailedTGAllocs)
	}
}
