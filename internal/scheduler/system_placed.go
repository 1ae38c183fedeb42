package scheduler

import (
	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/feasible"
	"github.com/drover-sh/drover/internal/scheduler/reconcile"
)

// sharedPlacements shares a system plan's stops and placements between its
// per-node placement contexts, so that a distinct_property constraint
// counts what the plan does on other nodes, not only what it does on the
// context's own. Only a job with such a constraint needs it; for any other
// it does nothing. Its cost is bounded by what the constraint allows: at
// most the limit times the number of values are running or placed.
type sharedPlacements struct {
	stops  []reconcile.Stop
	placed []placedBy
	seen   map[*feasible.EvalContext]int // how much of placed each context knows
}

type placedBy struct {
	ctx   *feasible.EvalContext
	node  *drover.Node
	alloc *drover.Allocation
}

// newSharedPlacements returns the sharing for job and the plan's stops, nil
// when the job has no distinct_property constraint.
func newSharedPlacements(job *drover.Job, stops []reconcile.Stop) *sharedPlacements {
	for _, tg := range job.TaskGroups {
		for _, c := range feasible.GroupConstraints(job, tg) {
			if c.Operand == feasible.OpDistinctProperty {
				return &sharedPlacements{stops: stops, seen: map[*feasible.EvalContext]int{}}
			}
		}
	}
	return nil
}

// catchUp tells ctx about the plan's stops (once; a context ignores a stop
// it already knows) and the placements other contexts made since it last
// looked.
func (s *sharedPlacements) catchUp(ctx *feasible.EvalContext) {
	if s == nil {
		return
	}
	if _, known := s.seen[ctx]; !known {
		for _, st := range s.stops {
			ctx.StopAlloc(st.Alloc)
		}
	}
	for _, p := range s.placed[s.seen[ctx]:] {
		if p.ctx != ctx {
			ctx.NotePlaced(p.node, p.alloc)
		}
	}
	s.seen[ctx] = len(s.placed)
}

// add records that ctx placed alloc on node.
func (s *sharedPlacements) add(ctx *feasible.EvalContext, node *drover.Node, alloc *drover.Allocation) {
	if s != nil {
		s.placed = append(s.placed, placedBy{ctx: ctx, node: node, alloc: alloc})
	}
}
