package server

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/fsm"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

// registerIdle registers job with count 0 and priority, waits for its
// registration eval, and returns the stored job: plans can then be applied
// by hand without the scheduler interfering.
func registerIdle(t *testing.T, s *Server, id string, priority int) *drover.Job {
	t.Helper()
	job := schedtest.Job(id, 0)
	job.Priority = priority
	reg := registerJob(t, s, job)
	waitFor(t, 10*time.Second, "the registration eval of "+id, func() bool {
		e := evalOf(t, s, reg.EvalID)
		return e != nil && e.Terminal()
	})
	stored, err := s.State().JobByID(nil, "default", id)
	if err != nil || stored == nil {
		t.Fatalf("job %s: %v", id, err)
	}
	return stored
}

// preemptionEvalsOf returns the evaluations of jobID triggered by preemption.
func preemptionEvalsOf(t *testing.T, s *Server, jobID string) []*drover.Evaluation {
	t.Helper()
	evals, err := s.State().EvalsByJob(nil, "default", jobID)
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(evals, func(e *drover.Evaluation) bool { return e.TriggeredBy != drover.EvalTriggerPreemption })
}

// applyByHand applies plan and fails the test on error.
func applyByHand(t *testing.T, s *Server, plan *drover.Plan) *drover.PlanResult {
	t.Helper()
	res, err := s.applyPlan(context.Background(), &pendingPlan{plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestPlanApplierCommitsPreemptions(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.NumSchedulers = 1 })
	registerNode(t, s, schedtest.Node("n")) // 4000 MHz
	low := registerIdle(t, s, "low", 50)
	high := registerIdle(t, s, "high", 100)

	first := &drover.Plan{EvalID: drover.GenerateID(), Job: low}
	victim := planAlloc(low, "n", 3800)
	first.AppendAlloc(victim)
	applyByHand(t, s, first)

	// 500 MHz fit only once the victim's 3800 are subtracted.
	plan := &drover.Plan{EvalID: drover.GenerateID(), Job: high}
	placed := planAlloc(high, "n", 500)
	placed.PreemptedAllocations = []string{victim.ID}
	plan.AppendAlloc(placed)
	plan.AppendPreemptedAlloc(victim, placed.ID)
	res := applyByHand(t, s, plan)
	if res.RefreshIndex != 0 || len(res.NodeAllocation["n"]) != 1 || len(res.NodePreemptions["n"]) != 1 {
		t.Fatalf("result %+v, want the placement and the preemption committed", res)
	}
	v, _ := s.State().AllocByID(nil, victim.ID)
	if v.DesiredStatus != drover.AllocDesiredStatusEvict || v.PreemptedByAllocation != placed.ID ||
		v.DesiredDescription != "Preempted by alloc ID "+placed.ID || v.ModifyIndex != res.AllocIndex {
		t.Fatalf("victim = %s %q by %q", v.DesiredStatus, v.DesiredDescription, v.PreemptedByAllocation)
	}
	p, _ := s.State().AllocByID(nil, placed.ID)
	if p == nil || !slices.Equal(p.PreemptedAllocations, []string{victim.ID}) {
		t.Fatalf("placed alloc = %+v", p)
	}
	evals := preemptionEvalsOf(t, s, "low")
	if len(evals) != 1 || evals[0].CreateIndex != res.AllocIndex || evals[0].Priority != 50 || evals[0].Type != drover.JobTypeService {
		t.Fatalf("preemption evals of the low job: %+v", evals)
	}
	if got := preemptionEvalsOf(t, s, "high"); len(got) != 0 {
		t.Errorf("the preempting job got preemption evals: %+v", got)
	}
}

func TestPlanApplierRejectsStalePreemption(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.NumSchedulers = 1 })
	registerNode(t, s, schedtest.Node("n"))
	registerNode(t, s, schedtest.Node("other"))
	low := registerIdle(t, s, "low", 50)
	high := registerIdle(t, s, "high", 100)
	seed := &drover.Plan{EvalID: drover.GenerateID(), Job: low}
	victim := planAlloc(low, "n", 3800)
	seed.AppendAlloc(victim)
	applyByHand(t, s, seed)

	// The victim was stopped meanwhile (another plan); a plan made before
	// still preempts it. Node n has room now, but the plan was made for a
	// state that no longer holds: the scheduler must replan.
	stop := &drover.Plan{EvalID: drover.GenerateID(), Job: low}
	stop.AppendStop(victim, "stopped meanwhile")
	applyByHand(t, s, stop)

	tests := []struct {
		name   string
		victim *drover.Allocation
	}{
		{"terminal", victim},
		{"gone", planAlloc(low, "n", 3800)}, // never stored
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := &drover.Plan{EvalID: drover.GenerateID(), Job: high}
			placed := planAlloc(high, "n", 500)
			plan.AppendAlloc(placed)
			plan.AppendPreemptedAlloc(tt.victim, placed.ID)
			elsewhere := planAlloc(high, "other", 500)
			plan.AppendAlloc(elsewhere)
			res := applyByHand(t, s, plan)
			if res.RefreshIndex == 0 || len(res.NodeAllocation["n"]) != 0 || len(res.NodePreemptions) != 0 {
				t.Fatalf("result %+v, want node n left out and a refresh index", res)
			}
			if full, _, _ := res.FullCommit(plan); full {
				t.Fatal("FullCommit reports the rejected preemption as full")
			}
			if a, _ := s.State().AllocByID(nil, placed.ID); a != nil {
				t.Fatal("the placement of the rejected node was committed")
			}
			if a, _ := s.State().AllocByID(nil, elsewhere.ID); a == nil {
				t.Fatal("the placement on the other node was not committed")
			}
		})
	}
	// A live victim, but nothing placed on its node: nothing to make
	// room for.
	alive := &drover.Plan{EvalID: drover.GenerateID(), Job: low}
	live := planAlloc(low, "n", 100)
	alive.AppendAlloc(live)
	applyByHand(t, s, alive)
	lone := &drover.Plan{EvalID: drover.GenerateID(), Job: high}
	lone.AppendPreemptedAlloc(live, drover.GenerateID())
	lone.AppendAlloc(planAlloc(high, "other", 100))
	if res := applyByHand(t, s, lone); len(res.NodePreemptions) != 0 || res.RefreshIndex == 0 {
		t.Fatalf("evictions without a placement: %+v", res)
	}
	if a, _ := s.State().AllocByID(nil, live.ID); a.DesiredStatus != drover.AllocDesiredStatusRun {
		t.Fatalf("evicted for nothing: %s", a.DesiredStatus)
	}
	if got := preemptionEvalsOf(t, s, "low"); len(got) != 0 {
		t.Errorf("rejected preemptions created evals: %+v", got)
	}
	v, _ := s.State().AllocByID(nil, victim.ID)
	if v.DesiredStatus != drover.AllocDesiredStatusStop || v.PreemptedByAllocation != "" {
		t.Errorf("stopped victim changed: %s by %q", v.DesiredStatus, v.PreemptedByAllocation)
	}
}

// svcAndSystem registers, on one 4000 MHz node, a service job of priority
// 50 taking 3800 MHz and waits for it to run, then registers a system job
// of the given priority asking 500 MHz. It returns the service alloc.
func svcAndSystem(t *testing.T, s *Server, sysPriority int) *drover.Allocation {
	t.Helper()
	registerNode(t, s, schedtest.Node("n1"))
	svc := schedtest.Job("svc", 1)
	svc.TaskGroups[0].Tasks[0].Resources.CPU = 3800
	registerJob(t, s, svc)
	waitFor(t, 10*time.Second, "the service alloc", func() bool { return len(liveAllocs(t, s, "svc")) == 1 })
	victim := liveAllocs(t, s, "svc")[0]
	sys := sysJob("sys")
	sys.Priority = sysPriority
	sys.TaskGroups[0].Tasks[0].Resources.CPU = 500
	registerJob(t, s, sys)
	return victim
}

func TestSystemJobEvictsServiceAlloc(t *testing.T) {
	s := newTestServer(t, nil)
	victim := svcAndSystem(t, s, 100)
	waitFor(t, 10*time.Second, "the system alloc", func() bool { return len(liveAllocs(t, s, "sys")) == 1 })
	placed := liveAllocs(t, s, "sys")[0]
	v, _ := s.State().AllocByID(nil, victim.ID)
	if v.DesiredStatus != drover.AllocDesiredStatusEvict || v.PreemptedByAllocation != placed.ID {
		t.Fatalf("service alloc %s, preempted by %q; want evicted by %s", v.DesiredStatus, v.PreemptedByAllocation, placed.ID)
	}
	if !slices.Equal(placed.PreemptedAllocations, []string{victim.ID}) {
		t.Errorf("system alloc's PreemptedAllocations = %v", placed.PreemptedAllocations)
	}
	// The service job is evaluated again; its allocation no longer fits
	// next to the system one, so the evaluation leaves a blocked one.
	var pe *drover.Evaluation
	waitFor(t, 10*time.Second, "the service job's preemption eval to complete", func() bool {
		evals := preemptionEvalsOf(t, s, "svc")
		if len(evals) != 1 {
			return false
		}
		pe = evalOf(t, s, evals[0].ID)
		return pe.Terminal()
	})
	if pe.Status != drover.EvalStatusComplete || pe.BlockedEval == "" || pe.FailedTGAllocs["web"] == nil {
		t.Fatalf("preemption eval %s blocked=%q failed=%v", pe.Status, pe.BlockedEval, pe.FailedTGAllocs)
	}
	if b := evalOf(t, s, pe.BlockedEval); b == nil || b.Status != drover.EvalStatusBlocked {
		t.Errorf("blocked eval = %+v", b)
	}
	if live := liveAllocs(t, s, "svc"); len(live) != 0 {
		t.Errorf("service job has %d live allocs, want 0", len(live))
	}
}

func TestSystemJobDoesNotEvictWhenDisabledOrClose(t *testing.T) {
	tests := []struct {
		name     string
		priority int
		disable  bool
	}{
		{"disabled", 100, true},
		{"priority too close", 55, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			if tt.disable {
				if _, _, err := s.raft.Apply(context.Background(), fsm.SchedulerConfigRequestType,
					&fsm.SchedulerConfigRequest{Config: drover.SchedulerConfiguration{SchedulerAlgorithm: drover.SchedulerAlgorithmBinpack}}); err != nil {
					t.Fatal(err)
				}
			}
			victim := svcAndSystem(t, s, tt.priority)
			var ev *drover.Evaluation
			waitFor(t, 10*time.Second, "the system job's eval to complete", func() bool {
				evals, _ := s.State().EvalsByJob(nil, "default", "sys")
				for _, e := range evals {
					if e.TriggeredBy == drover.EvalTriggerJobRegister && e.Terminal() {
						ev = e
						return true
					}
				}
				return false
			})
			if m := ev.FailedTGAllocs["g"]; m == nil || m.DimensionExhausted["cpu"] != 1 {
				t.Fatalf("system eval failures %+v, want cpu exhausted", ev.FailedTGAllocs)
			}
			if v, _ := s.State().AllocByID(nil, victim.ID); v.DesiredStatus != drover.AllocDesiredStatusRun {
				t.Fatalf("service alloc %s", v.DesiredStatus)
			}
		})
	}
}

func TestJobPlanCountsPreemptions(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	svc := schedtest.Job("svc", 1)
	svc.TaskGroups[0].Tasks[0].Resources.CPU = 3800
	reg := registerJob(t, s, svc)
	waitFor(t, 10*time.Second, "the service job's eval", func() bool {
		e := evalOf(t, s, reg.EvalID)
		return e != nil && e.Terminal()
	})
	waitLive(t, s, "svc", 1)
	before := markState(t, s)
	sys := sysJob("sys")
	sys.Priority = 100
	sys.TaskGroups[0].Tasks[0].Resources.CPU = 500
	resp := planJob(t, s, sys, false)
	if u := resp.Annotations.DesiredTGUpdates["g"]; u == nil || u.Place != 1 || u.Preemptions != 1 {
		t.Fatalf("annotations %+v, want 1 placement and 1 preemption", u)
	}
	svcAlloc := liveAllocs(t, s, "svc")[0]
	if p := resp.Annotations.PreemptedAllocs; len(p) != 1 || p[0].ID != svcAlloc.ID || p[0].JobID != "svc" || p[0].TaskGroup != svcAlloc.TaskGroup {
		t.Fatalf("preempted allocs %+v, want the service alloc %s", p, svcAlloc.ID)
	}
	if markState(t, s) != before {
		t.Error("the dry run changed the state")
	}
	if live := liveAllocs(t, s, "svc"); len(live) != 1 || live[0].DesiredStatus != drover.AllocDesiredStatusRun {
		t.Fatalf("the dry run evicted the service alloc: %+v", live)
	}
}

// TestConcurrentPlansPreemptingOneAlloc: two plans, made on the same state,
// each evict the same allocation to place their own. They reach the
// applier together; it applies them one after the other, so exactly one
// commits the eviction and its placement, and the other's node is refused
// with a refresh index (its scheduler replans on the state that includes
// the first). The victim's job is evaluated once. With placements of 3000
// MHz the second would not fit either; with 150 MHz it would, and only the
// check that its victim still stands refuses it.
func TestConcurrentPlansPreemptingOneAlloc(t *testing.T) {
	for _, cpu := range []int64{3000, 150} {
		t.Run(fmt.Sprint(cpu), func(t *testing.T) { concurrentPreemptions(t, cpu) })
	}
}

func concurrentPreemptions(t *testing.T, cpu int64) {
	s := newTestServer(t, func(c *Config) { c.NumSchedulers = 1 })
	registerNode(t, s, schedtest.Node("n")) // 4000 MHz
	low := registerIdle(t, s, "low", 50)
	seed := &drover.Plan{EvalID: drover.GenerateID(), Job: low}
	victim := planAlloc(low, "n", 3800)
	seed.AppendAlloc(victim)
	applyByHand(t, s, seed)

	type outcome struct {
		plan *drover.Plan
		res  *drover.PlanResult
		err  error
	}
	out := make(chan outcome, 2)
	for _, id := range []string{"high1", "high2"} {
		job := registerIdle(t, s, id, 100)
		plan := &drover.Plan{EvalID: drover.GenerateID(), Job: job}
		placed := planAlloc(job, "n", cpu)
		placed.PreemptedAllocations = []string{victim.ID}
		plan.AppendAlloc(placed)
		plan.AppendPreemptedAlloc(victim, placed.ID)
		go func() {
			res, err := s.submitPlan(context.Background(), plan, "")
			out <- outcome{plan, res, err}
		}()
	}
	var committed, refused int
	var winner *drover.Plan
	for range 2 {
		o := <-out
		if o.err != nil {
			t.Fatal(o.err)
		}
		full, _, _ := o.res.FullCommit(o.plan)
		switch {
		case full && o.res.RefreshIndex == 0:
			committed++
			winner = o.plan
		case len(o.res.NodeAllocation) == 0 && len(o.res.NodePreemptions) == 0 && o.res.RefreshIndex != 0:
			refused++
		default:
			t.Errorf("plan of %s: result %+v, want all or nothing", o.plan.Job.ID, o.res)
		}
	}
	if committed != 1 || refused != 1 {
		t.Fatalf("%d plans committed, %d refused: want exactly one of each", committed, refused)
	}
	v, _ := s.State().AllocByID(nil, victim.ID)
	want := winner.NodeAllocation["n"][0].ID
	if v.DesiredStatus != drover.AllocDesiredStatusEvict || v.PreemptedByAllocation != want {
		t.Errorf("victim %s preempted by %q, want evicted by the committed plan's %s", v.DesiredStatus, v.PreemptedByAllocation, want)
	}
	live, _ := s.State().AllocsByNode(nil, "n")
	var used int64
	for _, a := range live {
		if !a.Terminal() {
			used += a.AllocatedResources.Tasks["server"].Cpu.CpuShares
		}
	}
	if used > 4000 {
		t.Errorf("node n holds %d MHz of live allocations: over its 4000", used)
	}
	if got := preemptionEvalsOf(t, s, "low"); len(got) != 1 {
		t.Errorf("%d preemption evaluations of the victim's job, want 1", len(got))
	}
}
