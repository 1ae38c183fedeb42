package schedtest

import (
	"testing"

	drover "github.com/drover-sh/drover"
)

func TestSubmitPlanCommitsPlacementsAndStops(t *testing.T) {
	h := New()
	h.UpsertNode(Node("n1"))
	job := Job("web", 1)
	h.UpsertJob(job)
	a := &drover.Allocation{ID: "a1", Namespace: job.Namespace, JobID: job.ID, NodeID: "n1", Name: "web.web[0]",
		DesiredStatus: drover.AllocDesiredStatusRun, ClientStatus: drover.AllocClientStatusPending}
	plan := &drover.Plan{}
	plan.AppendAlloc(a)
	res, st, err := h.SubmitPlan(plan)
	if err != nil || st != h || res.RefreshIndex != 0 || res.AllocIndex == 0 {
		t.Fatalf("submit: %+v %v", res, err)
	}
	if byNode, _ := h.AllocsByNode("n1"); len(byNode) != 1 || byNode[0].CreateIndex != res.AllocIndex {
		t.Fatalf("by node = %v", byNode)
	}
	stop := &drover.Plan{}
	stop.AppendStop(a, "bye")
	h.SubmitPlan(stop)
	byJob, _ := h.AllocsByJob(job.Namespace, job.ID)
	if len(byJob) != 1 || byJob[0].DesiredStatus != drover.AllocDesiredStatusStop || len(h.LiveAllocs(job.Namespace, job.ID)) != 0 {
		t.Fatalf("after stop: %+v", byJob[0])
	}
}

func TestInjectedPartialCommit(t *testing.T) {
	h := New()
	h.InjectPartialCommit(func(p *drover.Plan, attempt int) *drover.PlanResult {
		if attempt == 1 {
			return &drover.PlanResult{}
		}
		return nil
	})
	p := &drover.Plan{}
	p.AppendAlloc(&drover.Allocation{ID: "x", NodeID: "n"})
	if res, _, _ := h.SubmitPlan(p); res.RefreshIndex == 0 {
		t.Fatal("a partial commit has no RefreshIndex")
	}
	if got, _ := h.AllocsByNode("n"); len(got) != 0 {
		t.Fatal("the withheld allocation was committed")
	}
	if res, _, _ := h.SubmitPlan(p); res.RefreshIndex != 0 {
		t.Fatal("the second plan was not committed in full")
	}
}
