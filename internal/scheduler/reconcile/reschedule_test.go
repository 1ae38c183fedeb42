package reconcile

import (
	"testing"
	"time"

	drover "github.com/drover-sh/drover"
)

func TestComputeReschedulesFailed(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	policy := &drover.ReschedulePolicy{Attempts: 1, Interval: time.Hour, Delay: 10 * time.Second, DelayFunction: drover.DelayFunctionConstant}
	job := testJob(2)
	job.TaskGroups[0].ReschedulePolicy = policy
	failedAt := func(i int, at time.Time) *drover.Allocation {
		a := alloc(job, i, "n1", drover.AllocClientStatusFailed)
		a.ModifyTime = at.UnixNano()
		return a
	}
	run := alloc(job, 1, "n1", drover.AllocClientStatusRunning)
	due := failedAt(0, now.Add(-10*time.Second))
	notDue := failedAt(0, now.Add(-5*time.Second))
	followed := failedAt(0, now.Add(-5*time.Second))
	followed.FollowupEvalID = "e1"
	exhausted := failedAt(0, now.Add(-time.Minute))
	exhausted.RescheduleTracker = &drover.RescheduleTracker{Events: []*drover.RescheduleEvent{{RescheduleTime: now.Add(-30 * time.Minute).UnixNano()}}}
	tests := []struct {
		name      string
		in        Input
		want      string
		wantLater int
	}{
		{"due: stopped and replaced", Input{Job: job, Allocs: []*drover.Allocation{due, run}, Now: now},
			"place: j.g[0]<" + due.ID + "; stop: j.g[0](" + DescRescheduled + ")", 0},
		{"not due: kept, follow-up asked", Input{Job: job, Allocs: []*drover.Allocation{notDue, run}, Now: now}, "place: ; stop: ", 1},
		{"not due with a follow-up: kept, none asked", Input{Job: job, Allocs: []*drover.Allocation{followed, run}, Now: now}, "place: ; stop: ", 0},
		{"its follow-up eval: replaced early", Input{Job: job, Allocs: []*drover.Allocation{followed, run}, Now: now, EvalID: "e1"},
			"place: j.g[0]<" + followed.ID + "; stop: j.g[0](" + DescRescheduled + ")", 0},
		{"attempts exhausted: kept", Input{Job: job, Allocs: []*drover.Allocation{exhausted, run}, Now: now}, "place: ; stop: ", 0},
		{"no clock: kept", Input{Job: job, Allocs: []*drover.Allocation{due, run}}, "place: ; stop: ", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Compute(tt.in)
			if got := summary(r); got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			if len(r.RescheduleLater) != tt.wantLater {
				t.Fatalf("%d reschedule-later, want %d", len(r.RescheduleLater), tt.wantLater)
			}
			if tt.wantLater > 0 && !r.RescheduleLater[0].At.Equal(now.Add(5*time.Second)) {
				t.Fatalf("later at %v, want now+5s", r.RescheduleLater[0].At)
			}
			for _, p := range r.Place {
				if !p.Reschedule || p.RescheduleDelay != 10*time.Second {
					t.Fatalf("placement %s reschedule %v delay %v", p.Name, p.Reschedule, p.RescheduleDelay)
				}
			}
		})
	}
}

func TestComputeScaleDownStopsDueFailedWithoutReplacing(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	job := testJob(1)
	job.TaskGroups[0].ReschedulePolicy = &drover.ReschedulePolicy{Unlimited: true, Delay: time.Second, DelayFunction: drover.DelayFunctionConstant}
	due := alloc(job, 1, "n1", drover.AllocClientStatusFailed)
	due.ModifyTime = now.Add(-time.Minute).UnixNano()
	r := Compute(Input{Job: job, Allocs: []*drover.Allocation{alloc(job, 0, "n1", drover.AllocClientStatusRunning), due}, Now: now})
	if got, want := summary(r), "place: ; stop: j.g[1]("+DescScaledDown+")"; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
