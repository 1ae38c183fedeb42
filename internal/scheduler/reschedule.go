package scheduler

import (
	"sort"
	"time"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/reconcile"
)

// followupWindow batches failed allocations due for rescheduling within this
// long of each other into one follow-up evaluation. The evaluation fires at
// the earliest time; the later allocations it names (FollowupEvalID) are
// rescheduled with it.
const followupWindow = time.Second

// addFollowups creates a follow-up evaluation, due at the reschedule time,
// for each batch of failed allocations to reschedule later, and records its
// ID on the allocations (FollowupEvalID) through plan. It acts on the first
// plan attempt of an evaluation only: a replan must not create the
// evaluations twice, and a node that rejected the recording (down or full)
// must not reject the replan too. A `job plan` dry run creates none.
func (s *genericScheduler) addFollowups(plan *drover.Plan, later []reconcile.RescheduleLater) error {
	if s.followupsDone || s.eval.AnnotatePlan || len(later) == 0 {
		s.followupsDone = true
		return nil
	}
	s.followupsDone = true
	later = append([]reconcile.RescheduleLater(nil), later...)
	sort.SliceStable(later, func(i, j int) bool { return later[i].At.Before(later[j].At) })
	var cur *drover.Evaluation
	for _, rl := range later {
		if cur == nil || rl.At.Sub(cur.WaitUntil) > followupWindow {
			cur = s.followupEval(rl.At)
			if err := s.planner.CreateEval(cur); err != nil {
				return err
			}
		}
		c := rl.Alloc.CopySkipJob()
		c.FollowupEvalID = cur.ID
		plan.AppendAlloc(c)
	}
	return nil
}

// followupEval returns a pending evaluation of the job, due at at.
func (s *genericScheduler) followupEval(at time.Time) *drover.Evaluation {
	now := s.now().UnixNano()
	e := &drover.Evaluation{
		ID:           drover.GenerateID(),
		Namespace:    s.eval.Namespace,
		Priority:     s.eval.Priority,
		Type:         s.eval.Type,
		TriggeredBy:  drover.EvalTriggerAllocFailure,
		JobID:        s.eval.JobID,
		Status:       drover.EvalStatusPending,
		WaitUntil:    at,
		PreviousEval: s.eval.ID,
		CreateTime:   now,
		ModifyTime:   now,
	}
	if s.job != nil {
		e.JobModifyIndex = s.job.JobModifyIndex
	}
	return e
}

// rescheduleTracker returns the tracker of a placement that reschedules a
// failed allocation, or nil for any other placement.
func (s *genericScheduler) rescheduleTracker(p reconcile.Placement, now int64) *drover.RescheduleTracker {
	if !p.Reschedule || p.Previous == nil {
		return nil
	}
	return p.Previous.NextRescheduleTracker(p.Group.ReschedulePolicy, time.Unix(0, now), p.RescheduleDelay)
}
