package feasible

import (
	"math/bits"
	"time"

	drover "github.com/drover-sh/drover"
)

// Stack is the placement chain for one task group of one evaluation. Build
// it once per group and call Select for each allocation to place.
type Stack struct {
	ctx *EvalContext
	tg  *drover.TaskGroup
	ask ask
	max MaxScoreIterator
	bin *BinPackIterator
	// perAlloc is the host volume link of a group with per_alloc volumes,
	// which needs the index of each allocation placed; nil otherwise.
	perAlloc *PerAllocVolumeIterator
}

// NewStack assembles the chain for tg of the context's job. The filters come
// cheapest and most selective first, so most rejected nodes cost one
// comparison; all of them but per_alloc host volumes and distinct_hosts,
// which depend on the placement, are memoised per node. Constraints come
// after drivers because regexp and version checks cost more.
func NewStack(ctx *EvalContext, tg *drover.TaskGroup) *Stack {
	job := ctx.job
	var src FeasibleIterator = NewStaticIterator(ctx)
	// Datacenter and pool: a string match each, and on a multi-region or
	// multi-pool cluster they drop most nodes.
	src = NewFilterIterator(ctx, src, DatacenterCheck(job.Datacenters))
	src = NewFilterIterator(ctx, src, NodePoolCheck(job.NodePool))
	// Drivers: a group can't run where its driver is missing, whatever the
	// constraints say.
	src = NewFilterIterator(ctx, src, DriverCheck(tg))
	// Host volumes: a map lookup per volume.
	src, perAlloc := newHostVolumeFilter(ctx, src, tg)
	if cs := nodeConstraints(GroupConstraints(job, tg)); len(cs) > 0 {
		src = NewFilterIterator(ctx, src, ConstraintCheck(ctx, cs))
	}
	// distinct_property and distinct_hosts depend on the plan: checked on
	// every visit, after the memoised filters; distinct_hosts last because
	// it reads the node's usage.
	src = NewDistinctPropertyIterator(ctx, src, tg)
	src = NewDistinctHostsIterator(ctx, src, tg)
	bin := NewBinPackIterator(ctx, src, tg)
	var rank RankIterator = bin
	rank = NewJobAntiAffinityIterator(rank, tg.Name, tg.Count)
	// Affinities and spreads are scored only for groups that have them, so
	// other groups' means are not diluted and they pay nothing.
	affs, spreads := GroupAffinities(job, tg), GroupSpreads(job, tg)
	if len(affs) > 0 {
		rank = NewNodeAffinityIterator(ctx, rank, affs)
	}
	if len(spreads) > 0 {
		rank = NewSpreadIterator(ctx, rank, src, tg, spreads)
	}
	rank = NormalizeIterator{src: rank}
	limit := CandidateLimit(len(ctx.candidates))
	if len(affs) > 0 || len(spreads) > 0 {
		limit = PreferenceCandidateLimit(len(ctx.candidates))
	}
	rank = NewLimitIterator(rank, limit)
	return &Stack{ctx: ctx, tg: tg, ask: groupAsk(tg), max: MaxScoreIterator{src: rank}, bin: bin, perAlloc: perAlloc}
}

// PreferenceCandidateLimit is how many fitting nodes are scored per
// placement, on a cluster of n candidates, for a group that has affinities
// or spreads: 100, or every candidate on a smaller cluster. A preferred node
// or an under-filled value may be rare, and the few candidates of
// CandidateLimit would often miss it; 100 random candidates include a value
// held by 5% of the nodes 99% of the time. Scoring every candidate, or as
// many as the group's count, would be exact but makes a large group's
// placement quadratic: 10,000 allocations on 5,000 nodes then place at a
// few hundred per second instead of tens of thousands.
func PreferenceCandidateLimit(n int) int {
	return min(max(100, CandidateLimit(n)), max(n, 2))
}

// CandidateLimit is how many fitting nodes are scored per placement on a
// cluster of n candidates: max(2, ceil(log2 n)).
func CandidateLimit(n int) int {
	if n <= 2 {
		return 2
	}
	return max(2, bits.Len(uint(n-1)))
}

// Select picks the node for the next allocation of the group, or nil if none
// fits. Either way the context's Metrics (returned too) explain the choice.
// The RankedNode is valid until the next Select on the stack. When it fits
// only by preemption, its Preempted allocations are already released in the
// context (as stops are), and the caller must evict them in its plan.
func (s *Stack) Select() (*RankedNode, *drover.AllocMetric) {
	start := time.Now()
	m := s.ctx.newMetric()
	s.max.Reset()
	best := s.max.Best()
	s.bin.finish()
	if best != nil && len(best.Preempted) > 0 {
		s.ctx.commitPreemption(best.Preempted)
	}
	if best != nil && s.ask.ports {
		var dim string
		best.GroupNetworks, best.TaskNetworks, dim = assignPorts(s.ctx, best.Usage, s.tg)
		if dim != "" {
			// BinPack checked that the ports fit; failing here means a
			// group validation should have refused (a static port asked
			// twice), reported as the node's exhaustion rather than a bad
			// placement. Its victims stay: nothing takes their place.
			s.ctx.uncommitPreemption(best.Preempted)
			m.ExhaustedNode(best.Node.NodeClass, dim)
			best = nil
		}
	}
	if best != nil {
		m.ScoreMetaData = []*drover.NodeScoreMeta{best.ScoreMeta()}
	}
	m.AllocationTime = time.Since(start)
	return best, m
}
