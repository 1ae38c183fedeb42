package feasible

import (
	"fmt"

	drover "github.com/drover-sh/drover"
)

// PropertyCounts counts the evaluation job's allocations by the value a node
// attribute (e.g. ${meta.rack}) takes on the node each one runs on: the
// existing non-terminal allocations, minus those the plan stops, plus those
// it places. Spread scoring and distinct_property filtering read it. The
// counts cover one group of the job, or the whole job.
//
// Values are interned to small integers and each candidate's value is
// resolved once, so the per-node cost of a spread or distinct_property
// check is two slice reads: they run on every candidate scored.
type PropertyCounts struct {
	key    propertyKey
	ids    map[string]int // value -> id
	counts []int          // by id
	total  int            // allocations counted under any value
	// byCand is each candidate's value id plus 1: 0 unresolved, -1 the
	// node lacks the attribute.
	byCand []int32
}

// Count returns how many of the job's (or group's) allocations run on nodes
// whose attribute has value v.
func (p *PropertyCounts) Count(v string) int {
	if id, ok := p.ids[v]; ok {
		return p.counts[id]
	}
	return 0
}

// Total returns how many allocations are counted under some value;
// allocations on nodes that lack the attribute are not counted.
func (p *PropertyCounts) Total() int { return p.total }

type propertyKey struct {
	attr  string
	group string // "" counts every group of the job
}

func (k propertyKey) covers(a *drover.Allocation) bool {
	return k.group == "" || a.TaskGroup == k.group
}

// intern returns v's id, adding it with a count of 0 if new.
func (p *PropertyCounts) intern(v string) int {
	if id, ok := p.ids[v]; ok {
		return id
	}
	id := len(p.counts)
	p.ids[v] = id
	p.counts = append(p.counts, 0)
	return id
}

// candidateValue returns the id of the candidate's value; ok is false when
// its node lacks the attribute.
func (p *PropertyCounts) candidateValue(c *Candidate) (id int, ok bool) {
	switch v := p.byCand[c.idx]; {
	case v > 0:
		return int(v - 1), true
	case v < 0:
		return 0, false
	}
	val, ok := ResolveTarget(p.key.attr, c.Node)
	if !ok {
		p.byCand[c.idx] = -1
		return 0, false
	}
	id = p.intern(val)
	p.byCand[c.idx] = int32(id + 1)
	return id, true
}

func (p *PropertyCounts) add(n *drover.Node, delta int) {
	if n == nil {
		return // the node is gone: it holds no value to count
	}
	v, ok := ResolveTarget(p.key.attr, n)
	if !ok {
		return
	}
	p.counts[p.intern(v)] += delta
	p.total += delta
}

// jobProperties is the EvalContext's bookkeeping behind PropertyCounts. The
// job's allocations are read once, on the first request for counts, so a
// job without spreads or distinct_property never reads them. Placements
// are recorded from the start, because a group whose stack is built later
// in the plan must still count what earlier groups placed.
type jobProperties struct {
	loaded   bool
	live     map[string]*drover.Allocation // existing, non-terminal, by ID
	planned  []plannedAlloc
	counts   map[propertyKey]*PropertyCounts
	nodeByID map[string]*drover.Node // every node handed to the context
	// superseded holds the live allocations whose replacement is being
	// placed while they keep running (see EvalContext.Supersede).
	superseded map[string]bool
}

type plannedAlloc struct {
	alloc *drover.Allocation
	node  *drover.Node
}

// nodeLookup is the optional capability of an AllocSource to find a node
// the context was not given (the system scheduler's contexts hold one node
// each). scheduler.State has it.
type nodeLookup interface {
	NodeByID(id string) (*drover.Node, error)
}

// PropertyCounts returns the counts of the job's allocations by attr, over
// group, or over the whole job when group is "". They stay current as the
// plan stops and places allocations. A read error is kept in Err and
// leaves the counts as far as they were read.
func (c *EvalContext) PropertyCounts(attr, group string) *PropertyCounts {
	key := propertyKey{attr: attr, group: group}
	if p := c.props.counts[key]; p != nil {
		return p
	}
	c.loadJobAllocs()
	p := &PropertyCounts{key: key, ids: map[string]int{}, byCand: make([]int32, len(c.candidates))}
	for _, a := range c.props.live {
		if _, stopped := c.stopped[a.ID]; !stopped && !c.props.superseded[a.ID] && key.covers(a) {
			p.add(c.nodeOf(a.NodeID), 1)
		}
	}
	for _, pa := range c.props.planned {
		if key.covers(pa.alloc) {
			p.add(pa.node, 1)
		}
	}
	if c.props.counts == nil {
		c.props.counts = map[propertyKey]*PropertyCounts{}
	}
	c.props.counts[key] = p
	return p
}

func (c *EvalContext) loadJobAllocs() {
	if c.props.loaded {
		return
	}
	c.props.loaded = true
	c.props.live = map[string]*drover.Allocation{}
	allocs, err := c.src.AllocsByJob(c.job.Namespace, c.job.ID)
	if err != nil {
		c.fail(fmt.Errorf("read allocations of job %s: %w", c.job.ID, err))
		return
	}
	for _, a := range allocs {
		if !a.Terminal() {
			c.props.live[a.ID] = a
		}
	}
}

// fail keeps the first error met while reading lazily.
func (c *EvalContext) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// nodeOf finds the node an existing allocation runs on: among the
// candidates, then every node the context was given (a down node's
// allocations still count), then through the source if it can look nodes
// up. nil when the node is unknown.
func (c *EvalContext) nodeOf(id string) *drover.Node {
	if i, ok := c.byNodeID[id]; ok {
		return c.candidates[i].Node
	}
	if c.props.nodeByID == nil {
		c.props.nodeByID = make(map[string]*drover.Node, len(c.nodes))
		for _, n := range c.nodes {
			if n != nil {
				c.props.nodeByID[n.ID] = n
			}
		}
	}
	if n, ok := c.props.nodeByID[id]; ok {
		return n
	}
	if l, ok := c.src.(nodeLookup); ok {
		n, err := l.NodeByID(id)
		if err != nil {
			c.fail(fmt.Errorf("read node %s: %w", id, err))
			return nil
		}
		c.props.nodeByID[id] = n // nil too: don't ask again
		return n
	}
	return nil
}

func (c *EvalContext) ownAlloc(a *drover.Allocation) bool {
	return c.job != nil && a.JobID == c.job.ID && a.Namespace == c.job.Namespace
}

// Supersede takes prev, an allocation of the job that keeps running while
// the plan places its replacement (a migration off a draining node), off
// the spread and distinct_property counts: the pair is one instance of the
// group, counted through the replacement once it is placed. Without this a
// distinct_property limit reached with prev refuses the replacement on
// prev's value, and a spread pushes it away from there. It changes no
// node's usage: prev still holds its resources. An allocation the plan
// stops, or one not counted as live, is left alone.
//
// The returned function counts prev again; call it when the replacement
// could not be placed, since prev then runs on alone.
func (c *EvalContext) Supersede(prev *drover.Allocation) (restore func()) {
	if _, stopped := c.stopped[prev.ID]; stopped || !c.ownAlloc(prev) || c.props.superseded[prev.ID] {
		return func() {}
	}
	c.loadJobAllocs()
	if _, live := c.props.live[prev.ID]; !live {
		return func() {}
	}
	if c.props.superseded == nil {
		c.props.superseded = map[string]bool{}
	}
	c.props.superseded[prev.ID] = true
	c.props.shift(c, prev, -1)
	return func() {
		if !c.props.superseded[prev.ID] {
			return
		}
		delete(c.props.superseded, prev.ID)
		if _, stopped := c.stopped[prev.ID]; !stopped {
			c.props.shift(c, prev, 1)
		}
	}
}

// shift adds delta to every count that covers alloc, an existing
// allocation, under the value of the node it runs on.
func (p *jobProperties) shift(c *EvalContext, alloc *drover.Allocation, delta int) {
	for k, pc := range p.counts {
		if k.covers(alloc) {
			pc.add(c.nodeOf(alloc.NodeID), delta)
		}
	}
}

// place records that the plan puts alloc on node.
func (p *jobProperties) place(c *EvalContext, node *drover.Node, alloc *drover.Allocation) {
	if !c.ownAlloc(alloc) {
		return
	}
	p.planned = append(p.planned, plannedAlloc{alloc: alloc, node: node})
	for k, pc := range p.counts {
		if k.covers(alloc) {
			pc.add(node, 1)
		}
	}
}

// stop records that the plan stops alloc; StopAlloc calls it once per
// allocation. Only an allocation counted as live is taken off the counts.
func (p *jobProperties) stop(c *EvalContext, alloc *drover.Allocation) {
	if len(p.counts) == 0 {
		return // counts built later skip the stopped allocations themselves
	}
	if _, counted := p.live[alloc.ID]; !counted || p.superseded[alloc.ID] {
		return
	}
	p.shift(c, alloc, -1)
}

// NotePlaced records that the plan places alloc on node through another
// EvalContext (the system scheduler keeps one context per node), so that
// this context's spread and distinct_property counts include it. It changes
// no node's usage.
func (c *EvalContext) NotePlaced(node *drover.Node, alloc *drover.Allocation) {
	c.props.place(c, node, alloc)
}
