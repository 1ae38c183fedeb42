package server

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/fsm"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

func drainNode(t *testing.T, s *Server, req *drover.NodeUpdateDrainRequest) *drover.NodeDrainUpdateResponse {
	t.Helper()
	var reply drover.NodeDrainUpdateResponse
	if err := s.RPC(context.Background(), drover.MethodNodeUpdateDrain, req, &reply); err != nil {
		t.Fatalf("node drain: %v", err)
	}
	return &reply
}

func setEligibility(s *Server, nodeID, eligibility string) (*drover.NodeEligibilityUpdateResponse, error) {
	var reply drover.NodeEligibilityUpdateResponse
	err := s.RPC(context.Background(), drover.MethodNodeUpdateEligibility,
		&drover.NodeUpdateEligibilityRequest{NodeID: nodeID, Eligibility: eligibility}, &reply)
	return &reply, err
}

// holdDrain places a long batch allocation on the server's only node: the
// drainer leaves batch work until the deadline, so a drain of that node
// stays in progress for the test to inspect instead of completing at once.
func holdDrain(t *testing.T, s *Server) {
	t.Helper()
	job := schedtest.BatchJob("hold", 1)
	job.Migrate = nil
	for _, tg := range job.TaskGroups {
		tg.Migrate = nil
	}
	registerJob(t, s, job)
	waitFor(t, 10*time.Second, "the batch allocation that holds the drain", func() bool {
		return len(liveAllocs(t, s, "hold")) == 1
	})
}

func nodeOf(t *testing.T, s *Server, id string) *drover.Node {
	t.Helper()
	n, err := s.State().NodeByID(nil, id)
	if err != nil || n == nil {
		t.Fatalf("node %s: %v, %v", id, n, err)
	}
	return n
}

// TestNodeDrainSetsStrategyWithDeadline: the strategy is stamped on the
// server's clock, the one the drainer judges the deadline by.
func TestNodeDrainSetsStrategyWithDeadline(t *testing.T) {
	clk := newFakeClock()
	s := newTestServer(t, func(c *Config) { c.Clock = clk })
	registerNode(t, s, schedtest.Node("n1"))
	holdDrain(t, s)

	reply := drainNode(t, s, &drover.NodeUpdateDrainRequest{
		NodeID: "n1", Meta: map[string]string{"reason": "kernel upgrade"},
		// StartedAt and ForceDeadline are the server's to set.
		DrainStrategy: &drover.DrainStrategy{Deadline: time.Hour, IgnoreSystemJobs: true,
			StartedAt: time.Unix(1, 0), ForceDeadline: time.Unix(2, 0)},
	})
	n := nodeOf(t, s, "n1")
	d := n.DrainStrategy
	if d == nil || !n.Drain || n.SchedulingEligibility != drover.NodeIneligible {
		t.Fatalf("node not draining: drain %v, strategy %+v, eligibility %s", n.Drain, d, n.SchedulingEligibility)
	}
	if d.Deadline != time.Hour || !d.IgnoreSystemJobs {
		t.Errorf("strategy %+v: want deadline 1h ignoring system jobs", d)
	}
	if !d.StartedAt.Equal(clk.Now()) {
		t.Errorf("StartedAt %v is not the time of the request on the server's clock (%v)", d.StartedAt, clk.Now())
	}
	if !d.ForceDeadline.Equal(d.StartedAt.Add(time.Hour)) {
		t.Errorf("ForceDeadline %v, want StartedAt + 1h = %v", d.ForceDeadline, d.StartedAt.Add(time.Hour))
	}
	if n.LastDrain == nil || n.LastDrain.Status != drover.DrainStatusDraining || n.LastDrain.Meta["reason"] != "kernel upgrade" {
		t.Errorf("LastDrain %+v: want draining with the request's meta", n.LastDrain)
	}
	if reply.NodeModifyIndex != n.ModifyIndex || reply.Index != n.ModifyIndex || len(reply.EvalIDs) != 0 {
		t.Errorf("reply %+v: want the node's index %d and no evals", reply, n.ModifyIndex)
	}

	// Updating the running drain keeps when it started and restarts the
	// deadline's clock.
	clk.Advance(5 * time.Minute)
	drainNode(t, s, &drover.NodeUpdateDrainRequest{NodeID: "n1", DrainStrategy: &drover.DrainStrategy{Deadline: time.Minute}})
	u := nodeOf(t, s, "n1").DrainStrategy
	if !u.StartedAt.Equal(d.StartedAt) {
		t.Errorf("update moved StartedAt from %v to %v", d.StartedAt, u.StartedAt)
	}
	if !u.ForceDeadline.Equal(clk.Now().Add(time.Minute)) || u.IgnoreSystemJobs {
		t.Errorf("updated strategy %+v: want a 1m deadline counted from the update (%v)", u, clk.Now())
	}
}

// TestStampDrain: the server, not the caller, decides when a drain started
// and when it is forced.
func TestStampDrain(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	earlier := now.Add(-time.Hour)
	for _, tt := range []struct {
		name      string
		req       drover.DrainStrategy
		running   *drover.DrainStrategy
		started   time.Time
		force     time.Time
		hasForce  bool
		forcedNow bool
	}{
		{"deadline", drover.DrainStrategy{Deadline: time.Hour, ForceDeadline: now.Add(9 * time.Hour)}, nil, now, now.Add(time.Hour), true, false},
		{"force", drover.DrainStrategy{Deadline: -time.Second, ForceDeadline: now.Add(time.Hour)}, nil, now, time.Time{}, true, true},
		{"no deadline", drover.DrainStrategy{StartedAt: earlier}, nil, now, time.Time{}, false, false},
		{"update keeps the start", drover.DrainStrategy{Deadline: time.Minute}, &drover.DrainStrategy{StartedAt: earlier}, earlier, now.Add(time.Minute), true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := stampDrain(&tt.req, tt.running, now)
			if !d.StartedAt.Equal(tt.started) || !d.ForceDeadline.Equal(tt.force) || d.Deadline != tt.req.Deadline {
				t.Errorf("stamped %+v: want started %v, force deadline %v", d, tt.started, tt.force)
			}
			has, at := d.DeadlineTime()
			if has != tt.hasForce || (tt.forcedNow && !at.IsZero()) {
				t.Errorf("DeadlineTime() = %v, %v", has, at)
			}
		})
	}
}

// TestNodeDrainForceAndNoDeadline: a drain without a deadline waits for
// its batch work as long as it runs; a forced one completes at once.
func TestNodeDrainForceAndNoDeadline(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	holdDrain(t, s)
	drainNode(t, s, &drover.NodeUpdateDrainRequest{NodeID: "n1",
		DrainStrategy: &drover.DrainStrategy{ForceDeadline: time.Now().Add(time.Hour)}})
	d := nodeOf(t, s, "n1").DrainStrategy
	if d == nil || !d.ForceDeadline.IsZero() || d.StartedAt.IsZero() {
		t.Fatalf("no deadline: strategy %+v: want a start and no force deadline", d)
	}
	if has, _ := d.DeadlineTime(); has {
		t.Fatalf("no deadline: DeadlineTime says there is one")
	}
	if n := len(liveAllocs(t, s, "hold")); n != 1 {
		t.Fatalf("no deadline: %d batch allocs left, want the one still running", n)
	}

	drainNode(t, s, &drover.NodeUpdateDrainRequest{NodeID: "n1", DrainStrategy: &drover.DrainStrategy{Deadline: -time.Second}})
	waitFor(t, 10*time.Second, "the forced drain to complete", func() bool {
		n := nodeOf(t, s, "n1")
		return n.DrainStrategy == nil && n.LastDrain != nil && n.LastDrain.Status == drover.DrainStatusComplete
	})
	if n := len(liveAllocs(t, s, "hold")); n != 0 {
		t.Fatalf("forced drain left %d allocs running", n)
	}
}

func TestNodeDrainDisable(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	registerJob(t, s, sysJob("sys"))
	waitFor(t, 10*time.Second, "the system alloc", func() bool { return nodesHolding(t, s, "sys")["n1"] == 1 })

	// Without MarkEligible the node stays ineligible and no system job
	// is evaluated for it.
	drainNode(t, s, &drover.NodeUpdateDrainRequest{NodeID: "n1", DrainStrategy: &drover.DrainStrategy{Deadline: time.Hour}})
	reply := drainNode(t, s, &drover.NodeUpdateDrainRequest{NodeID: "n1"})
	n := nodeOf(t, s, "n1")
	if n.Drain || n.DrainStrategy != nil || n.SchedulingEligibility != drover.NodeIneligible {
		t.Errorf("after disable: drain %v, strategy %+v, eligibility %s; want not draining, ineligible", n.Drain, n.DrainStrategy, n.SchedulingEligibility)
	}
	if n.LastDrain == nil || n.LastDrain.Status != drover.DrainStatusCanceled {
		t.Errorf("LastDrain %+v: want canceled", n.LastDrain)
	}
	if len(reply.EvalIDs) != 0 || reply.NodeModifyIndex != n.ModifyIndex {
		t.Errorf("reply %+v: want no evals and the node's index %d", reply, n.ModifyIndex)
	}

	// With MarkEligible the node is eligible and the system job evaluated.
	drainNode(t, s, &drover.NodeUpdateDrainRequest{NodeID: "n1", DrainStrategy: &drover.DrainStrategy{Deadline: time.Hour}})
	reply = drainNode(t, s, &drover.NodeUpdateDrainRequest{NodeID: "n1", MarkEligible: true, Meta: map[string]string{"done": "yes"}})
	n = nodeOf(t, s, "n1")
	if n.Drain || n.SchedulingEligibility != drover.NodeEligible || n.LastDrain.Meta["done"] != "yes" {
		t.Errorf("after disable -mark-eligible: drain %v, eligibility %s, last drain %+v", n.Drain, n.SchedulingEligibility, n.LastDrain)
	}
	// The drain's end and the evaluation are one Raft command: neither
	// commits without the other.
	if len(reply.EvalIDs) != 1 || reply.EvalCreateIndex == 0 || reply.Index != reply.EvalCreateIndex || reply.NodeModifyIndex != reply.EvalCreateIndex {
		t.Fatalf("reply %+v: want one eval written with the node", reply)
	}
	e := evalOf(t, s, reply.EvalIDs[0])
	if e == nil || e.CreateIndex != reply.NodeModifyIndex {
		t.Fatalf("eval %+v: want it written at the node's index %d", e, reply.NodeModifyIndex)
	}
	if e == nil || e.JobID != "sys" || e.NodeID != "n1" || e.TriggeredBy != drover.EvalTriggerNodeUpdate {
		t.Errorf("eval %+v: want a node-update eval of sys for n1", e)
	}
}

// TestNodeDrainDisableReleasesBlockedEvals: a job that found no eligible
// node is placed once the drain ends with the node made eligible.
func TestNodeDrainDisableReleasesBlockedEvals(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	drainNode(t, s, &drover.NodeUpdateDrainRequest{NodeID: "n1", DrainStrategy: &drover.DrainStrategy{}})
	reply := registerJob(t, s, schedtest.Job("web", 1))
	waitFor(t, 10*time.Second, "a blocked eval", func() bool {
		e := evalOf(t, s, reply.EvalID)
		return e != nil && e.Status == drover.EvalStatusComplete && e.BlockedEval != ""
	})
	waitFor(t, 5*time.Second, "blocked eval tracked", func() bool { return s.blocked.Tracked() == 1 })
	if n := len(liveAllocs(t, s, "web")); n != 0 {
		t.Fatalf("%d allocs placed on a draining node", n)
	}
	drainNode(t, s, &drover.NodeUpdateDrainRequest{NodeID: "n1", MarkEligible: true})
	waitFor(t, 10*time.Second, "placement on n1", func() bool {
		allocs := liveAllocs(t, s, "web")
		return len(allocs) == 1 && allocs[0].NodeID == "n1"
	})
}

// TestNodeDrainDisableWhenNotDraining keeps the last drain's record: it
// only makes the node eligible when asked.
func TestNodeDrainDisableWhenNotDraining(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	drainNode(t, s, &drover.NodeUpdateDrainRequest{NodeID: "n1", DrainStrategy: &drover.DrainStrategy{Deadline: time.Hour}})
	// The drainer completes the drain, leaving the node ineligible.
	if _, err := s.raftApply(context.Background(), fsm.NodeUpdateDrainRequestType,
		&fsm.NodeUpdateDrainRequest{NodeID: "n1", Complete: true, UpdatedAt: time.Now().UnixNano()}); err != nil {
		t.Fatal(err)
	}
	done := nodeOf(t, s, "n1")

	reply := drainNode(t, s, &drover.NodeUpdateDrainRequest{NodeID: "n1"})
	if n := nodeOf(t, s, "n1"); n.ModifyIndex != done.ModifyIndex || reply.NodeModifyIndex != done.ModifyIndex {
		t.Errorf("disabling no drain wrote the node (index %d -> %d, reply %+v)", done.ModifyIndex, n.ModifyIndex, reply)
	}
	drainNode(t, s, &drover.NodeUpdateDrainRequest{NodeID: "n1", MarkEligible: true})
	n := nodeOf(t, s, "n1")
	if n.SchedulingEligibility != drover.NodeEligible {
		t.Errorf("eligibility %s, want eligible", n.SchedulingEligibility)
	}
	if n.LastDrain == nil || n.LastDrain.Status != drover.DrainStatusComplete {
		t.Errorf("LastDrain %+v: want it still complete", n.LastDrain)
	}
}

func TestNodeEligibility(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	registerJob(t, s, sysJob("sys"))

	reply, err := setEligibility(s, "n1", drover.NodeIneligible)
	if err != nil {
		t.Fatal(err)
	}
	n := nodeOf(t, s, "n1")
	if n.SchedulingEligibility != drover.NodeIneligible || reply.NodeModifyIndex != n.ModifyIndex || len(reply.EvalIDs) != 0 {
		t.Errorf("ineligible: node %s, reply %+v", n.SchedulingEligibility, reply)
	}
	// The same eligibility again writes nothing.
	again, err := setEligibility(s, "n1", drover.NodeIneligible)
	if err != nil || again.NodeModifyIndex != n.ModifyIndex || nodeOf(t, s, "n1").ModifyIndex != n.ModifyIndex {
		t.Errorf("repeated ineligible: reply %+v, %v; want no write", again, err)
	}

	reply, err = setEligibility(s, "n1", drover.NodeEligible)
	if err != nil {
		t.Fatal(err)
	}
	if nodeOf(t, s, "n1").SchedulingEligibility != drover.NodeEligible {
		t.Error("node not eligible")
	}
	if len(reply.EvalIDs) != 1 || reply.EvalCreateIndex != reply.Index || reply.NodeModifyIndex != reply.EvalCreateIndex {
		t.Fatalf("eligible: reply %+v: want the system job's eval, written with the node", reply)
	}
	if e := evalOf(t, s, reply.EvalIDs[0]); e == nil || e.JobID != "sys" || e.NodeID != "n1" {
		t.Errorf("eval %+v: want sys for n1", e)
	}
}

func TestNodeDrainAndEligibilityErrors(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	holdDrain(t, s)
	drainNode(t, s, &drover.NodeUpdateDrainRequest{NodeID: "n1", DrainStrategy: &drover.DrainStrategy{Deadline: time.Hour}})
	ctx := context.Background()

	tests := []struct {
		name   string
		method string
		args   any
		kind   error
		msg    string
	}{
		{"eligible while draining", drover.MethodNodeUpdateEligibility,
			&drover.NodeUpdateEligibilityRequest{NodeID: "n1", Eligibility: drover.NodeEligible}, drover.ErrInvalid, "node n1 is draining"},
		{"unknown eligibility", drover.MethodNodeUpdateEligibility,
			&drover.NodeUpdateEligibilityRequest{NodeID: "n1", Eligibility: "maybe"}, drover.ErrInvalid, `unknown eligibility "maybe"`},
		{"eligibility of unknown node", drover.MethodNodeUpdateEligibility,
			&drover.NodeUpdateEligibilityRequest{NodeID: "nope", Eligibility: drover.NodeIneligible}, drover.ErrNotFound, "node nope not found"},
		{"eligibility without node", drover.MethodNodeUpdateEligibility,
			&drover.NodeUpdateEligibilityRequest{Eligibility: drover.NodeIneligible}, drover.ErrInvalid, "missing node ID"},
		{"drain of unknown node", drover.MethodNodeUpdateDrain,
			&drover.NodeUpdateDrainRequest{NodeID: "nope", DrainStrategy: &drover.DrainStrategy{}}, drover.ErrNotFound, "node nope not found"},
		{"drain without node", drover.MethodNodeUpdateDrain,
			&drover.NodeUpdateDrainRequest{DrainStrategy: &drover.DrainStrategy{}}, drover.ErrInvalid, "missing node ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reply drover.NodeDrainUpdateResponse
			err := s.RPC(ctx, tt.method, tt.args, &reply)
			if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %v: want %v mentioning %q", err, tt.kind, tt.msg)
			}
		})
	}
	if n := nodeOf(t, s, "n1"); n.SchedulingEligibility != drover.NodeIneligible || n.DrainStrategy == nil {
		t.Errorf("a refused write changed the node: eligibility %s, strategy %+v", n.SchedulingEligibility, n.DrainStrategy)
	}
}

func TestNodeDrainForwardedToLeader(t *testing.T) {
	s1, addr1 := startNetServer(t, "s1", true)
	waitFor(t, 10*time.Second, "s1 leadership", func() bool { return s1.leaderContext() != nil })
	s2, addr2 := startNetServer(t, "s2", false)
	if err := s1.Raft().AddVoter(raft.ServerID("s2"), raft.ServerAddress(addr2), 0, 10*time.Second).Error(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "s2 knows the leader", func() bool { return s2.Leader() == addr1 })
	registerNode(t, s2, schedtest.Node("n1"))

	reply := drainNode(t, s2, &drover.NodeUpdateDrainRequest{NodeID: "n1", DrainStrategy: &drover.DrainStrategy{Deadline: time.Hour}})
	if n := nodeOf(t, s1, "n1"); n.DrainStrategy == nil || n.ModifyIndex != reply.NodeModifyIndex {
		t.Errorf("leader's node %+v: want the drain at index %d", n, reply.NodeModifyIndex)
	}
	// Errors keep their kind across forwarding.
	if _, err := setEligibility(s2, "n1", drover.NodeEligible); !errors.Is(err, drover.ErrInvalid) {
		t.Errorf("forwarded eligible-while-draining: %v, want ErrInvalid", err)
	}
	if _, err := setEligibility(s2, "nope", drover.NodeEligible); !errors.Is(err, drover.ErrNotFound) {
		t.Errorf("forwarded unknown node: %v, want ErrNotFound", err)
	}
	drainNode(t, s2, &drover.NodeUpdateDrainRequest{NodeID: "n1", MarkEligible: true})
	waitFor(t, 10*time.Second, "the follower sees the drain end", func() bool {
		n, err := s2.State().NodeByID(nil, "n1")
		return err == nil && n != nil && n.DrainStrategy == nil && n.SchedulingEligibility == drover.NodeEligible
	})
}
