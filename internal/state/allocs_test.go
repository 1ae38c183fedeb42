package state

import (
	"slices"
	"testing"

	"github.com/drover-sh/drover"
)

func TestAllocReads(t *testing.T) {
	s := newStore(t)
	web, api := testJob("web"), testJob("api")
	must(t, s.UpsertJob(5, web))
	must(t, s.UpsertJob(6, api))
	must(t, s.UpsertAllocs(10, []*drover.Allocation{
		testAlloc("aa01", web, "n1", "e1"),
		testAlloc("aa02", web, "n2", "e1"),
		testAlloc("bb03", api, "n1", "e2"),
	}))
	tests := []struct {
		name string
		read func() ([]*drover.Allocation, error)
		want []string
	}{
		{"all", func() ([]*drover.Allocation, error) { return s.AllocsByIDPrefix(nil, "") }, []string{"aa01", "aa02", "bb03"}},
		{"prefix", func() ([]*drover.Allocation, error) { return s.AllocsByIDPrefix(nil, "aa") }, []string{"aa01", "aa02"}},
		{"node", func() ([]*drover.Allocation, error) { return s.AllocsByNode(nil, "n1") }, []string{"aa01", "bb03"}},
		{"job", func() ([]*drover.Allocation, error) { return s.AllocsByJob(nil, "default", "web", false) }, []string{"aa01", "aa02"}},
		{"job other ns", func() ([]*drover.Allocation, error) { return s.AllocsByJob(nil, "prod", "web", true) }, []string{}},
		{"eval", func() ([]*drover.Allocation, error) { return s.AllocsByEval(nil, "e2") }, []string{"bb03"}},
	}
	for _, tt := range tests {
		got, err := tt.read()
		must(t, err)
		if ids := allocIDs(got); !slices.Equal(ids, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, ids, tt.want)
		}
	}
	a, _ := s.AllocByID(nil, "aa01")
	if a == nil || a.CreateIndex != 10 || a.AllocModifyIndex != 10 || a.ClientStatus != drover.AllocClientStatusPending {
		t.Fatalf("AllocByID = %+v", a)
	}
	if a, _ := s.AllocByID(nil, "zz"); a != nil {
		t.Fatal("absent alloc found")
	}
}

func TestUpdateAllocsFromClient(t *testing.T) {
	s := newStore(t)
	job := testJob("web")
	must(t, s.UpsertJob(5, job))
	must(t, s.UpsertAllocs(10, []*drover.Allocation{testAlloc("a1", job, "n1", "e1")}))
	before, _ := s.AllocByID(nil, "a1")

	states := map[string]*drover.TaskState{"srv": {State: drover.TaskStateRunning}}
	must(t, s.UpdateAllocsFromClientWithEvals(11, []*drover.Allocation{
		{ID: "a1", ClientStatus: drover.AllocClientStatusRunning, ClientDescription: "up", TaskStates: states, DesiredStatus: "ignored", NodeID: "ignored"},
		{ID: "unknown", ClientStatus: drover.AllocClientStatusRunning},
	}, []*drover.Evaluation{testEval("e9", "web", drover.EvalStatusPending)}))

	a, _ := s.AllocByID(nil, "a1")
	if a.ClientStatus != "running" || a.ClientDescription != "up" || a.TaskStates["srv"].State != "running" {
		t.Fatalf("client fields not copied: %+v", a)
	}
	if a.DesiredStatus != drover.AllocDesiredStatusRun || a.NodeID != "n1" || a.Job == nil {
		t.Fatalf("server fields changed by a client update: %+v", a)
	}
	if a.ModifyIndex != 11 || a.AllocModifyIndex != 10 {
		t.Fatalf("modify %d alloc-modify %d, want 11, 10", a.ModifyIndex, a.AllocModifyIndex)
	}
	if before.ClientStatus != drover.AllocClientStatusPending || before.ModifyIndex != 10 {
		t.Fatal("the stored alloc was modified in place")
	}
	if e, _ := s.EvalByID(nil, "e9"); e == nil || e.ModifyIndex != 11 {
		t.Fatalf("eval written with the update: %+v", e)
	}
	if a, _ := s.AllocByID(nil, "unknown"); a != nil {
		t.Fatal("client update created an alloc")
	}
}

func TestUpsertPlanResults(t *testing.T) {
	s := newStore(t)
	job := testJob("web")
	must(t, s.UpsertJob(5, job))
	job, _ = s.JobByID(nil, "default", "web")
	must(t, s.UpsertAllocs(10, []*drover.Allocation{testAlloc("old", job, "n1", "e0"), testAlloc("gone", job, "n2", "e0")}))
	must(t, s.UpdateAllocsFromClient(11, []*drover.Allocation{{ID: "old", ClientStatus: drover.AllocClientStatusRunning}}))

	repl := testAlloc("new", job, "n2", "")
	repl.Job = nil // the applier strips the job: it comes from the request
	repl.PreviousAllocation = "old"
	inplace := testAlloc("gone", job, "n2", "e1")
	inplace.ClientStatus = "ignored-for-existing"
	req := &ApplyPlanResultsRequest{
		Job: job, EvalID: "e1",
		AllocsStopped: []*drover.Allocation{{ID: "old", DesiredDescription: "replaced"}, {ID: "gc-ed"}},
		AllocsUpdated: []*drover.Allocation{repl, inplace},
		Evals:         []*drover.Evaluation{testEval("e1", "web", drover.EvalStatusComplete)},
	}
	must(t, s.UpsertPlanResults(12, req))

	old, _ := s.AllocByID(nil, "old")
	if old.DesiredStatus != drover.AllocDesiredStatusStop || old.DesiredDescription != "replaced" ||
		old.AllocModifyIndex != 12 || old.ClientStatus != "running" || old.NextAllocation != "new" {
		t.Fatalf("stopped alloc = %+v", old)
	}
	n, _ := s.AllocByID(nil, "new")
	if n.CreateIndex != 12 || n.AllocModifyIndex != 12 || n.EvalID != "e1" || n.Job != job || n.ClientStatus != "pending" {
		t.Fatalf("placed alloc = %+v", n)
	}
	g, _ := s.AllocByID(nil, "gone")
	if g.CreateIndex != 10 || g.AllocModifyIndex != 12 || g.ClientStatus != "pending" || g.EvalID != "e1" {
		t.Fatalf("in-place update = %+v", g)
	}
	for _, table := range []string{TableAllocs, TableEvals} {
		if idx, _ := s.Index(table); idx != 12 {
			t.Errorf("index of %s = %d, want 12", table, idx)
		}
	}

	// One transaction: a bad eval rolls back the allocations too.
	bad := &ApplyPlanResultsRequest{
		Job:           job,
		AllocsUpdated: []*drover.Allocation{testAlloc("never", job, "n1", "e2")},
		AllocsStopped: []*drover.Allocation{{ID: "new"}},
		Evals:         []*drover.Evaluation{{ID: ""}},
	}
	if err := s.UpsertPlanResults(13, bad); err == nil {
		t.Fatal("plan with an invalid eval committed")
	}
	if a, _ := s.AllocByID(nil, "never"); a != nil {
		t.Fatal("placement of a failed plan is visible")
	}
	if a, _ := s.AllocByID(nil, "new"); a.DesiredStatus != drover.AllocDesiredStatusRun {
		t.Fatal("stop of a failed plan is visible")
	}
	if idx, _ := s.LatestIndex(); idx != 12 {
		t.Fatalf("latest index %d after failed plan, want 12", idx)
	}
}

func TestPlanStopClientStatus(t *testing.T) {
	s := newStore(t)
	job := testJob("web")
	must(t, s.UpsertJob(5, job))
	must(t, s.UpsertAllocs(10, []*drover.Allocation{testAlloc("a1", job, "n1", "e"), testAlloc("a2", job, "n1", "e"), testAlloc("a3", job, "n1", "e")}))
	must(t, s.UpdateAllocsFromClient(11, []*drover.Allocation{
		{ID: "a1", ClientStatus: drover.AllocClientStatusRunning},
		{ID: "a2", ClientStatus: drover.AllocClientStatusComplete},
		{ID: "a3", ClientStatus: drover.AllocClientStatusRunning},
	}))
	must(t, s.UpsertPlanResults(12, &ApplyPlanResultsRequest{Job: job, AllocsStopped: []*drover.Allocation{
		{ID: "a1", ClientStatus: drover.AllocClientStatusLost},    // node down: lost
		{ID: "a2", ClientStatus: drover.AllocClientStatusLost},    // finished before: stays complete
		{ID: "a3", ClientStatus: drover.AllocClientStatusPending}, // stale copy: ignored
	}}))
	for id, want := range map[string]string{"a1": "lost", "a2": "complete", "a3": "running"} {
		a, _ := s.AllocByID(nil, id)
		if a.ClientStatus != want || a.DesiredStatus != drover.AllocDesiredStatusStop {
			t.Errorf("%s: client %s desired %s, want %s, stop", id, a.ClientStatus, a.DesiredStatus, want)
		}
	}
}
