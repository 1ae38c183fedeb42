// Package feasible decides where one allocation of a task group can go and
// which of those nodes is best. Placement is a chain of small iterators: a
// source of candidate nodes, feasibility filters (datacenter, node pool,
// drivers, host volumes, constraints) whose verdicts are memoised per node,
// then distinct_property and distinct_hosts, which depend on the plan and are
// not, then rankers (bin packing with the resource and port fit, preemption
// when enabled, job anti-affinity, node affinity, allocation spread), the
// mean of their scores, a limit on how many fitting nodes are scored, and a
// final pick of the best. Every node a link rejects is counted by reason in
// the placement's drover.AllocMetric.
//
// The package is pure: it reads existing allocations through the narrow
// AllocSource interface and never writes anything but its own per-evaluation
// bookkeeping (EvalContext).
package feasible

import (
	"fmt"
	"math/rand/v2"
	"regexp"

	drover "github.com/drover-sh/drover"
)

// AllocSource reads allocations, terminal ones included. The scheduler's
// State satisfies it. AllocsByJob is read only for a group with a spread or
// a distinct_property constraint, which count the job's allocations by node
// attribute.
type AllocSource interface {
	AllocsByNode(nodeID string) ([]*drover.Allocation, error)
	AllocsByJob(namespace, jobID string) ([]*drover.Allocation, error)
}

// EvalContext is the per-evaluation (per plan attempt) bookkeeping shared by
// every stack of one job: the candidate nodes in a shuffled order, what each
// node already holds (built lazily from AllocSource and updated as the plan
// grows), the metric of the placement being made, and compiled regexps. It is
// not safe for concurrent use; build a new one for each plan attempt.
type EvalContext struct {
	src        AllocSource
	job        *drover.Job
	rng        *rand.Rand
	candidates []*Candidate
	usage      []*NodeUsage // by Candidate.idx, nil until first needed
	byNodeID   map[string]int
	stopped    map[string]struct{} // allocs the plan stops, not yet applied to a usage
	available  map[string]int      // ready candidate nodes per datacenter
	regexps    map[string]*regexp.Regexp
	metrics    *drover.AllocMetric
	err        error
	preempt    *preemption // nil unless EnablePreemption turned it on

	nodes     []*drover.Node // every node handed in, ready or not
	algorithm string         // drover.SchedulerAlgorithmBinpack or ...Spread
	props     jobProperties  // per-attribute counts of the job's allocations
}

// Candidate is a ready node in the evaluation's shuffled order.
type Candidate struct {
	Node *drover.Node
	idx  int
}

// NewEvalContext builds the context for placing allocations of job. nodes is
// every node of the cluster: the ones not ready for new work (down, draining,
// ineligible) are dropped here, the rest shuffled with rng so that ties and
// the bounded candidate limit spread placements over the cluster.
func NewEvalContext(src AllocSource, job *drover.Job, nodes []*drover.Node, rng *rand.Rand) *EvalContext {
	c := &EvalContext{
		src: src, job: job, rng: rng,
		byNodeID:  make(map[string]int, len(nodes)),
		stopped:   map[string]struct{}{},
		available: map[string]int{},
		regexps:   map[string]*regexp.Regexp{},
		nodes:     nodes,
		algorithm: drover.SchedulerAlgorithmBinpack,
	}
	cands := make([]Candidate, 0, len(nodes))
	for _, n := range nodes {
		if n == nil || !n.Ready() {
			continue
		}
		cands = append(cands, Candidate{Node: n})
		c.available[n.Datacenter]++
	}
	rng.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	c.candidates = make([]*Candidate, len(cands))
	for i := range cands {
		cands[i].idx = i
		c.candidates[i] = &cands[i]
		c.byNodeID[cands[i].Node.ID] = i
	}
	c.usage = make([]*NodeUsage, len(cands))
	return c
}

// Err returns the first error met while reading allocations lazily. A
// placement made after an error must be discarded.
func (c *EvalContext) Err() error { return c.err }

// Metrics returns the metric of the placement being made (set by
// Stack.Select).
func (c *EvalContext) Metrics() *drover.AllocMetric { return c.metrics }

// NumCandidates returns how many ready nodes the evaluation considers.
func (c *EvalContext) NumCandidates() int { return len(c.candidates) }

// newMetric starts the metric of one placement.
func (c *EvalContext) newMetric() *drover.AllocMetric {
	c.metrics = &drover.AllocMetric{NodesInPool: len(c.candidates), NodesAvailable: c.available}
	return c.metrics
}

// regexp returns the compiled pattern, compiling each pattern once per
// evaluation.
func (c *EvalContext) regexp(pattern string) (*regexp.Regexp, error) {
	if re, ok := c.regexps[pattern]; ok {
		if re == nil {
			return nil, fmt.Errorf("invalid regexp %q", pattern)
		}
		return re, nil
	}
	re, err := regexp.Compile(pattern)
	c.regexps[pattern] = re
	return re, err
}

// Usage returns what the candidate's node holds: existing non-terminal
// allocations, minus what the plan stops, plus what the plan placed. It is
// built on first use, so a placement touches only the nodes it looks at.
func (c *EvalContext) Usage(cand *Candidate) *NodeUsage {
	if u := c.usage[cand.idx]; u != nil {
		return u
	}
	u := newNodeUsage(cand.Node)
	allocs, err := c.src.AllocsByNode(cand.Node.ID)
	if err != nil {
		if c.err == nil {
			c.err = fmt.Errorf("read allocations of node %s: %w", cand.Node.ID, err)
		}
		u.broken = true
	}
	for _, a := range allocs {
		if a.Terminal() {
			continue
		}
		if _, ok := c.stopped[a.ID]; ok {
			continue
		}
		u.add(a, c.job, 1)
	}
	c.usage[cand.idx] = u
	return u
}

// StopAlloc releases what alloc holds on its node, because the plan stops
// it. Allocations that are already terminal hold nothing and are ignored.
func (c *EvalContext) StopAlloc(alloc *drover.Allocation) {
	if alloc.Terminal() {
		return
	}
	if _, again := c.stopped[alloc.ID]; again {
		return
	}
	c.stopped[alloc.ID] = struct{}{}
	if i, ok := c.byNodeID[alloc.NodeID]; ok && c.usage[i] != nil {
		c.usage[i].add(alloc, c.job, -1)
	}
	c.props.stop(c, alloc)
}

// PlaceAlloc records that the plan puts alloc (built from opt) on opt's node,
// so later placements see the node's new usage.
func (c *EvalContext) PlaceAlloc(opt *RankedNode, alloc *drover.Allocation) {
	c.Usage(opt.cand).add(alloc, c.job, 1)
	c.props.place(c, opt.Node, alloc)
}
