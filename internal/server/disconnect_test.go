package server

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/reconcile"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

// TestLostAllocReplacedAfterClientStop: when the node of an allocation
// whose group sets stop_on_client_after goes down, the allocation is marked
// lost at once, but its replacement is placed on the other node only once
// stop_on_client_after plus the kill time have passed since (through the
// follow-up evaluation, as no other evaluation comes).
func TestLostAllocReplacedAfterClientStop(t *testing.T) {
	s := newTestServer(t, func(c *Config) {
		c.HeartbeatTTL = 100 * time.Millisecond
		c.HeartbeatGrace = -1
	})
	heartbeat := func(id string) {
		var r drover.NodeUpdateResponse
		if err := s.RPC(context.Background(), drover.MethodNodeUpdateStatus, &drover.NodeUpdateStatusRequest{NodeID: id, Status: drover.NodeStatusReady}, &r); err != nil {
			t.Error(err)
		}
	}
	registerNode(t, s, schedtest.Node("n1"))
	job := schedtest.Job("web", 1)
	after := time.Second
	job.TaskGroups[0].Disconnect = &drover.DisconnectStrategy{StopOnClientAfter: &after}
	job.TaskGroups[0].Tasks[0].KillTimeout = 200 * time.Millisecond
	registerJob(t, s, job)
	waitFor(t, 10*time.Second, "placement", func() bool {
		heartbeat("n1")
		return len(liveAllocs(t, s, "web")) == 1
	})
	lost := liveAllocs(t, s, "web")[0]

	// n2 joins and keeps heartbeating; n1 falls silent.
	registerNode(t, s, schedtest.Node("n2"))
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(30 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				heartbeat("n2")
			}
		}
	}()
	defer func() { close(done); <-stopped }()

	waitFor(t, 10*time.Second, "the allocation marked lost", func() bool {
		a, _ := s.State().AllocByID(nil, lost.ID)
		return a.ClientStatus == drover.AllocClientStatusLost && a.DesiredDescription == reconcile.DescLost
	})
	waitFor(t, 10*time.Second, "the replacement", func() bool { return len(liveAllocs(t, s, "web")) == 1 })
	repl := liveAllocs(t, s, "web")[0]
	marked, _ := s.State().AllocByID(nil, lost.ID)
	due := time.Unix(0, marked.ModifyTime).Add(after + 200*time.Millisecond)
	if repl.NodeID != "n2" || time.Unix(0, repl.CreateTime).Before(due) {
		t.Fatalf("replacement on %s created at %v, want on n2 no earlier than %v",
			repl.NodeID, time.Unix(0, repl.CreateTime), due)
	}
	evals, _ := s.State().EvalsByJob(nil, "default", "web")
	var followup bool
	for _, e := range evals {
		if e.ID == repl.EvalID && !e.WaitUntil.IsZero() && !e.WaitUntil.Before(due) {
			followup = true
		}
	}
	if !followup {
		for _, e := range evals {
			t.Logf("eval %s %s %s wait until %v", e.ID, e.TriggeredBy, e.Status, e.WaitUntil)
		}
		t.Errorf("the replacement (eval %s) was not placed by a follow-up evaluation due at %v", repl.EvalID, due)
	}
}
