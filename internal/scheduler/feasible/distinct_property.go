package feasible

import (
	"fmt"
	"strconv"

	drover "github.com/drover-sh/drover"
)

// DistinctPropertyIterator enforces distinct_property constraints: at most
// RTarget (default 1) allocations per value of the LTarget attribute, of
// the whole job for a job-level constraint and of the group otherwise.
// Allocations count as PropertyCounts does: existing, minus the plan's
// stops, plus its placements. Because the verdict changes as the plan
// grows, it is a filter that is never memoised; it sits after the
// memoised filters, so it sees only nodes that pass them, and before bin
// packing, so a node it rejects costs no usage read. A rejected node is
// counted under "distinct_property: <attribute>", also when the node lacks
// the attribute.
type DistinctPropertyIterator struct {
	ctx   *EvalContext
	src   FeasibleIterator
	rules []distinctRule
}

type distinctRule struct {
	counts *PropertyCounts
	limit  int // < 1: the constraint's limit is invalid, every node fails
	reason string
}

// NewDistinctPropertyIterator filters src by the distinct_property
// constraints of the context's job and of tg (tasks' ones, which validation
// refuses, count as the group's). Without any it returns src itself.
func NewDistinctPropertyIterator(ctx *EvalContext, src FeasibleIterator, tg *drover.TaskGroup) FeasibleIterator {
	var rules []distinctRule
	add := func(cs []*drover.Constraint, group string) {
		for _, c := range cs {
			if c.Operand == OpDistinctProperty {
				rules = append(rules, newDistinctRule(ctx, c, group))
			}
		}
	}
	add(ctx.job.Constraints, "")
	add(tg.Constraints, tg.Name)
	for _, t := range tg.Tasks {
		add(t.Constraints, tg.Name)
	}
	if len(rules) == 0 {
		return src
	}
	return &DistinctPropertyIterator{ctx: ctx, src: src, rules: rules}
}

func newDistinctRule(ctx *EvalContext, c *drover.Constraint, group string) distinctRule {
	r := distinctRule{limit: 1, reason: "distinct_property: " + c.LTarget}
	if c.RTarget != "" {
		n, err := strconv.Atoi(c.RTarget)
		if err != nil || n < 1 {
			// Validation refuses this; a guess at the limit would place
			// more, or fewer, than the job asks.
			r.limit = 0
			r.reason = fmt.Sprintf("distinct_property: %s: invalid limit %q", c.LTarget, c.RTarget)
			return r
		}
		r.limit = n
	}
	r.counts = ctx.PropertyCounts(c.LTarget, group)
	return r
}

// Next returns the next candidate of src on which no rule's value has
// reached its limit.
func (it *DistinctPropertyIterator) Next() *Candidate {
	for {
		c := it.src.Next()
		if c == nil {
			return nil
		}
		if reason := it.reject(c); reason != "" {
			it.ctx.metrics.FilterNode(c.Node.NodeClass, reason)
			continue
		}
		return c
	}
}

func (it *DistinctPropertyIterator) reject(c *Candidate) string {
	for _, r := range it.rules {
		if r.limit < 1 {
			return r.reason
		}
		id, ok := r.counts.candidateValue(c)
		if !ok || r.counts.counts[id] >= r.limit {
			return r.reason
		}
	}
	return ""
}

// Reset resets src.
func (it *DistinctPropertyIterator) Reset() { it.src.Reset() }
