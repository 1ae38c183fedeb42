package feasible

import (
	drover "github.com/drover-sh/drover"
)

// SpreadTargetRest is the spread target value that names every value not
// listed in the other targets.
const SpreadTargetRest = "*"

// GroupSpreads returns the job's and the group's spreads. Both apply to the
// group's own allocations and count.
func GroupSpreads(job *drover.Job, tg *drover.TaskGroup) []*drover.Spread {
	var ss []*drover.Spread
	ss = append(ss, job.Spreads...)
	return append(ss, tg.Spreads...)
}

// SpreadIterator scores each node by how much placing the allocation there
// moves the group towards the share of its count that the node's attribute
// value should hold. For each spread block the desired count of a value is
// its target percentage of the group's count; values no target lists share
// the remainder (or the "*" target's percentage) between them; without
// targets every value present among the feasible nodes wants an equal
// share. The block's score is (desired - (used+1)) / desired, clamped to
// [-1, 1]: positive while the value stays below its share after this
// placement, negative once it would exceed it, and -1 for a value that
// wants nothing or a node without the attribute. Used counts are the
// group's allocations by value, as PropertyCounts keeps them, so they
// follow the plan. The node's score is the blocks' weighted mean.
//
// It depends on the plan, so nothing is memoised but the set of values of
// an even spread, read once by walking the feasible nodes at the first
// placement.
type SpreadIterator struct {
	ctx      *EvalContext
	src      RankIterator
	feasible FeasibleIterator // walked once for the values of even spreads
	count    float64
	blocks   []*spreadBlock
	weight   float64 // sum of the blocks' weights
	walked   bool
}

type spreadBlock struct {
	weight float64
	counts *PropertyCounts
	// With targets: the desired allocations of each listed value, by value
	// id, and of every unlisted value together.
	listed  []int // ids of the listed values
	desired map[int]float64
	rest    float64
	// Without targets: which values the feasible nodes have, by id, and
	// how many.
	even bool
	seen []bool
	k    int
}

// NewSpreadIterator scores the nodes of src by spreads, for the allocations
// of tg. feasible is the filter chain src ranks from: an even spread walks
// it once to learn which values the feasible nodes have.
func NewSpreadIterator(ctx *EvalContext, src RankIterator, feasible FeasibleIterator, tg *drover.TaskGroup, spreads []*drover.Spread) *SpreadIterator {
	it := &SpreadIterator{ctx: ctx, src: src, feasible: feasible, count: float64(max(tg.Count, 0))}
	for _, s := range spreads {
		if s.Weight <= 0 {
			continue // validation refuses it; it could not move any score
		}
		b := &spreadBlock{weight: float64(s.Weight), counts: ctx.PropertyCounts(s.Attribute, tg.Name)}
		b.setTargets(s.SpreadTarget, it.count)
		it.blocks = append(it.blocks, b)
		it.weight += b.weight
	}
	return it
}

func (b *spreadBlock) setTargets(targets []*drover.SpreadTarget, count float64) {
	if len(targets) == 0 {
		b.even = true
		return
	}
	b.desired = make(map[int]float64, len(targets))
	restPercent, listed, star := 100.0, 0.0, false
	for _, t := range targets {
		if t.Value == SpreadTargetRest {
			restPercent, star = float64(t.Percent), true
			continue
		}
		id := b.counts.intern(t.Value)
		if _, dup := b.desired[id]; !dup {
			b.listed = append(b.listed, id)
		}
		b.desired[id] = float64(t.Percent) / 100 * count
		listed += float64(t.Percent)
	}
	if !star {
		restPercent = max(100-listed, 0)
	}
	b.rest = restPercent / 100 * count
}

// Reset resets src and, before the first placement, learns the values of
// the even spreads.
func (it *SpreadIterator) Reset() {
	it.src.Reset()
	if !it.walked {
		it.walked = true
		it.walkValues()
	}
}

// walkValues collects the values of the even spreads' attributes over the
// feasible nodes. The walk is bookkeeping, not part of the placement: its
// visits are counted in a scratch metric, and the chain is reset after it.
func (it *SpreadIterator) walkValues() {
	var even []*spreadBlock
	for _, b := range it.blocks {
		if b.even {
			even = append(even, b)
		}
	}
	if len(even) == 0 {
		return
	}
	saved := it.ctx.metrics
	it.ctx.metrics = &drover.AllocMetric{}
	defer func() { it.ctx.metrics = saved }()
	it.feasible.Reset()
	for c := it.feasible.Next(); c != nil; c = it.feasible.Next() {
		for _, b := range even {
			if id, ok := b.counts.candidateValue(c); ok {
				b.markSeen(id)
			}
		}
	}
	it.feasible.Reset()
}

func (b *spreadBlock) markSeen(id int) {
	for len(b.seen) <= id {
		b.seen = append(b.seen, false)
	}
	if !b.seen[id] {
		b.seen[id] = true
		b.k++
	}
}

// Next returns the next node with its spread score.
func (it *SpreadIterator) Next() *RankedNode {
	r := it.src.Next()
	if r == nil {
		return nil
	}
	r.Spread = 0
	if it.weight > 0 {
		var sum float64
		for _, b := range it.blocks {
			sum += b.weight * b.score(r.cand, it.count)
		}
		r.Spread = sum / it.weight
	}
	r.scored |= scoredSpread
	return r
}

func (b *spreadBlock) score(c *Candidate, count float64) float64 {
	id, ok := b.counts.candidateValue(c)
	if !ok {
		return -1
	}
	used := b.counts.counts[id]
	var desired float64
	switch d, listed := b.desired[id]; {
	case b.even:
		k := b.k
		if id >= len(b.seen) || !b.seen[id] {
			k++ // every scored node passed the walked filters; be safe anyway
		}
		desired = count / float64(k)
	case listed:
		desired = d
	default:
		desired, used = b.rest, b.unlistedUsed()
	}
	if desired <= 0 {
		return -1
	}
	return min(max((desired-float64(used+1))/desired, -1), 1)
}

// unlistedUsed counts the allocations on values no target lists.
func (b *spreadBlock) unlistedUsed() int {
	used := b.counts.total
	for _, id := range b.listed {
		used -= b.counts.counts[id]
	}
	return used
}
