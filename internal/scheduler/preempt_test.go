package scheduler_test

import (
	"testing"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

// fullNode returns a one-node harness whose node (4000 MHz) is almost
// filled by one allocation of a service job of the given priority.
func fullNode(t *testing.T, priority int) (*schedtest.Harness, *drover.Allocation) {
	t.Helper()
	h := cluster(t, 1)
	low := schedtest.Job("low", 1)
	low.Priority = priority
	low.TaskGroups[0].Tasks[0].Resources.CPU = 3800
	h.UpsertJob(low)
	process(t, h, low)
	live := h.LiveAllocs(low.Namespace, low.ID)
	if len(live) != 1 {
		t.Fatalf("%d allocs of the low job, want 1", len(live))
	}
	return h, live[0]
}

// prioritySystemJob is a system job of the given priority asking 500 MHz.
func prioritySystemJob(priority int) *drover.Job {
	j := systemJob("sys", drover.JobTypeSystem)
	j.Priority = priority
	return j
}

func TestSystemJobPreemptsLowerPriority(t *testing.T) {
	h, victim := fullNode(t, 50)
	sys := prioritySystemJob(100)
	h.UpsertJob(sys)
	eval := schedtest.Eval(sys)
	eval.AnnotatePlan = true
	ev := processEval(t, h, eval)
	if ev.Status != drover.EvalStatusComplete || len(ev.FailedTGAllocs) != 0 {
		t.Fatalf("eval %s failed=%v", ev.Status, ev.FailedTGAllocs)
	}
	plan := h.Plans[len(h.Plans)-1]
	placed := plan.NodeAllocation["node-000"]
	preempted := plan.NodePreemptions["node-000"]
	if len(placed) != 1 || len(preempted) != 1 {
		t.Fatalf("plan places %d and preempts %d on the node, want 1 and 1", len(placed), len(preempted))
	}
	p, a := preempted[0], placed[0]
	if p.ID != victim.ID || p.DesiredStatus != drover.AllocDesiredStatusEvict ||
		p.PreemptedByAllocation != a.ID || p.DesiredDescription != "Preempted by alloc ID "+a.ID {
		t.Errorf("preempted alloc %s: %s %q by %q", p.ID, p.DesiredStatus, p.DesiredDescription, p.PreemptedByAllocation)
	}
	if len(a.PreemptedAllocations) != 1 || a.PreemptedAllocations[0] != victim.ID {
		t.Errorf("new alloc's PreemptedAllocations = %v", a.PreemptedAllocations)
	}
	if u := plan.Annotations.DesiredTGUpdates["web"]; u == nil || u.Preemptions != 1 || u.Place != 1 {
		t.Errorf("annotations = %+v, want 1 placement and 1 preemption", u)
	}
	if s := a.Metrics.ScoreMetaData; len(s) != 1 || s[0].Scores["preemption"] >= 0 {
		t.Errorf("score metadata lacks the preemption penalty: %+v", s)
	}
	if live := h.LiveAllocs("default", "low"); len(live) != 0 {
		t.Errorf("the low job still has %d live allocs", len(live))
	}
}

func TestSystemPreemptionRefused(t *testing.T) {
	tests := []struct {
		name     string
		priority int
		cfg      *drover.SchedulerConfiguration
	}{
		{"preemption disabled for system jobs", 100, &drover.SchedulerConfiguration{}},
		{"priority only 5 higher", 55, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := fullNode(t, 50)
			if tt.cfg != nil {
				h.SetSchedulerConfig(tt.cfg)
			}
			sys := prioritySystemJob(tt.priority)
			h.UpsertJob(sys)
			ev := process(t, h, sys)
			m := ev.FailedTGAllocs["web"]
			if m == nil || m.DimensionExhausted["cpu"] != 1 || m.NodesExhausted != 1 {
				t.Fatalf("failure metric = %+v, want cpu exhausted on the node", m)
			}
			if len(h.CreatedEvals) != 1 || h.CreatedEvals[0].Status != drover.EvalStatusBlocked {
				t.Errorf("created evals %+v, want one blocked", h.CreatedEvals)
			}
			for _, p := range h.Plans {
				if len(p.NodePreemptions) != 0 {
					t.Fatalf("a plan preempts %v", p.NodePreemptions)
				}
			}
			if live := h.LiveAllocs("default", "low"); len(live) != 1 {
				t.Errorf("the low job has %d live allocs, want 1", len(live))
			}
		})
	}
}

func TestServicePreemptsOnlyWhenEnabled(t *testing.T) {
	h, victim := fullNode(t, 20)
	high := schedtest.Job("high", 1)
	high.Priority = 80
	h.UpsertJob(high)
	if ev := process(t, h, high); ev.FailedTGAllocs["web"] == nil {
		t.Fatalf("a service job preempted with the default configuration")
	}
	h.SetSchedulerConfig(&drover.SchedulerConfiguration{
		PreemptionConfig: drover.PreemptionConfig{ServiceSchedulerEnabled: true}})
	if ev := process(t, h, high); len(ev.FailedTGAllocs) != 0 {
		t.Fatalf("failed with service preemption enabled: %+v", ev.FailedTGAllocs["web"])
	}
	plan := h.Plans[len(h.Plans)-1]
	if p := plan.NodePreemptions["node-000"]; len(p) != 1 || p[0].ID != victim.ID {
		t.Fatalf("preemptions %v, want the low job's alloc", plan.NodePreemptions)
	}
}

func TestPreemptingPlanRejectedIsReplanned(t *testing.T) {
	h, victim := fullNode(t, 50)
	sys := prioritySystemJob(100)
	h.UpsertJob(sys)
	// The plan applier rejects the first plan (as it does when the
	// preempted allocation changed meanwhile): nothing is committed.
	rejected := false
	h.InjectPartialCommit(func(*drover.Plan, int) *drover.PlanResult {
		if !rejected {
			rejected = true
			return &drover.PlanResult{}
		}
		return nil
	})
	before := len(h.Plans)
	ev := process(t, h, sys)
	if ev.Status != drover.EvalStatusComplete || len(h.Plans)-before != 2 {
		t.Fatalf("eval %s after %d plans, want complete after 2", ev.Status, len(h.Plans)-before)
	}
	second := h.Plans[len(h.Plans)-1]
	placed := second.NodeAllocation["node-000"]
	if p := second.NodePreemptions["node-000"]; len(p) != 1 || p[0].ID != victim.ID || len(placed) != 1 ||
		p[0].PreemptedByAllocation != placed[0].ID {
		t.Fatalf("the replan does not preempt again: %v", second.NodePreemptions)
	}
	if live := h.LiveAllocs("default", "sys"); len(live) != 1 {
		t.Errorf("%d live system allocs, want 1", len(live))
	}
}
