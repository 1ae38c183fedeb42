package feasible

import (
	"strconv"

	drover "github.com/drover-sh/drover"
)

// ReasonDistinctHosts is the filter reason of a node rejected because it
// already holds an allocation the distinct_hosts constraint keeps apart.
const ReasonDistinctHosts = OpDistinctHosts

// DistinctHostsIterator keeps allocations apart: with distinct_hosts on the
// job, a node that holds any allocation of the job is rejected; on a group,
// a node that holds one of that group. "Holds" counts the node's existing
// non-terminal allocations minus those the plan stops, plus the plan's own
// placements, so the verdict changes as the plan grows and is never
// memoised. It sits last among the filters because it reads the node's
// usage, which the cheaper memoised filters spare most nodes from building.
type DistinctHostsIterator struct {
	ctx   *EvalContext
	src   FeasibleIterator
	group string
	job   bool // distinct_hosts at job level
	tg    bool // distinct_hosts at group level
}

// NewDistinctHostsIterator wraps src for tg of the context's job. When
// neither the job nor the group asks for distinct hosts it returns src
// itself, so the chain costs nothing for the common case.
func NewDistinctHostsIterator(ctx *EvalContext, src FeasibleIterator, tg *drover.TaskGroup) FeasibleIterator {
	job := DistinctHostsEnabled(ctx.job.Constraints)
	group := DistinctHostsEnabled(tg.Constraints)
	if !job && !group {
		return src
	}
	return &DistinctHostsIterator{ctx: ctx, src: src, group: tg.Name, job: job, tg: group}
}

// Next returns the next candidate of src that holds nothing the constraint
// keeps apart; the others are counted under ReasonDistinctHosts.
func (it *DistinctHostsIterator) Next() *Candidate {
	for {
		c := it.src.Next()
		if c == nil {
			return nil
		}
		u := it.ctx.Usage(c)
		if (it.job && u.JobCount() > 0) || (it.tg && u.JobGroupCount(it.group) > 0) {
			it.ctx.metrics.FilterNode(c.Node.NodeClass, ReasonDistinctHosts)
			continue
		}
		return c
	}
}

// Reset resets src.
func (it *DistinctHostsIterator) Reset() { it.src.Reset() }

// DistinctHostsEnabled reports whether cs holds a distinct_hosts constraint
// that is on: its value empty or true. A value that is not a boolean
// (validation refuses it) keeps the constraint on, because spreading
// allocations by mistake is cheaper than stacking them by mistake.
func DistinctHostsEnabled(cs []*drover.Constraint) bool {
	for _, c := range cs {
		if c == nil || c.Operand != OpDistinctHosts {
			continue
		}
		if on, err := strconv.ParseBool(c.RTarget); c.RTarget == "" || err != nil || on {
			return true
		}
	}
	return false
}

// JobCount returns how many allocations of the evaluation's job, of any
// group, the node holds (existing and planned).
func (u *NodeUsage) JobCount() int {
	n := 0
	for _, c := range u.jobGroups {
		n += c
	}
	return n
}

// nodeConstraints drops the constraints that are not a property of one node
// and so are not ConstraintCheck's to evaluate: distinct_hosts and
// distinct_property depend on what the plan places, and
// DistinctHostsIterator and DistinctPropertyIterator decide them,
// unmemoised.
func nodeConstraints(cs []*drover.Constraint) []*drover.Constraint {
	out := make([]*drover.Constraint, 0, len(cs))
	for _, c := range cs {
		if c.Operand == OpDistinctHosts || c.Operand == OpDistinctProperty {
			continue
		}
		out = append(out, c)
	}
	return out
}
