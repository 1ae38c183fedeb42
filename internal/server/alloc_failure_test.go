package server

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/fsm"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

// A failed allocation is replaced once its reschedule delay has passed: the
// client's report creates an alloc-failure eval, whose scheduler asks for a
// follow-up eval at the reschedule time, held by the broker until then.
func TestFailedAllocRescheduledAfterDelay(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	job := schedtest.Job("web", 1)
	const delay = 300 * time.Millisecond
	job.TaskGroups[0].ReschedulePolicy = &drover.ReschedulePolicy{Attempts: 2, Interval: time.Hour, Delay: delay, DelayFunction: drover.DelayFunctionConstant}
	// Validation asks for a delay of at least 5s (as Nomad does); the test
	// writes the job directly to keep it fast.
	ev := schedtest.Eval(job)
	if _, err := s.raftApply(context.Background(), fsm.JobRegisterRequestType, &fsm.JobRegisterRequest{Job: job, Eval: ev}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "placement", func() bool { return len(liveAllocs(t, s, "web")) == 1 })
	first := liveAllocs(t, s, "web")[0]

	failedAt := time.Now()
	var r drover.GenericResponse
	err := s.RPC(context.Background(), drover.MethodNodeUpdateAlloc, &drover.AllocUpdateRequest{Alloc: []*drover.Allocation{{
		ID: first.ID, ClientStatus: drover.AllocClientStatusFailed, ModifyTime: failedAt.UnixNano(),
		TaskStates: map[string]*drover.TaskState{"server": {State: drover.TaskStateDead, Failed: true, FinishedAt: failedAt}},
	}}}, &r)
	if err != nil {
		t.Fatal(err)
	}
	// The follow-up is recorded on the failed alloc before it is replaced.
	var followup string
	waitFor(t, 10*time.Second, "follow-up eval", func() bool {
		a, _ := s.State().AllocByID(nil, first.ID)
		followup = a.FollowupEvalID
		return followup != ""
	})
	if e := evalOf(t, s, followup); e.TriggeredBy != drover.EvalTriggerAllocFailure || !e.WaitUntil.Equal(failedAt.Add(delay)) {
		t.Fatalf("follow-up eval %s due %v, want alloc-failure due %v", e.TriggeredBy, e.WaitUntil, failedAt.Add(delay))
	}
	var next *drover.Allocation
	waitFor(t, 10*time.Second, "replacement", func() bool {
		live := liveAllocs(t, s, "web")
		if len(live) == 1 && live[0].ID != first.ID {
			next = live[0]
		}
		return next != nil
	})
	if since := time.Since(failedAt); since < delay {
		t.Fatalf("replaced %v after the failure, before the %v delay", since, delay)
	}
	if next.PreviousAllocation != first.ID || next.RescheduleTracker == nil || len(next.RescheduleTracker.Events) != 1 {
		t.Fatalf("replacement previous %q tracker %+v", next.PreviousAllocation, next.RescheduleTracker)
	}
	old, _ := s.State().AllocByID(nil, first.ID)
	if old.DesiredStatus != drover.AllocDesiredStatusStop || old.NextAllocation != next.ID {
		t.Fatalf("failed alloc desired %q next %q", old.DesiredStatus, old.NextAllocation)
	}
}
