package scheduler

import (
	"slices"
	"time"

	"github.com/drover-sh/drover/internal/scheduler/reconcile"
)

// addReplaceFollowups creates a follow-up evaluation for each batch of lost
// allocations whose replacement waits for their client to stop them
// (disconnect { stop_on_client_after }; see reconcile/disconnect.go).
// Allocations due within followupWindow of each other share one
// evaluation, due when the last of them is. Unlike a reschedule follow-up
// nothing is recorded on the allocations (their node is down, so the plan
// applier would refuse an update there): every evaluation that finds one
// still waiting asks again, so an evaluation that came a little early, or
// was lost, is followed by another. Like addFollowups it acts on the first
// plan attempt only, and a `job plan` dry run creates none.
func (s *genericScheduler) addReplaceFollowups(later []reconcile.ReplaceLater) error {
	if s.followupsDone || s.eval.AnnotatePlan || len(later) == 0 {
		return nil
	}
	at := make([]time.Time, len(later))
	for i, rl := range later {
		at[i] = rl.At
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	for i := 0; i < len(at); {
		j := i
		for j+1 < len(at) && at[j+1].Sub(at[i]) <= followupWindow {
			j++
		}
		if err := s.planner.CreateEval(s.followupEval(at[j])); err != nil {
			return err
		}
		i = j + 1
	}
	return nil
}
