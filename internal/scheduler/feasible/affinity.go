package feasible

import (
	drover "github.com/drover-sh/drover"
)

// GroupAffinities returns the job's, the group's and its tasks' affinities.
func GroupAffinities(job *drover.Job, tg *drover.TaskGroup) []*drover.Affinity {
	var as []*drover.Affinity
	as = append(as, job.Affinities...)
	as = append(as, tg.Affinities...)
	for _, t := range tg.Tasks {
		as = append(as, t.Affinities...)
	}
	return as
}

// NodeAffinityIterator scores each node by the affinities it matches: the
// sum of the matching affinities' weights divided by the sum of all their
// absolute weights, so 1 when a node matches every positive affinity and
// none of the negative ones, -1 in the opposite case. An affinity matches as
// a constraint with the same attribute, operator and value would. The score
// depends on the node alone, so it is memoised per candidate for the
// evaluation. Build it only for a group with affinities: it marks every
// node it scores, and the mean then counts the affinity score.
type NodeAffinityIterator struct {
	ctx     *EvalContext
	src     RankIterator
	matches []*drover.Constraint
	weights []float64
	total   float64 // sum of |weight|
	known   []bool  // by Candidate.idx
	score   []float64
}

// NewNodeAffinityIterator scores the nodes of src by affs.
func NewNodeAffinityIterator(ctx *EvalContext, src RankIterator, affs []*drover.Affinity) *NodeAffinityIterator {
	it := &NodeAffinityIterator{ctx: ctx, src: src,
		known: make([]bool, len(ctx.candidates)), score: make([]float64, len(ctx.candidates))}
	for _, a := range affs {
		w := float64(a.Weight)
		if w == 0 {
			continue // validation refuses it; it could not move any score
		}
		it.matches = append(it.matches, &drover.Constraint{LTarget: a.LTarget, Operand: a.Operand, RTarget: a.RTarget})
		it.weights = append(it.weights, w)
		it.total += max(w, -w)
	}
	return it
}

// Next returns the next node with its affinity score.
func (it *NodeAffinityIterator) Next() *RankedNode {
	r := it.src.Next()
	if r == nil {
		return nil
	}
	i := r.cand.idx
	if !it.known[i] {
		it.score[i] = it.nodeScore(r.Node)
		it.known[i] = true
	}
	r.Affinity = it.score[i]
	r.scored |= scoredAffinity
	return r
}

func (it *NodeAffinityIterator) nodeScore(n *drover.Node) float64 {
	if it.total == 0 {
		return 0
	}
	var sum float64
	for i, c := range it.matches {
		if it.ctx.meets(n, c) {
			sum += it.weights[i]
		}
	}
	return sum / it.total
}

// Reset resets src; scores are kept, they do not change within an
// evaluation.
func (it *NodeAffinityIterator) Reset() { it.src.Reset() }
