package feasible

import (
	drover "github.com/drover-sh/drover"
)

// RankedNode is a feasible node that fits the group, with its scores and the
// ports chosen for the group on it.
type RankedNode struct {
	Node  *drover.Node
	Usage *NodeUsage
	cand  *Candidate

	// Scores by scorer, each in [-1, 1]; FinalScore is the mean of those
	// that apply. BinPack is the resource score ("binpack", or "spread"
	// under the spread algorithm) and AntiAffinity ("job-anti-affinity")
	// always apply; Affinity ("node-affinity") and Spread
	// ("allocation-spread") apply when the group has affinities or spreads.
	BinPack      float64
	AntiAffinity float64
	Affinity     float64
	Spread       float64
	FinalScore   float64
	scored       scorers

	// GroupNetworks and TaskNetworks (by task name) carry the node's IP and
	// the host ports chosen; nil when the group asks for no network.
	GroupNetworks []*drover.NetworkResource
	TaskNetworks  map[string][]*drover.NetworkResource

	// Preempted are the allocations that must be evicted for the group to
	// fit (nil when it fits as is); Preemption is then their penalty (see
	// preemptionPenalty), added to FinalScore.
	Preempted  []*drover.Allocation
	Preemption float64
}

// ScoreMeta returns the node's scores in the form an AllocMetric keeps.
func (r *RankedNode) ScoreMeta() *drover.NodeScoreMeta {
	resource := ScoreBinPack
	if r.scored&scoredSpreadAlgorithm != 0 {
		resource = ScoreSpreadAlgorithm
	}
	scores := map[string]float64{resource: r.BinPack, ScoreJobAntiAffinity: r.AntiAffinity}
	if r.scored&scoredAffinity != 0 {
		scores[ScoreNodeAffinity] = r.Affinity
	}
	if r.scored&scoredSpread != 0 {
		scores[ScoreAllocationSpread] = r.Spread
	}
	if len(r.Preempted) > 0 {
		scores[ScorePreemption] = r.Preemption
	}
	return &drover.NodeScoreMeta{NodeID: r.Node.ID, Scores: scores, NormScore: r.FinalScore}
}

// Scorer names, as NodeScoreMeta.Scores keys them.
const (
	ScoreBinPack          = "binpack"
	ScoreSpreadAlgorithm  = "spread"
	ScoreJobAntiAffinity  = "job-anti-affinity"
	ScoreNodeAffinity     = "node-affinity"
	ScoreAllocationSpread = "allocation-spread"
)

// scorers records which optional scores a RankedNode carries.
type scorers uint8

const (
	scoredAffinity scorers = 1 << iota
	scoredSpread
	scoredSpreadAlgorithm // BinPack holds the spread algorithm's score
)

// RankIterator yields nodes that fit, with scores. Next returns nil when none
// is left for this placement; Reset prepares for the next placement.
type RankIterator interface {
	Next() *RankedNode
	Reset()
}

// BinPackIterator turns feasible nodes into ranked ones. It sits first in the
// rank chain because only here is the node's usage read: a node that lacks
// CPU, memory, disk or a port is counted as exhausted (by dimension) and
// dropped before any scoring. Fit depends on what the plan has placed so far,
// so unlike the filters it is never memoised. Its score prefers fuller nodes
// (bin packing), leaving whole nodes free for large groups.
//
// Under the spread scheduler algorithm (EvalContext.SetAlgorithm) the score
// is reversed, 1 minus the fit, so emptier nodes are preferred and load is
// spread evenly.
//
// With preemption enabled, a node that does not fit is not ranked by
// preemption at once: a node that fits as is always wins over one that
// must evict, so preemption is tried only once src is drained without any
// node fitting, on the nodes that did not fit, in the order src gave them.
// The candidate limit then bounds how many of them are ranked, so a full
// cluster costs one cheap fit check per node, not one choice of victims.
type BinPackIterator struct {
	ctx    *EvalContext
	src    FeasibleIterator
	tg     *drover.TaskGroup
	ask    ask
	spread bool
	ranked rankedPool
	// Per placement, with preemption enabled: the nodes that did not fit,
	// while none has fitted; whether one fitted; whether src is drained;
	// how far the preemption pass went in unfit.
	unfit   []unfitNode
	fitted  bool
	drained bool
	next    int
}

// unfitNode is a node that did not fit as is, and the dimension it lacked.
type unfitNode struct {
	cand *Candidate
	u    *NodeUsage
	dim  string
}

// NewBinPackIterator ranks the candidates of src for one allocation of tg,
// by the context's scheduler algorithm.
func NewBinPackIterator(ctx *EvalContext, src FeasibleIterator, tg *drover.TaskGroup) *BinPackIterator {
	return &BinPackIterator{ctx: ctx, src: src, tg: tg, ask: groupAsk(tg),
		spread: ctx.algorithm == drover.SchedulerAlgorithmSpread}
}

// Dimensions reported in AllocMetric.DimensionExhausted.
const (
	DimCPU             = "cpu"
	DimMemory          = "memory"
	DimDisk            = "disk"
	DimPortCollision   = "network: reserved port collision"
	DimDynamicPortFail = "network: dynamic port selection failed"
	dimStateError      = "state read error"
)

// Next returns the next candidate with room for the group. Ports are only
// checked here (static ones free, enough free dynamic ones); they are chosen
// for the winning node alone, by Stack.Select, so scoring a candidate
// allocates nothing.
func (it *BinPackIterator) Next() *RankedNode {
	for !it.drained {
		c := it.src.Next()
		if c == nil {
			it.drained = true
			break
		}
		u := it.ctx.Usage(c)
		if dim := it.fits(u); dim != "" {
			it.notFitting(c, u, dim)
			continue
		}
		it.fitted = true
		it.flushUnfit()
		r := it.ranked.next()
		*r = RankedNode{Node: c.Node, Usage: u, cand: c, BinPack: binPackScore(u, it.ask)}
		if it.spread {
			r.BinPack = 1 - r.BinPack
			r.scored = scoredSpreadAlgorithm
		}
		return r
	}
	return it.nextPreempting()
}

func (it *BinPackIterator) fits(u *NodeUsage) string {
	switch {
	case u.broken:
		return dimStateError
	case u.UsedCPU+it.ask.cpu > u.CapCPU:
		return DimCPU
	case u.UsedMemoryMB+it.ask.mem > u.CapMemoryMB:
		return DimMemory
	case u.UsedDiskMB+it.ask.disk > u.CapDiskMB:
		return DimDisk
	}
	if it.ask.ports {
		return portsFit(u, it.ask)
	}
	return ""
}

// portsFit checks that the static ports asked for are free and that enough
// of the dynamic range is left once they are taken.
func portsFit(u *NodeUsage, a ask) string {
	free := u.freeDynamicPorts()
	for _, p := range a.static {
		if u.PortUsed(p) {
			return DimPortCollision
		}
		if p >= u.minPort && p <= u.maxPort {
			free--
		}
	}
	if a.dynamic > free {
		return DimDynamicPortFail
	}
	return ""
}

// binPackScore is 1 for a node the allocation fills exactly and 0 for an
// empty node of infinite size: the mean used fraction of CPU and memory after
// placement.
func binPackScore(u *NodeUsage, a ask) float64 {
	frac := func(used, capacity int64) float64 {
		if capacity <= 0 {
			return 1
		}
		return float64(used) / float64(capacity)
	}
	return (frac(u.UsedCPU+a.cpu, u.CapCPU) + frac(u.UsedMemoryMB+a.mem, u.CapMemoryMB)) / 2
}

// Reset resets src and recycles the ranked nodes of the last placement.
func (it *BinPackIterator) Reset() {
	it.ranked.reset()
	it.unfit, it.fitted, it.drained, it.next = it.unfit[:0], false, false, 0
	it.src.Reset()
}

// rankedPool recycles RankedNodes between placements: a placement scores a
// bounded number of nodes, and the winner is used before the next Select.
type rankedPool struct {
	items []*RankedNode
	used  int
}

func (p *rankedPool) next() *RankedNode {
	if p.used == len(p.items) {
		p.items = append(p.items, &RankedNode{})
	}
	r := p.items[p.used]
	p.used++
	return r
}

func (p *rankedPool) reset() { p.used = 0 }

// JobAntiAffinityIterator penalises nodes that already hold allocations of
// the same job and group, so instances spread over nodes and one node's loss
// takes few of them. It follows bin packing, whose usage it reads, and
// counts the plan's own placements too.
type JobAntiAffinityIterator struct {
	src     RankIterator
	group   string
	desired int
}

// NewJobAntiAffinityIterator scores against co-located allocations of group,
// of which desired are wanted in all.
func NewJobAntiAffinityIterator(src RankIterator, group string, desired int) *JobAntiAffinityIterator {
	if desired < 1 {
		desired = 1
	}
	return &JobAntiAffinityIterator{src: src, group: group, desired: desired}
}

// Next scores the next node: minus the share of the group's count already on
// it.
func (it *JobAntiAffinityIterator) Next() *RankedNode {
	r := it.src.Next()
	if r == nil {
		return nil
	}
	if n := r.Usage.JobGroupCount(it.group); n > 0 {
		p := float64(n) / float64(it.desired)
		if p > 1 {
			p = 1
		}
		r.AntiAffinity = -p
	}
	return r
}

// Reset resets src.
func (it *JobAntiAffinityIterator) Reset() { it.src.Reset() }

// NormalizeIterator sets each node's FinalScore to the mean of the scores
// that apply to it, plus the preemption penalty of a node that fits only by
// evicting. An affinity or spread score is left out of the mean for
// a group that has none, so that it does not pull every node towards 0 and
// flatten the others' differences. It sits after every scorer and before
// the limit, which compares final scores.
//
// For a group with affinities every node's mean counts the affinity score,
// 0 for a node that matches none. Nomad leaves such a zero out of that
// node's mean; drover does not, on purpose: means over different numbers
// of scores do not compare, and leaving the zero out lifts exactly the
// nodes the job did not ask for (a nearly full node matching nothing, at
// (0.9+0)/2, would beat an empty preferred one at (0.05+0+1)/3).
type NormalizeIterator struct{ src RankIterator }

// Next returns the next node with its final score.
func (it NormalizeIterator) Next() *RankedNode {
	r := it.src.Next()
	if r == nil {
		return nil
	}
	sum, n := r.BinPack+r.AntiAffinity, 2.0
	if r.scored&scoredAffinity != 0 {
		sum, n = sum+r.Affinity, n+1
	}
	if r.scored&scoredSpread != 0 {
		sum, n = sum+r.Spread, n+1
	}
	// The preemption penalty is added, not averaged: a node that fits only
	// by evicting must lose to every node that fits as is.
	r.FinalScore = sum/n + r.Preemption
	return r
}

// Reset resets src.
func (it NormalizeIterator) Reset() { it.src.Reset() }

// LimitIterator hands out at most limit ranked nodes per placement. On a
// large cluster scoring every fitting node costs time proportional to the
// cluster for each placement; the best of a few random fitting nodes is
// nearly as good ("power of two choices"), and with a shuffled, rotating
// source the work per placement stays bounded. Filtered and exhausted nodes
// do not count against the limit, so a sparse fit is still found. Nodes
// that fit only by preemption come after every node that fits as is (see
// BinPackIterator), only when there is none, and count like them.
type LimitIterator struct {
	src   RankIterator
	limit int
	seen  int
}

// NewLimitIterator bounds src to limit nodes per placement.
func NewLimitIterator(src RankIterator, limit int) *LimitIterator {
	return &LimitIterator{src: src, limit: limit}
}

// Next returns the next node unless the limit is reached.
func (it *LimitIterator) Next() *RankedNode {
	if it.seen >= it.limit {
		return nil
	}
	r := it.src.Next()
	if r != nil {
		it.seen++
	}
	return r
}

// Reset starts a new placement's count.
func (it *LimitIterator) Reset() { it.seen = 0; it.src.Reset() }

// MaxScoreIterator is the end of the chain: it drains src and returns the
// node with the highest final score (the first seen on ties).
type MaxScoreIterator struct{ src RankIterator }

// Best returns the best node of this placement, or nil if none fits.
func (it MaxScoreIterator) Best() *RankedNode {
	var best *RankedNode
	for r := it.src.Next(); r != nil; r = it.src.Next() {
		if best == nil || r.FinalScore > best.FinalScore {
			best = r
		}
	}
	return best
}

// Reset resets src.
func (it MaxScoreIterator) Reset() { it.src.Reset() }
