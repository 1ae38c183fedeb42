package scheduler

import (
	"fmt"
	"slices"
	"strings"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/feasible"
)

// schedulerConfig reads the cluster's scheduler configuration, which says
// whether the job's placements may preempt lower-priority allocations.
func (s *genericScheduler) schedulerConfig() (*drover.SchedulerConfiguration, error) {
	cfg, err := s.state.SchedulerConfig()
	if err != nil {
		return nil, fmt.Errorf("read scheduler configuration: %w", err)
	}
	return cfg, nil
}

// appendPreemptions evicts, in plan, the allocations alloc preempts on its
// node (opt.Preempted) and records them on alloc, so that the preempted
// allocation and its preemptor name each other.
func appendPreemptions(plan *drover.Plan, opt *feasible.RankedNode, alloc *drover.Allocation, now int64) {
	if len(opt.Preempted) == 0 {
		return
	}
	ids := make([]string, 0, len(opt.Preempted))
	for _, v := range opt.Preempted {
		plan.AppendPreemptedAlloc(v, alloc.ID)
		evicted := plan.NodePreemptions[v.NodeID]
		evicted[len(evicted)-1].ModifyTime = now
		ids = append(ids, v.ID)
	}
	alloc.PreemptedAllocations = ids
}

// annotatePreemptions counts, per group, the allocations the plan's
// placements preempt, and lists them, for `job plan`. It runs once the plan
// is complete.
func annotatePreemptions(plan *drover.Plan) {
	if plan.Annotations == nil {
		return
	}
	for _, as := range plan.NodePreemptions {
		for _, a := range as {
			plan.Annotations.PreemptedAllocs = append(plan.Annotations.PreemptedAllocs, a.Stub())
		}
	}
	slices.SortFunc(plan.Annotations.PreemptedAllocs, func(a, b *drover.AllocListStub) int { return strings.Compare(a.ID, b.ID) })
	for _, as := range plan.NodeAllocation {
		for _, a := range as {
			if len(a.PreemptedAllocations) == 0 {
				continue
			}
			u := plan.Annotations.DesiredTGUpdates[a.TaskGroup]
			if u == nil {
				u = &drover.DesiredUpdates{}
				plan.Annotations.DesiredTGUpdates[a.TaskGroup] = u
			}
			u.Preemptions += uint64(len(a.PreemptedAllocations))
		}
	}
}
