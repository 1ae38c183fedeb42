package state

import (
	"testing"

	"github.com/drover-sh/drover"
)

func TestUpsertPlanResultsPreempts(t *testing.T) {
	s := newStore(t)
	low := testJob("low")
	must(t, s.UpsertJob(5, low))
	low, _ = s.JobByID(nil, "default", "low")
	sys := testJob("sys")
	sys.Type, sys.Priority = drover.JobTypeSystem, 100
	must(t, s.UpsertJob(6, sys))
	sys, _ = s.JobByID(nil, "default", "sys")
	must(t, s.UpsertAllocs(10, []*drover.Allocation{testAlloc("victim", low, "n1", "e0")}))
	must(t, s.UpdateAllocsFromClient(11, []*drover.Allocation{{ID: "victim", ClientStatus: drover.AllocClientStatusRunning}}))

	placed := testAlloc("sys1", sys, "n1", "")
	placed.Job = nil
	placed.PreemptedAllocations = []string{"victim"}
	plan := &drover.Plan{}
	plan.AppendPreemptedAlloc(&drover.Allocation{ID: "victim", NodeID: "n1"}, "sys1")
	plan.AppendPreemptedAlloc(&drover.Allocation{ID: "gc-ed", NodeID: "n1"}, "sys1")
	evalLow := testEval("pe", "low", drover.EvalStatusPending)
	evalLow.TriggeredBy = drover.EvalTriggerPreemption
	must(t, s.UpsertPlanResults(12, &ApplyPlanResultsRequest{
		Job: sys, EvalID: "e1",
		AllocsUpdated:   []*drover.Allocation{placed},
		AllocsPreempted: plan.NodePreemptions["n1"],
		Evals:           []*drover.Evaluation{evalLow},
	}))

	v, _ := s.AllocByID(nil, "victim")
	if v.DesiredStatus != drover.AllocDesiredStatusEvict || v.DesiredDescription != "Preempted by alloc ID sys1" ||
		v.PreemptedByAllocation != "sys1" || v.AllocModifyIndex != 12 || v.ClientStatus != drover.AllocClientStatusRunning {
		t.Fatalf("preempted alloc = %+v", v)
	}
	if v.Job == nil || v.Job.ID != "low" {
		t.Errorf("the preempted alloc lost its job: %+v", v.Job)
	}
	if a, _ := s.AllocByID(nil, "gc-ed"); a != nil {
		t.Errorf("an unknown preempted alloc was created: %+v", a)
	}
	n, _ := s.AllocByID(nil, "sys1")
	if n == nil || len(n.PreemptedAllocations) != 1 || n.PreemptedAllocations[0] != "victim" {
		t.Fatalf("placed alloc = %+v", n)
	}
	if e, _ := s.EvalByID(nil, "pe"); e == nil || e.CreateIndex != 12 {
		t.Fatalf("preemption eval = %+v", e)
	}
	// The evicted allocation is still running on its client: the low job
	// is not dead, and its summary still counts it as running until the
	// client reports it stopped.
	j, _ := s.JobByID(nil, "default", "low")
	if j.Status == drover.JobStatusDead {
		t.Errorf("low job status %s while its evicted alloc still runs", j.Status)
	}
	sum, _ := s.JobSummaryByID(nil, "default", "low")
	if sum.Summary["web"].Running != 1 {
		t.Errorf("summary %+v, want 1 running", sum.Summary["web"])
	}
	must(t, s.UpdateAllocsFromClient(13, []*drover.Allocation{{ID: "victim", ClientStatus: drover.AllocClientStatusComplete}}))
	sum, _ = s.JobSummaryByID(nil, "default", "low")
	if g := sum.Summary["web"]; g.Running != 0 || g.Complete != 1 {
		t.Errorf("summary after the client stopped it %+v, want 1 complete", g)
	}
}
