package server

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/fsm"
	"github.com/drover-sh/drover/internal/scheduler/reconcile"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
	"github.com/drover-sh/drover/internal/state"
)

// fakeClock is a Clock that moves only when Advance is called.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{at: c.now.Add(d), ch: ch})
	return ch
}

// Advance moves the clock by d and fires the waiters that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(c.now.Add(d))
}

// Set moves the clock to t and fires the waiters that are due.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(t)
}

func (c *fakeClock) setLocked(t time.Time) {
	c.now = t
	c.waiters = slices.DeleteFunc(c.waiters, func(w fakeWaiter) bool {
		if w.at.After(c.now) {
			return false
		}
		w.ch <- c.now
		return true
	})
}

// drainEnv is a server on a fake clock with node n1 holding the work and
// n2 (registered later) to take it.
type drainEnv struct {
	t     *testing.T
	s     *Server
	clock *fakeClock
}

func newDrainEnv(t *testing.T) *drainEnv {
	clock := newFakeClock()
	s := newTestServer(t, func(c *Config) { c.Clock = clock })
	return &drainEnv{t: t, s: s, clock: clock}
}

// drain starts a drain of nodeID as the drain endpoint does.
func (e *drainEnv) drain(nodeID string, deadline time.Duration, ignoreSystem bool) {
	e.t.Helper()
	now := e.clock.Now()
	ds := &drover.DrainStrategy{Deadline: deadline, IgnoreSystemJobs: ignoreSystem, StartedAt: now}
	if deadline > 0 {
		ds.ForceDeadline = now.Add(deadline)
	}
	_, err := e.s.raftApply(context.Background(), fsm.NodeUpdateDrainRequestType,
		&fsm.NodeUpdateDrainRequest{NodeID: nodeID, DrainStrategy: ds, UpdatedAt: now.UnixNano()})
	if err != nil {
		e.t.Fatalf("start drain: %v", err)
	}
}

// running reports the allocation running since the clock's now, as its
// client would.
func (e *drainEnv) running(a *drover.Allocation) {
	e.t.Helper()
	var r drover.GenericResponse
	states := map[string]*drover.TaskState{}
	for _, task := range a.Job.LookupTaskGroup(a.TaskGroup).Tasks {
		states[task.Name] = &drover.TaskState{State: drover.TaskStateRunning, StartedAt: e.clock.Now()}
	}
	err := e.s.RPC(context.Background(), drover.MethodNodeUpdateAlloc, &drover.AllocUpdateRequest{
		Alloc: []*drover.Allocation{{ID: a.ID, ClientStatus: drover.AllocClientStatusRunning, TaskStates: states}},
	}, &r)
	if err != nil {
		e.t.Fatalf("report alloc running: %v", err)
	}
}

// allocs returns the job's allocations of every status.
func (e *drainEnv) allocs(jobID string) []*drover.Allocation {
	e.t.Helper()
	all, err := e.s.State().AllocsByJob(nil, "default", jobID, false)
	if err != nil {
		e.t.Fatal(err)
	}
	return all
}

func (e *drainEnv) node(id string) *drover.Node {
	e.t.Helper()
	n, err := e.s.State().NodeByID(nil, id)
	if err != nil || n == nil {
		e.t.Fatalf("node %s: %v", id, err)
	}
	return n
}

// evaluate writes a pending evaluation of the job.
func (e *drainEnv) evaluate(jobID string) {
	e.t.Helper()
	job, err := e.s.State().JobByID(nil, "default", jobID)
	if err != nil || job == nil {
		e.t.Fatalf("job %s: %v", jobID, err)
	}
	ev := schedtest.Eval(job)
	ev.CreateTime, ev.ModifyTime = e.clock.Now().UnixNano(), e.clock.Now().UnixNano()
	if _, err := e.s.raftApply(context.Background(), fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{Evals: []*drover.Evaluation{ev}}); err != nil {
		e.t.Fatal(err)
	}
}

// settled waits until no evaluation of the job is pending.
func (e *drainEnv) settled(jobID string) {
	e.t.Helper()
	e.waitFor("evaluations of "+jobID+" done", func() bool {
		evals, err := e.s.State().EvalsByJob(nil, "default", jobID)
		if err != nil {
			e.t.Fatal(err)
		}
		return !slices.ContainsFunc(evals, func(ev *drover.Evaluation) bool { return ev.Status == drover.EvalStatusPending })
	})
}

func (e *drainEnv) waitFor(what string, cond func() bool) {
	e.t.Helper()
	waitFor(e.t, 10*time.Second, what, cond)
}

// placed registers job on n1 alone, waits for its count of allocations and
// reports them running.
func (e *drainEnv) placed(job *drover.Job, count int) []*drover.Allocation {
	e.t.Helper()
	registerJob(e.t, e.s, job)
	e.waitFor("placements of "+job.ID, func() bool { return len(liveAllocs(e.t, e.s, job.ID)) == count })
	live := liveAllocs(e.t, e.s, job.ID)
	for _, a := range live {
		if a.NodeID != "n1" {
			e.t.Fatalf("alloc %s placed on %s, want n1", a.Name, a.NodeID)
		}
		e.running(a)
	}
	return live
}

// jobOfType is schedtest.Job of one allocation, canonicalized as a job of
// type typ.
func jobOfType(id, typ string) *drover.Job {
	j := schedtest.Job(id, 1)
	j.Type = typ
	for _, tg := range j.TaskGroups {
		tg.Migrate, tg.ReschedulePolicy, tg.Update = nil, nil, nil
	}
	j.Canonicalize()
	return j
}

// split returns the job's allocations on node that are marked Migrate
// and, apart, the live replacements (on other nodes).
func split(all []*drover.Allocation, node string) (marked, repl []*drover.Allocation) {
	for _, a := range all {
		switch {
		case a.NodeID == node && a.DesiredTransition.ShouldMigrate():
			marked = append(marked, a)
		case a.NodeID != node && a.PreviousAllocation != "" && !a.ServerTerminal():
			repl = append(repl, a)
		}
	}
	return marked, repl
}

func byID(all []*drover.Allocation, id string) *drover.Allocation {
	for _, a := range all {
		if a.ID == id {
			return a
		}
	}
	return nil
}

func (e *drainEnv) waitDrainComplete(id string) {
	e.t.Helper()
	e.waitFor("drain of "+id+" complete", func() bool {
		n := e.node(id)
		return n.DrainStrategy == nil && n.LastDrain != nil && n.LastDrain.Status == drover.DrainStatusComplete
	})
	if n := e.node(id); n.Drain || n.SchedulingEligibility != drover.NodeIneligible {
		e.t.Fatalf("drained node: drain %v eligibility %s, want ineligible", n.Drain, n.SchedulingEligibility)
	}
}

// TestDrainMigratesServiceOneAtATime: with max_parallel 1, one allocation
// migrates at a time; each old one stops only once its replacement has run
// for min_healthy_time (10s by default); then the drain completes.
func TestDrainMigratesServiceOneAtATime(t *testing.T) {
	e := newDrainEnv(t)
	registerNode(t, e.s, schedtest.Node("n1"))
	olds := e.placed(schedtest.Job("web", 2), 2)
	registerNode(t, e.s, schedtest.Node("n2"))
	e.drain("n1", 0, false)

	var first *drover.Allocation
	e.waitFor("first replacement", func() bool {
		marked, repl := split(e.allocs("web"), "n1")
		if len(marked) > 1 {
			t.Fatalf("%d allocations marked at once, want 1", len(marked))
		}
		if len(repl) > 0 {
			first = repl[0]
		}
		return len(marked) == 1 && len(repl) == 1
	})
	if first.NodeID != "n2" || first.DesiredStatus != drover.AllocDesiredStatusRun {
		t.Fatalf("replacement on %s desired %s", first.NodeID, first.DesiredStatus)
	}
	if old := byID(e.allocs("web"), first.PreviousAllocation); old.ServerTerminal() || old.NodeID != "n1" {
		t.Fatalf("old alloc stopped before its replacement ran: %s %s", old.DesiredStatus, old.DesiredDescription)
	}

	// Running but not yet healthy: the old keeps running and nothing else
	// migrates, even when the job is evaluated for another reason.
	e.running(first)
	e.clock.Advance(9 * time.Second)
	e.waitFor("replacement running", func() bool {
		return byID(e.allocs("web"), first.ID).ClientStatus == drover.AllocClientStatusRunning
	})
	e.evaluate("web")
	e.settled("web")
	marked, repl := split(e.allocs("web"), "n1")
	if len(marked) != 1 || len(repl) != 1 || byID(e.allocs("web"), first.PreviousAllocation).ServerTerminal() {
		t.Fatalf("before min_healthy_time: %d marked, %d replacements", len(marked), len(repl))
	}

	// Healthy: the old stops and the second migrates.
	e.clock.Advance(time.Second)
	var second *drover.Allocation
	e.waitFor("first old stopped, second replacement placed", func() bool {
		all := e.allocs("web")
		_, repl := split(all, "n1")
		for _, r := range repl {
			if r.ID != first.ID {
				second = r
			}
		}
		return byID(all, first.PreviousAllocation).ServerTerminal() && second != nil
	})
	if old := byID(e.allocs("web"), first.PreviousAllocation); old.DesiredDescription != reconcile.DescMigrating || old.NextAllocation != first.ID {
		t.Errorf("old alloc description %q next %q, want %q and its replacement %s", old.DesiredDescription, old.NextAllocation, reconcile.DescMigrating, first.ID)
	}
	if byID(e.allocs("web"), second.PreviousAllocation).ServerTerminal() {
		t.Fatal("second old alloc stopped before its replacement ran")
	}
	e.running(second)
	e.clock.Advance(10 * time.Second)
	e.waitDrainComplete("n1")

	live := liveAllocs(t, e.s, "web")
	if len(live) != 2 {
		t.Fatalf("%d live allocs after the drain, want 2", len(live))
	}
	for _, a := range live {
		if a.NodeID != "n2" || slices.ContainsFunc(olds, func(o *drover.Allocation) bool { return o.ID == a.ID }) {
			t.Errorf("live alloc %s on %s", a.Name, a.NodeID)
		}
	}
}

// TestDrainDeadlineForcesRemaining: a batch allocation is left alone until
// the deadline; at the deadline everything left stops at once, without
// waiting for replacements to be healthy, and the drain completes.
func TestDrainDeadlineForcesRemaining(t *testing.T) {
	e := newDrainEnv(t)
	registerNode(t, e.s, schedtest.Node("n1"))
	e.placed(schedtest.Job("web", 2), 2)
	batch := e.placed(jobOfType("work", drover.JobTypeBatch), 1)[0]
	registerNode(t, e.s, schedtest.Node("n2"))
	e.drain("n1", time.Hour, false)

	e.waitFor("first replacement", func() bool {
		marked, repl := split(e.allocs("web"), "n1")
		return len(marked) == 1 && len(repl) == 1
	})
	if a := byID(e.allocs("work"), batch.ID); a.DesiredTransition.ShouldMigrate() || a.ServerTerminal() {
		t.Fatalf("batch alloc touched before the deadline: migrate %v desired %s", a.DesiredTransition.ShouldMigrate(), a.DesiredStatus)
	}

	e.clock.Advance(time.Hour)
	e.waitDrainComplete("n1")
	for _, job := range []string{"web", "work"} {
		for _, a := range e.allocs(job) {
			if a.NodeID == "n1" && (!a.ServerTerminal() || a.DesiredDescription != reconcile.DescMigrating) {
				t.Errorf("%s on n1: desired %s %q", a.Name, a.DesiredStatus, a.DesiredDescription)
			}
		}
	}
	if n := len(liveAllocs(t, e.s, "web")); n != 2 {
		t.Errorf("%d live web allocs, want 2 replacements", n)
	}
	live := liveAllocs(t, e.s, "work")
	if len(live) != 1 || live[0].NodeID != "n2" || live[0].PreviousAllocation != batch.ID {
		t.Errorf("batch work not replaced on n2: %d live", len(live))
	}
}

// TestDrainForceNow: a negative deadline stops everything at once.
func TestDrainForceNow(t *testing.T) {
	e := newDrainEnv(t)
	registerNode(t, e.s, schedtest.Node("n1"))
	e.placed(schedtest.Job("web", 2), 2)
	registerNode(t, e.s, schedtest.Node("n2"))
	e.drain("n1", -1, false)
	e.waitDrainComplete("n1")
	live := liveAllocs(t, e.s, "web")
	if len(live) != 2 || live[0].NodeID != "n2" || live[1].NodeID != "n2" {
		t.Fatalf("live allocs after a forced drain: %d", len(live))
	}
}

// TestDrainSystemLastAndIgnoreSystemJobs: a system allocation leaves a
// draining node only after the service work has; with IgnoreSystemJobs it
// stays and the drain completes around it.
func TestDrainSystemLastAndIgnoreSystemJobs(t *testing.T) {
	e := newDrainEnv(t)
	registerNode(t, e.s, schedtest.Node("n1"))
	svc := e.placed(schedtest.Job("web", 1), 1)[0]
	sysAlloc := e.placed(jobOfType("agent", drover.JobTypeSystem), 1)[0]
	registerNode(t, e.s, schedtest.Node("n2"))
	e.waitFor("system alloc on n2", func() bool { return len(liveAllocs(t, e.s, "agent")) == 2 })
	e.drain("n1", 0, false)

	var repl *drover.Allocation
	e.waitFor("service replacement", func() bool {
		_, r := split(e.allocs("web"), "n1")
		if len(r) == 1 {
			repl = r[0]
		}
		return repl != nil
	})
	if a := byID(e.allocs("agent"), sysAlloc.ID); a.DesiredTransition.ShouldMigrate() || a.ServerTerminal() {
		t.Fatal("system alloc marked while service work remains on the node")
	}
	e.running(repl)
	e.clock.Advance(10 * time.Second)
	e.waitDrainComplete("n1")
	if a := byID(e.allocs("web"), svc.ID); a.DesiredDescription != reconcile.DescMigrating {
		t.Errorf("service alloc description %q", a.DesiredDescription)
	}
	if a := byID(e.allocs("agent"), sysAlloc.ID); !a.ServerTerminal() || a.DesiredDescription != reconcile.DescMigrating {
		t.Errorf("system alloc on n1: desired %s %q", a.DesiredStatus, a.DesiredDescription)
	}
	live := liveAllocs(t, e.s, "agent")
	if len(live) != 1 || live[0].NodeID != "n2" {
		t.Fatalf("system allocs live: %d", len(live))
	}

	// n2 holds the service replacement and a system alloc: with
	// IgnoreSystemJobs only the service work must leave (to n1, made
	// eligible again).
	_, err := e.s.raftApply(context.Background(), fsm.NodeUpdateEligibilityRequestType,
		&fsm.NodeUpdateEligibilityRequest{NodeID: "n1", Eligibility: drover.NodeEligible, UpdatedAt: e.clock.Now().UnixNano()})
	if err != nil {
		t.Fatal(err)
	}
	e.drain("n2", -1, true)
	e.waitDrainComplete("n2")
	if a := byID(e.allocs("agent"), live[0].ID); a.ServerTerminal() || a.DesiredTransition.ShouldMigrate() {
		t.Errorf("system alloc on n2 touched despite IgnoreSystemJobs: %s %q", a.DesiredStatus, a.DesiredDescription)
	}
	if a := byID(e.allocs("web"), repl.ID); !a.ServerTerminal() {
		t.Error("service alloc on n2 not migrated")
	}
}

// TestDrainNodeGoesDown: the allocations of a draining node that goes down
// are lost; a replacement already placed counts for the lost one, and the
// drain completes.
func TestDrainNodeGoesDown(t *testing.T) {
	e := newDrainEnv(t)
	registerNode(t, e.s, schedtest.Node("n1"))
	old := e.placed(schedtest.Job("web", 1), 1)[0]
	registerNode(t, e.s, schedtest.Node("n2"))
	e.drain("n1", 0, false)
	var repl *drover.Allocation
	e.waitFor("replacement", func() bool {
		_, r := split(e.allocs("web"), "n1")
		if len(r) == 1 {
			repl = r[0]
		}
		return repl != nil
	})
	if err := e.s.markNodeDown(context.Background(), "n1"); err != nil {
		t.Fatal(err)
	}
	e.waitDrainComplete("n1")
	a := byID(e.allocs("web"), old.ID)
	if !a.ServerTerminal() || a.ClientStatus != drover.AllocClientStatusLost {
		t.Errorf("alloc on the down node: desired %s client %s", a.DesiredStatus, a.ClientStatus)
	}
	e.settled("web")
	live := liveAllocs(t, e.s, "web")
	if len(live) != 1 || live[0].ID != repl.ID {
		t.Errorf("live allocs %d, want only the replacement", len(live))
	}
}

// TestDrainerWatchesOnlyDrainingNodes: a pass reads and watches the
// draining nodes alone, so in a large cluster where nothing drains no
// write wakes the drainer, and while one node drains, writes of the
// others do not either. The pass runs on a store of its own (no server
// writes to it behind the test's back) and has nothing to write: the
// draining node holds a batch allocation, left alone until the deadline.
func TestDrainerWatchesOnlyDrainingNodes(t *testing.T) {
	clock := newFakeClock()
	st, err := state.NewStateStore()
	if err != nil {
		t.Fatal(err)
	}
	index := uint64(0)
	must := func(err error) {
		t.Helper()
		index++
		if err != nil {
			t.Fatal(err)
		}
	}
	d := &drainer{clock: clock, logger: testLogger(), notified: map[string]bool{}, forced: map[string]bool{}}
	pass := func() memdb.WatchSet {
		t.Helper()
		ws := memdb.NewWatchSet()
		if _, err := d.pass(context.Background(), st, ws); err != nil {
			t.Fatal(err)
		}
		return ws
	}
	must(st.UpsertNode(index+1, schedtest.Node("n1")))
	must(st.UpsertNode(index+1, schedtest.Node("n2")))
	ws := pass()
	must(st.UpsertNode(index+1, schedtest.Node("n3")))
	must(st.UpdateNodeStatus(index+1, "n2", drover.NodeStatusDown, 1))
	job := jobOfType("work", drover.JobTypeBatch)
	must(st.UpsertJob(index+1, job))
	alloc := &drover.Allocation{ID: "a1", Namespace: "default", JobID: job.ID, Job: job, TaskGroup: job.TaskGroups[0].Name,
		Name: drover.AllocName(job.ID, job.TaskGroups[0].Name, 0), NodeID: "n1", DesiredStatus: drover.AllocDesiredStatusRun}
	other := *alloc
	other.ID, other.NodeID = "a2", "n2"
	must(st.UpsertAllocs(index+1, []*drover.Allocation{alloc, &other}))
	if watchFired(ws) {
		t.Fatal("with nothing draining, node and allocation writes woke the drainer")
	}
	now := clock.Now()
	ds := &drover.DrainStrategy{Deadline: time.Hour, StartedAt: now, ForceDeadline: now.Add(time.Hour)}
	must(st.UpdateNodeDrain(index+1, "n1", ds, false, false, nil, now.UnixNano(), nil))
	if !watchFired(ws) {
		t.Fatal("a drain starting did not wake the drainer")
	}

	ws = pass()
	must(st.UpdateNodeStatus(index+1, "n2", drover.NodeStatusReady, 2))
	must(st.UpsertNode(index+1, schedtest.Node("n4")))
	must(st.UpdateAllocsFromClient(index+1, []*drover.Allocation{{ID: "a2", ClientStatus: drover.AllocClientStatusRunning}}))
	if watchFired(ws) {
		t.Fatal("writes of nodes that are not draining, and of their allocations, woke the drainer")
	}
	must(st.UpdateAllocsFromClient(index+1, []*drover.Allocation{{ID: "a1", ClientStatus: drover.AllocClientStatusRunning}}))
	if !watchFired(ws) {
		t.Fatal("an allocation of the draining node changing did not wake the drainer")
	}
	ws = pass()
	must(st.UpdateNodeStatus(index+1, "n1", drover.NodeStatusInit, 3))
	if !watchFired(ws) {
		t.Fatal("the draining node's change did not wake the drainer")
	}
}

// watchFired reports, without waiting, whether a channel of ws is closed.
func watchFired(ws memdb.WatchSet) bool {
	for ch := range ws {
		select {
		case <-ch:
			return true
		default:
		}
	}
	return false
}

// TestDrainSurvivesLeadershipChange: the drainer is a leader duty that
// keeps nothing that state does not hold. Leadership lost in the middle of
// a migration and gained again, the new term's drainer picks the drain up
// from state: it neither marks a second allocation while the first is in
// flight nor forgets the first, and the drain completes.
func TestDrainSurvivesLeadershipChange(t *testing.T) {
	e := newDrainEnv(t)
	registerNode(t, e.s, schedtest.Node("n1"))
	e.placed(schedtest.Job("web", 2), 2)
	registerNode(t, e.s, schedtest.Node("n2"))
	e.drain("n1", 0, false)
	var first *drover.Allocation
	e.waitFor("first replacement", func() bool {
		_, repl := split(e.allocs("web"), "n1")
		if len(repl) == 1 {
			first = repl[0]
		}
		return first != nil
	})

	e.s.revokeLeadership()
	if e.s.leaderContext() != nil {
		t.Fatal("leader context still set after revoking leadership")
	}
	e.s.establishLeadership()
	if e.s.leaderContext() == nil {
		t.Fatal("leadership not established again")
	}
	e.evaluate("web")
	e.settled("web")
	marked, repl := split(e.allocs("web"), "n1")
	if len(marked) != 1 || len(repl) != 1 || repl[0].ID != first.ID {
		t.Fatalf("after the leadership change: %d marked, %d replacements, want the first migration alone in flight", len(marked), len(repl))
	}

	e.running(first)
	e.clock.Advance(10 * time.Second)
	var second *drover.Allocation
	e.waitFor("second replacement", func() bool {
		_, repl := split(e.allocs("web"), "n1")
		for _, r := range repl {
			if r.ID != first.ID {
				second = r
			}
		}
		return second != nil
	})
	e.running(second)
	e.clock.Advance(10 * time.Second)
	e.waitDrainComplete("n1")
}
