package scheduler_test

import (
	"testing"
	"time"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler"
	"github.com/drover-sh/drover/internal/scheduler/reconcile"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

var t0 = time.Unix(1_700_000_000, 0)

// rescheduleJob is a one-allocation job of type typ with policy p.
func rescheduleJob(typ string, p *drover.ReschedulePolicy) *drover.Job {
	j := schedtest.Job("web", 1)
	j.Type = typ
	j.TaskGroups[0].ReschedulePolicy = p
	return j
}

// processAt runs eval through the scheduler with the clock at now.
func processAt(t *testing.T, h *schedtest.Harness, eval *drover.Evaluation, now time.Time) {
	t.Helper()
	s := scheduler.NewGenericWithClock(eval.Type == drover.JobTypeBatch, h, h, func() time.Time { return now })
	if err := s.Process(eval); err != nil {
		t.Fatalf("Process: %v", err)
	}
}

// only returns the job's single live allocation.
func only(t *testing.T, h *schedtest.Harness, job *drover.Job) *drover.Allocation {
	t.Helper()
	live := h.LiveAllocs(job.Namespace, job.ID)
	if len(live) != 1 {
		t.Fatalf("%d live allocs, want 1", len(live))
	}
	return live[0]
}

// fail records alloc a as failed with its task finished at at.
func fail(h *schedtest.Harness, a *drover.Allocation, at time.Time) *drover.Allocation {
	c := a.Copy()
	c.ClientStatus = drover.AllocClientStatusFailed
	c.TaskStates = map[string]*drover.TaskState{"server": {State: drover.TaskStateDead, Failed: true, FinishedAt: at}}
	c.ModifyTime = at.UnixNano()
	h.UpsertAllocs(c)
	return c
}

// failAndReschedule fails the job's allocation at at, runs an alloc-failure
// eval then, and checks a follow-up is due after wantDelay; it runs the
// follow-up just before (nothing happens) and at its time (the allocation
// is replaced), and returns the replacement.
func failAndReschedule(t *testing.T, h *schedtest.Harness, job *drover.Job, at time.Time, wantDelay time.Duration) *drover.Allocation {
	t.Helper()
	prev := fail(h, only(t, h, job), at)
	created := len(h.CreatedEvals)
	ev := schedtest.Eval(job)
	ev.TriggeredBy = drover.EvalTriggerAllocFailure
	processAt(t, h, ev, at)
	if len(h.CreatedEvals) != created+1 {
		t.Fatalf("%d follow-up evals created, want 1", len(h.CreatedEvals)-created)
	}
	fu := h.CreatedEvals[created]
	if fu.Status != drover.EvalStatusPending || fu.TriggeredBy != drover.EvalTriggerAllocFailure || !fu.WaitUntil.Equal(at.Add(wantDelay)) {
		t.Fatalf("follow-up = %s %s at %v, want pending alloc-failure at +%v", fu.Status, fu.TriggeredBy, fu.WaitUntil.Sub(at), wantDelay)
	}
	if a := only(t, h, job); a.ID != prev.ID || a.FollowupEvalID != fu.ID {
		t.Fatalf("failed alloc %s has follow-up %q, want it kept with %q", a.ID, a.FollowupEvalID, fu.ID)
	}
	// A job evaluation before the time changes nothing and asks for no
	// second follow-up.
	processAt(t, h, schedtest.Eval(job), fu.WaitUntil.Add(-time.Millisecond))
	if a := only(t, h, job); a.ID != prev.ID || len(h.CreatedEvals) != created+1 {
		t.Fatal("rescheduled before its time, or a second follow-up was created")
	}
	processAt(t, h, fu, fu.WaitUntil)
	next := only(t, h, job)
	if next.ID == prev.ID || next.PreviousAllocation != prev.ID {
		t.Fatalf("not replaced: live %s previous %q", next.ID, next.PreviousAllocation)
	}
	tr := next.RescheduleTracker
	if tr == nil || len(tr.Events) == 0 {
		t.Fatal("replacement has no reschedule tracker")
	}
	last := tr.Events[len(tr.Events)-1]
	if last.PrevAllocID != prev.ID || last.PrevNodeID != prev.NodeID || last.Delay != wantDelay {
		t.Fatalf("last event = %+v, want prev %s delay %v", last, prev.ID, wantDelay)
	}
	for _, as := range h.Plans[len(h.Plans)-1].NodeUpdate {
		for _, a := range as {
			if a.ID == prev.ID && a.DesiredDescription != reconcile.DescRescheduled {
				t.Fatalf("stop description %q", a.DesiredDescription)
			}
		}
	}
	return next
}

func TestRescheduleDelays(t *testing.T) {
	s := time.Second
	tests := []struct {
		name   string
		typ    string
		p      *drover.ReschedulePolicy
		delays []time.Duration
	}{
		{"constant", drover.JobTypeBatch, &drover.ReschedulePolicy{Attempts: 3, Interval: time.Hour, Delay: 5 * s, DelayFunction: "constant"}, []time.Duration{5 * s, 5 * s, 5 * s}},
		{"exponential capped, unlimited", drover.JobTypeService, &drover.ReschedulePolicy{Unlimited: true, Delay: 5 * s, DelayFunction: "exponential", MaxDelay: 30 * s}, []time.Duration{5 * s, 10 * s, 20 * s, 30 * s, 30 * s, 30 * s, 30 * s}},
		{"fibonacci", drover.JobTypeService, &drover.ReschedulePolicy{Unlimited: true, Delay: 5 * s, DelayFunction: "fibonacci", MaxDelay: time.Minute}, []time.Duration{5 * s, 5 * s, 10 * s, 15 * s, 25 * s}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := cluster(t, 3)
			job := rescheduleJob(tt.typ, tt.p)
			h.UpsertJob(job)
			processAt(t, h, schedtest.Eval(job), t0)
			at := t0
			for i, d := range tt.delays {
				at = at.Add(time.Minute)
				a := failAndReschedule(t, h, job, at, d)
				if want := min(i+1, drover.MaxRescheduleEvents); len(a.RescheduleTracker.Events) != want {
					t.Fatalf("attempt %d: tracker has %d events, want %d", i+1, len(a.RescheduleTracker.Events), want)
				}
			}
		})
	}
}

func TestRescheduleAttemptsExhausted(t *testing.T) {
	h := cluster(t, 3)
	job := rescheduleJob(drover.JobTypeBatch, &drover.ReschedulePolicy{Attempts: 1, Interval: time.Hour, Delay: time.Second, DelayFunction: "constant"})
	h.UpsertJob(job)
	processAt(t, h, schedtest.Eval(job), t0)
	failAndReschedule(t, h, job, t0.Add(time.Minute), time.Second)
	// The replacement fails within the interval: no attempts are left.
	failed := fail(h, only(t, h, job), t0.Add(2*time.Minute))
	created, plans := len(h.CreatedEvals), len(h.Plans)
	processAt(t, h, schedtest.Eval(job), t0.Add(3*time.Minute))
	if a := only(t, h, job); a.ID != failed.ID || a.ClientStatus != drover.AllocClientStatusFailed {
		t.Fatal("an alloc with no attempts left was replaced")
	}
	if len(h.CreatedEvals) != created || len(h.Plans) != plans {
		t.Fatalf("%d evals and %d plans for an exhausted alloc, want none", len(h.CreatedEvals)-created, len(h.Plans)-plans)
	}
	// Once the interval has passed the attempt no longer counts.
	processAt(t, h, schedtest.Eval(job), t0.Add(2*time.Hour))
	if a := only(t, h, job); a.ID == failed.ID {
		t.Fatal("not rescheduled after the interval passed")
	}
}

func TestRescheduleDisabledKeepsFailed(t *testing.T) {
	h := cluster(t, 3)
	job := rescheduleJob(drover.JobTypeService, &drover.ReschedulePolicy{})
	h.UpsertJob(job)
	processAt(t, h, schedtest.Eval(job), t0)
	failed := fail(h, only(t, h, job), t0.Add(time.Minute))
	processAt(t, h, schedtest.Eval(job), t0.Add(time.Hour))
	if a := only(t, h, job); a.ID != failed.ID || len(h.CreatedEvals) != 0 {
		t.Fatal("a failed alloc with rescheduling off was replaced or followed up")
	}
}
