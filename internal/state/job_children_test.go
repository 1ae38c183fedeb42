package state

import (
	"errors"
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
