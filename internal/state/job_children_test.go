package state

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/drover-sh/drover"
)

func parentJob(id string) *drover.Job {
	j := testJob(id)
	j.Type = drover.JobTypeBatch
	j.Periodic = &drover.PeriodicConfig{Enabled: true, Specs: []string{"@daily"}}
	j.Canonicalize()
	return j
}

func childrenOf(t *testing.T, s *StateStore, id string) drover.JobChildrenSummary {
	t.Helper()
	sum, err := s.JobSummaryByID(nil, drover.DefaultNamespace, id)
	must(t, err)
	if sum == nil || sum.Children == nil {
		t.Fatalf("summary of %s: %+v, want children counted", id, sum)
	}
	return *sum.Children
}

func TestParentStatusAndChildrenSummary(t *testing.T) {
	s := newStore(t)
	parent := parentJob("cron")
	must(t, s.UpsertJob(1, parent))
	if j, _ := s.JobByID(nil, "default", "cron"); j.Status != drover.JobStatusRunning {
		t.Errorf("parent status %q, want running while it may launch", j.Status)
	}
	if got := childrenOf(t, s, "cron"); got != (drover.JobChildrenSummary{}) {
		t.Errorf("children %+v, want none", got)
	}

	// A job whose ID merely starts like a child's is not counted.
	impostor := testJob("cron/periodic-1")
	must(t, s.UpsertJob(2, impostor))

	child := parentJob("cron").PeriodicChild(time.Unix(100, 0))
	child.Canonicalize()
	must(t, s.UpsertJobWithEval(3, child, testEval("e1", child.ID, drover.EvalStatusPending)))
	if got := childrenOf(t, s, "cron"); got != (drover.JobChildrenSummary{Pending: 1}) {
		t.Errorf("after a launch: %+v, want one pending", got)
	}
	stored, _ := s.JobByID(nil, "default", child.ID)
	a := testAlloc("a1", stored, "n1", "e1")
	a.TaskGroup = "web"
	must(t, s.UpsertAllocs(4, []*drover.Allocation{a}))
	if got := childrenOf(t, s, "cron"); got != (drover.JobChildrenSummary{Running: 1}) {
		t.Errorf("child with a live allocation: %+v, want one running", got)
	}
	done := *a
	done.ClientStatus = drover.AllocClientStatusComplete
	must(t, s.UpdateAllocsFromClient(5, []*drover.Allocation{&done}))
	e := testEval("e1", child.ID, drover.EvalStatusComplete)
	must(t, s.UpsertEvals(6, []*drover.Evaluation{e}))
	if got := childrenOf(t, s, "cron"); got != (drover.JobChildrenSummary{Dead: 1}) {
		t.Errorf("child finished: %+v, want one dead", got)
	}

	// Stopping the parent leaves the children counted; purging a child
	// uncounts it.
	must(t, s.DeregisterJob(7, "default", "cron", false, nil))
	if j, _ := s.JobByID(nil, "default", "cron"); j.Status != drover.JobStatusDead {
		t.Errorf("stopped parent is %q, want dead", j.Status)
	}
	if got := childrenOf(t, s, "cron"); got != (drover.JobChildrenSummary{Dead: 1}) {
		t.Errorf("after stopping the parent: %+v", got)
	}
	must(t, s.DeleteJob(8, "default", child.ID))
	if got := childrenOf(t, s, "cron"); got != (drover.JobChildrenSummary{}) {
		t.Errorf("after purging the child: %+v, want none", got)
	}
	kids, err := s.ChildJobs(nil, "default", "cron")
	must(t, err)
	if len(kids) != 0 {
		t.Errorf("ChildJobs = %v, want none (the impostor has no ParentID)", kids)
	}
}

// TestUpsertPeriodicChildIsOneWrite: the child, its evaluation and the
// parent's launch record commit at one index, or not at all.
func TestUpsertPeriodicChildIsOneWrite(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertJob(1, parentJob("cron")))
	at := time.Unix(1700000000, 0).UTC()
	child := parentJob("cron").PeriodicChild(at)
	launch := &drover.PeriodicLaunch{ID: "cron", Namespace: "default", Launch: at}
	must(t, s.UpsertPeriodicChild(5, child, testEval("e1", child.ID, drover.EvalStatusPending), launch))
	stored, _ := s.JobByID(nil, "default", child.ID)
	e, _ := s.EvalByID(nil, "e1")
	l, _ := s.PeriodicLaunchByID(nil, "default", "cron")
	if stored == nil || stored.CreateIndex != 5 || e == nil || e.CreateIndex != 5 || l == nil || l.ModifyIndex != 5 || !l.Launch.Equal(at) {
		t.Fatalf("child %+v eval %+v launch %+v: want all three written at index 5", stored, e, l)
	}
	if got := childrenOf(t, s, "cron"); got != (drover.JobChildrenSummary{Pending: 1}) {
		t.Errorf("children %+v, want the child counted pending", got)
	}

	// A launch record naming another job is refused and nothing is written.
	other := parentJob("cron").PeriodicChild(at.Add(time.Minute))
	for _, bad := range []*drover.PeriodicLaunch{
		nil,
		{ID: "other", Namespace: "default", Launch: at.Add(time.Minute)},
		{ID: "cron", Namespace: "elsewhere", Launch: at.Add(time.Minute)},
	} {
		err := s.UpsertPeriodicChild(6, other, testEval("e2", other.ID, drover.EvalStatusPending), bad)
		if !errors.Is(err, drover.ErrInvalid) {
			t.Errorf("launch %+v: %v, want ErrInvalid", bad, err)
		}
	}
	if j, _ := s.JobByID(nil, "default", other.ID); j != nil {
		t.Errorf("a refused launch wrote its child %+v", j)
	}
	if e, _ := s.EvalByID(nil, "e2"); e != nil {
		t.Errorf("a refused launch wrote its evaluation %+v", e)
	}
	if err := s.UpsertPeriodicChild(6, testJob("plain"), nil, launch); !errors.Is(err, drover.ErrInvalid) {
		t.Errorf("a job without a parent: %v, want ErrInvalid", err)
	}

	// A failing write inside the transaction leaves the launch unrecorded.
	invalid := parentJob("cron").PeriodicChild(at.Add(2 * time.Minute))
	later := &drover.PeriodicLaunch{ID: "cron", Namespace: "default", Launch: at.Add(2 * time.Minute)}
	if err := s.UpsertPeriodicChild(7, invalid, &drover.Evaluation{Namespace: "default", JobID: invalid.ID}, later); err == nil {
		t.Fatal("an evaluation without an ID was accepted")
	}
	if l, _ := s.PeriodicLaunchByID(nil, "default", "cron"); !l.Launch.Equal(at) {
		t.Errorf("launch %v after a failed write, want %v unchanged", l.Launch, at)
	}
	if j, _ := s.JobByID(nil, "default", invalid.ID); j != nil {
		t.Errorf("a failed write left its child %+v", j)
	}
}

// TestChildrenCountsFollowEveryWrite: the parents' children counts are kept
// by each write's changes (a write of one child does not recount them
// all); after any sequence of writes they equal a fresh count of the
// children's statuses.
func TestChildrenCountsFollowEveryWrite(t *testing.T) {
	s := newStore(t)
	index := uint64(1)
	next := func() uint64 { index++; return index }
	parents := []string{"cron", "other"}
	for _, p := range parents {
		must(t, s.UpsertJob(next(), parentJob(p)))
	}
	check := func(step string) {
		t.Helper()
		for _, p := range parents {
			kids, err := s.ChildJobs(nil, "default", p)
			must(t, err)
			var want drover.JobChildrenSummary
			for _, c := range kids {
				switch c.Status {
				case drover.JobStatusRunning:
					want.Running++
				case drover.JobStatusDead:
					want.Dead++
				default:
					want.Pending++
				}
			}
			if got := childrenOf(t, s, p); got != want {
				t.Fatalf("%s: children of %s %+v, a recount gives %+v", step, p, got, want)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var kids []*drover.Job
	var allocs []*drover.Allocation
	for step := range 400 {
		switch op := rng.IntN(8); {
		case op <= 1 || len(kids) == 0: // launch a child, with its evaluation
			parent := parentJob(parents[rng.IntN(len(parents))])
			c := parent.PeriodicChild(time.Unix(int64(1000+step), 0))
			c.Canonicalize()
			launch := &drover.PeriodicLaunch{ID: parent.ID, Namespace: "default", Launch: time.Unix(int64(1000+step), 0)}
			must(t, s.UpsertPeriodicChild(next(), c, testEval(fmt.Sprint("e", step), c.ID, drover.EvalStatusPending), launch))
			kids = append(kids, c)
		case op == 2: // place an allocation of a child
			c, _ := s.JobByID(nil, "default", kids[rng.IntN(len(kids))].ID)
			if c == nil {
				continue
			}
			a := testAlloc(fmt.Sprint("a", step), c, "n1", "e")
			must(t, s.UpsertAllocs(next(), []*drover.Allocation{a}))
			allocs = append(allocs, a)
		case op == 3 && len(allocs) > 0: // a client reports
			a := allocs[rng.IntN(len(allocs))]
			status := []string{drover.AllocClientStatusRunning, drover.AllocClientStatusComplete, drover.AllocClientStatusFailed}[rng.IntN(3)]
			must(t, s.UpdateAllocsFromClient(next(), []*drover.Allocation{{ID: a.ID, ClientStatus: status}}))
		case op == 4: // an evaluation completes
			c := kids[rng.IntN(len(kids))]
			must(t, s.UpsertEvals(next(), []*drover.Evaluation{testEval(fmt.Sprint("done", step), c.ID, drover.EvalStatusComplete)}))
		case op == 5: // a child is stopped
			c := kids[rng.IntN(len(kids))]
			if err := s.DeregisterJob(next(), "default", c.ID, false, nil); err != nil && !errors.Is(err, drover.ErrNotFound) {
				t.Fatal(err)
			}
		case op == 6: // a child is purged
			c := kids[rng.IntN(len(kids))]
			if err := s.DeleteJob(next(), "default", c.ID); err != nil && !errors.Is(err, drover.ErrNotFound) {
				t.Fatal(err)
			}
		case op == 7: // garbage collection of evaluations and allocations
			if len(allocs) > 0 {
				a := allocs[rng.IntN(len(allocs))]
				must(t, s.DeleteEvals(next(), nil, []string{a.ID}))
			}
		}
		check(fmt.Sprint("step ", step))
	}
	// A parent registered anew counts the children it finds.
	must(t, s.DeleteJob(next(), "default", "cron"))
	must(t, s.UpsertJob(next(), parentJob("cron")))
	check("after the parent was registered anew")
}
