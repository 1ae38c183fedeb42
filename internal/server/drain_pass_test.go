package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
	"github.com/drover-sh/drover/internal/state"
)

// passStore is a state store with draining nodes d1 and d2, ready node n,
// and a service job "web" of four allocations, two on each draining node.
type passStore struct {
	t      *testing.T
	st     *state.StateStore
	job    *drover.Job
	allocs []*drover.Allocation
	now    time.Time
	index  uint64
}

func newPassStore(t *testing.T, maxParallel int) *passStore {
	st, err := state.NewStateStore()
	if err != nil {
		t.Fatal(err)
	}
	p := &passStore{t: t, st: st, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	for _, id := range []string{"d1", "d2", "n"} {
		n := schedtest.Node(id)
		if id != "n" {
			n.Drain, n.SchedulingEligibility = true, drover.NodeIneligible
			n.DrainStrategy = &drover.DrainStrategy{StartedAt: p.now}
		}
		p.must(st.UpsertNode(p.next(), n))
	}
	p.job = schedtest.Job("web", 4)
	p.job.TaskGroups[0].Migrate.MaxParallel = maxParallel
	p.must(st.UpsertJob(p.next(), p.job))
	for i := range 4 {
		p.allocs = append(p.allocs, &drover.Allocation{
			ID: fmt.Sprintf("a%d", i), Namespace: "default", JobID: "web", Job: p.job, TaskGroup: "web",
			Name: drover.AllocName("web", "web", i), NodeID: []string{"d1", "d2"}[i%2],
			DesiredStatus: drover.AllocDesiredStatusRun, ClientStatus: drover.AllocClientStatusRunning,
		})
	}
	p.must(st.UpsertAllocs(p.next(), p.allocs))
	return p
}

func (p *passStore) next() uint64 { p.index++; return p.index }

func (p *passStore) must(err error) {
	p.t.Helper()
	if err != nil {
		p.t.Fatal(err)
	}
}

// run makes one pass over the store, as the drainer does, without writing.
func (p *passStore) run(notified map[string]bool) *drainPass {
	p.t.Helper()
	pass, _, err := decideDrainPass(p.st, memdb.NewWatchSet(), p.now, nil, notified)
	p.must(err)
	return pass
}

// mark sets Migrate on the allocations, as a committed pass would.
func (p *passStore) mark(ids ...string) {
	yes := true
	tr := map[string]*drover.DesiredTransition{}
	for _, id := range ids {
		tr[id] = &drover.DesiredTransition{Migrate: &yes}
	}
	p.must(p.st.UpdateAllocsDesiredTransitions(p.next(), tr, nil))
}

// replace places a replacement of id on n, running since startedAt (zero:
// pending).
func (p *passStore) replace(id string, startedAt time.Time) {
	var old *drover.Allocation
	for _, a := range p.allocs {
		if a.ID == id {
			old = a
		}
	}
	r := &drover.Allocation{
		ID: "r" + id, Namespace: "default", JobID: "web", Job: p.job, TaskGroup: "web", Name: old.Name, NodeID: "n",
		PreviousAllocation: id, DesiredStatus: drover.AllocDesiredStatusRun, ClientStatus: drover.AllocClientStatusPending,
	}
	p.must(p.st.UpsertAllocs(p.next(), []*drover.Allocation{r}))
	if !startedAt.IsZero() {
		p.must(p.st.UpdateAllocsFromClient(p.next(), []*drover.Allocation{{ID: r.ID, ClientStatus: drover.AllocClientStatusRunning,
			TaskStates: map[string]*drover.TaskState{"server": {State: drover.TaskStateRunning, StartedAt: startedAt}}}}))
	}
}

func TestDrainPassMaxParallelAcrossNodes(t *testing.T) {
	for _, mp := range []int{1, 3, 10} {
		t.Run(fmt.Sprint("max_parallel ", mp), func(t *testing.T) {
			p := newPassStore(t, mp)
			pass := p.run(nil)
			if want := min(mp, 4); len(pass.transitions) != want {
				t.Fatalf("%d marked, want %d", len(pass.transitions), want)
			}
			if len(pass.evalJobs) != 1 || len(pass.complete) != 0 {
				t.Fatalf("eval jobs %d, complete %v", len(pass.evalJobs), pass.complete)
			}
		})
	}
}

func TestDrainPassWaitsForHealthyReplacement(t *testing.T) {
	p := newPassStore(t, 1)
	p.mark("a0")
	if pass := p.run(nil); len(pass.transitions) != 0 || len(pass.evalJobs) != 0 || !pass.wake.IsZero() {
		t.Fatalf("in flight without replacement: %d marked, %d evals, wake %v", len(pass.transitions), len(pass.evalJobs), pass.wake)
	}
	p.replace("a0", time.Time{})
	if pass := p.run(nil); len(pass.transitions) != 0 || !pass.wake.IsZero() {
		t.Fatalf("pending replacement: %d marked, wake %v", len(pass.transitions), pass.wake)
	}
	p.replace("a0", p.now.Add(-4*time.Second))
	pass := p.run(nil)
	if len(pass.transitions) != 0 || !pass.wake.Equal(p.now.Add(6*time.Second)) {
		t.Fatalf("running replacement: %d marked, wake %v, want in 6s", len(pass.transitions), pass.wake)
	}

	// Healthy: the job is evaluated (so the old stops) and the next one
	// is marked; a later pass does not evaluate for the same one again.
	p.now = p.now.Add(6 * time.Second)
	pass = p.run(nil)
	// The next is a2: the second on d1 (d1's come first, then d2's).
	if len(pass.transitions) != 1 || pass.transitions["a2"] == nil || len(pass.evalJobs) != 1 || !pass.notified["a0"] {
		t.Fatalf("healthy replacement: marked %v, evals %d, notified %v", pass.transitions, len(pass.evalJobs), pass.notified)
	}
	p.mark("a2")
	pass = p.run(pass.notified)
	if len(pass.transitions) != 0 || len(pass.evalJobs) != 0 {
		t.Fatalf("second pass: marked %v, evals %d", pass.transitions, len(pass.evalJobs))
	}
}

func TestDrainPassBatchSystemAndDeadline(t *testing.T) {
	p := newPassStore(t, 1)
	batch := &drover.Job{ID: "work", Namespace: "default", Type: drover.JobTypeBatch}
	sys := &drover.Job{ID: "agent", Namespace: "default", Type: drover.JobTypeSystem}
	extra := []*drover.Allocation{
		{ID: "b", Namespace: "default", JobID: "work", Job: batch, TaskGroup: "g", Name: "work.g[0]", NodeID: "d1",
			DesiredStatus: drover.AllocDesiredStatusRun, ClientStatus: drover.AllocClientStatusRunning},
		{ID: "s", Namespace: "default", JobID: "agent", Job: sys, TaskGroup: "g", Name: "agent.g[0]", NodeID: "d1",
			DesiredStatus: drover.AllocDesiredStatusRun, ClientStatus: drover.AllocClientStatusRunning},
	}
	p.must(p.st.UpsertAllocs(p.next(), extra))
	pass := p.run(nil)
	if pass.transitions["b"] != nil || pass.transitions["s"] != nil {
		t.Fatal("batch or system alloc marked while service work remains")
	}

	// d2's service work gone, d1 keeps only batch and system: nothing for
	// d1 before its deadline, the batch work blocks the system work.
	stopped := []*drover.Allocation{}
	for _, a := range p.allocs {
		c := a.Copy()
		c.DesiredStatus = drover.AllocDesiredStatusStop
		stopped = append(stopped, c)
	}
	p.must(p.st.UpsertAllocs(p.next(), stopped))
	pass = p.run(nil)
	if len(pass.transitions) != 0 || len(pass.complete) != 1 || pass.complete[0] != "d2" {
		t.Fatalf("batch left: marked %v, complete %v", pass.transitions, pass.complete)
	}

	// The batch work finishes: the system work goes.
	p.must(p.st.UpdateAllocsFromClient(p.next(), []*drover.Allocation{{ID: "b", ClientStatus: drover.AllocClientStatusComplete}}))
	if pass = p.run(nil); len(pass.transitions) != 1 || pass.transitions["s"] == nil {
		t.Fatalf("system work not marked last: %v", pass.transitions)
	}

	// With a deadline passed, everything on the node goes at once.
	p.must(p.st.UpdateAllocsFromClient(p.next(), []*drover.Allocation{{ID: "b", ClientStatus: drover.AllocClientStatusRunning}}))
	ds := &drover.DrainStrategy{Deadline: time.Minute, ForceDeadline: p.now.Add(time.Minute), StartedAt: p.now}
	p.must(p.st.UpdateNodeDrain(p.next(), "d1", ds, false, false, nil, p.now.UnixNano(), nil))
	if pass = p.run(nil); len(pass.transitions) != 0 || !pass.wake.Equal(p.now.Add(time.Minute)) {
		t.Fatalf("before the deadline: marked %v, wake %v", pass.transitions, pass.wake)
	}
	p.now = p.now.Add(time.Minute)
	if pass = p.run(nil); len(pass.transitions) != 2 || len(pass.forcedNodes) != 1 || len(pass.evalJobs) != 2 {
		t.Fatalf("at the deadline: marked %v, forced %v, evals %d", pass.transitions, pass.forcedNodes, len(pass.evalJobs))
	}
}
