package feasible

import (
	"cmp"
	"fmt"
	"slices"

	drover "github.com/drover-sh/drover"
)

// PreemptionPriorityDelta is how much lower than the placing job's priority
// a job's priority must be for its allocations to be preempted. The margin
// keeps jobs of nearly equal importance from evicting each other back and
// forth.
const PreemptionPriorityDelta = 10

// ScorePreemption is the name of the preemption penalty in an AllocMetric's
// scores.
const ScorePreemption = "preemption"

// preemption is the context's preemption state, present when the
// evaluation's job may preempt: each node's allocations as read for
// choosing victims.
type preemption struct {
	allocs map[string][]*drover.Allocation // by node ID, read once
}

// EnablePreemption lets the evaluation's placements preempt allocations of
// lower-priority jobs when cfg enables preemption for the job's type. Call
// it before the first Select; without it nothing is ever preempted.
func (c *EvalContext) EnablePreemption(cfg *drover.SchedulerConfiguration) {
	if c.job == nil || !cfg.PreemptionEnabled(c.job.Type) {
		c.preempt = nil
		return
	}
	c.preempt = &preemption{allocs: map[string][]*drover.Allocation{}}
}

// preemptionEnabled reports whether EnablePreemption turned preemption on.
func (c *EvalContext) preemptionEnabled() bool { return c.preempt != nil }

// commitPreemption releases what the chosen node's victims hold, as a stop
// would: later placements of the plan see the room they leave, and never
// choose them again.
func (c *EvalContext) commitPreemption(victims []*drover.Allocation) {
	for _, a := range victims {
		c.StopAlloc(a)
	}
}

// uncommitPreemption undoes commitPreemption for victims the placement
// did not evict after all: they hold their resources again and may be
// chosen again.
func (c *EvalContext) uncommitPreemption(victims []*drover.Allocation) {
	for _, a := range victims {
		if _, ok := c.stopped[a.ID]; !ok {
			continue
		}
		delete(c.stopped, a.ID)
		if i, ok := c.byNodeID[a.NodeID]; ok && c.usage[i] != nil {
			c.usage[i].add(a, c.job, 1)
		}
	}
}

// preemptible returns the allocations on the candidate's node that the
// evaluation's job may preempt: running (not terminal, not stopped or
// preempted by the plan) allocations of other jobs whose priority is at
// least PreemptionPriorityDelta lower. An allocation whose job is unknown is
// never preempted: its priority cannot be compared.
func (c *EvalContext) preemptible(cand *Candidate) []*drover.Allocation {
	all, ok := c.preempt.allocs[cand.Node.ID]
	if !ok {
		var err error
		all, err = c.src.AllocsByNode(cand.Node.ID)
		if err != nil {
			if c.err == nil {
				c.err = fmt.Errorf("read allocations of node %s: %w", cand.Node.ID, err)
			}
			return nil
		}
		c.preempt.allocs[cand.Node.ID] = all
	}
	var out []*drover.Allocation
	for _, a := range all {
		if c.mayPreempt(a) {
			out = append(out, a)
		}
	}
	return out
}

func (c *EvalContext) mayPreempt(a *drover.Allocation) bool {
	if a.Terminal() || a.Job == nil {
		return false
	}
	if _, ok := c.stopped[a.ID]; ok {
		return false
	}
	if a.Namespace == c.job.Namespace && a.JobID == c.job.ID {
		return false
	}
	return a.Job.Priority <= c.job.Priority-PreemptionPriorityDelta
}

// victim is a preemptible allocation with what evicting it frees.
type victim struct {
	alloc    *drover.Allocation
	priority int
	cpu      int64
	mem      int64
	disk     int64
	ports    []int       // distinct host ports it holds
	holds    map[int]int // how many holds it has on each (NodeUsage.ports)
	dynPorts int64       // ports of the dynamic range its eviction alone frees
}

func newVictim(a *drover.Allocation, u *NodeUsage) *victim {
	v := &victim{alloc: a, priority: a.Job.Priority}
	v.cpu, v.mem, v.disk = allocResources(a)
	forEachAllocPort(a, func(p int) {
		if p == 0 {
			return
		}
		if v.holds == nil {
			v.holds = map[int]int{}
		}
		if v.holds[p] == 0 {
			v.ports = append(v.ports, p)
		}
		v.holds[p]++
	})
	for _, p := range v.ports {
		if p >= u.minPort && p <= u.maxPort && v.holds[p] >= u.ports[p] {
			v.dynPorts++
		}
	}
	return v
}

// freedPorts returns the ports that evicting victims frees on the node:
// those whose every holder is among them.
func freedPorts(u *NodeUsage, victims []*victim) map[int]bool {
	holds := map[int]int{}
	for _, v := range victims {
		for p, n := range v.holds {
			holds[p] += n
		}
	}
	freed := map[int]bool{}
	for p, n := range holds {
		if u.PortUsed(p) && n >= u.ports[p] {
			freed[p] = true
		}
	}
	return freed
}

// need is what must be freed on a node for the ask to fit, per dimension;
// a dimension with nothing to free is zero.
type need struct{ cpu, mem, disk, dyn int64 }

func (n need) met() bool { return n.cpu <= 0 && n.mem <= 0 && n.disk <= 0 && n.dyn <= 0 }

func (n need) minus(v *victim) need {
	return need{n.cpu - v.cpu, n.mem - v.mem, n.disk - v.disk, n.dyn - v.dynPorts}
}

// choosePreemption finds the allocations to evict from a node whose usage u
// does not fit a, among the preemptible candidates, or nil if evicting them
// all would not make room. The choice, as Nomad's:
//
//   - allocations holding a static port the ask needs must go;
//   - then allocations are taken lowest priority first: a higher priority
//     is touched only when every lower one is not enough;
//   - within a priority, an allocation that alone covers what is still
//     missing is preferred, the one with the least excess; otherwise the one
//     that covers most of it;
//   - finally any chosen allocation the others make unnecessary is spared,
//     highest priority first.
//
// Excess and coverage are measured as fractions of the node's capacity, so
// that CPU, memory, disk and ports weigh alike.
func choosePreemption(u *NodeUsage, a ask, candidates []*drover.Allocation) []*drover.Allocation {
	if u.broken || len(candidates) == 0 {
		return nil
	}
	vs := make([]*victim, len(candidates))
	for i, c := range candidates {
		vs[i] = newVictim(c, u)
	}
	slices.SortStableFunc(vs, func(x, y *victim) int {
		return cmp.Or(cmp.Compare(x.priority, y.priority), cmp.Compare(x.alloc.ID, y.alloc.ID))
	})
	chosen, ok := portHolders(u, a, vs)
	if !ok {
		return nil
	}
	rest := needAfter(u, a, chosen)
	var picked []*victim
	for i := 0; i < len(vs) && !rest.met(); {
		tier := vs[i].priority
		j := i
		for j < len(vs) && vs[j].priority == tier {
			j++
		}
		pool := slices.DeleteFunc(slices.Clone(vs[i:j]), func(v *victim) bool { return slices.Contains(chosen, v) })
		for len(pool) > 0 && !rest.met() {
			k := bestVictim(u, rest, pool)
			picked = append(picked, pool[k])
			rest = rest.minus(pool[k])
			pool = slices.Delete(pool, k, k+1)
		}
		i = j
	}
	if !rest.met() {
		return nil
	}
	picked = spareUnneeded(u, a, chosen, picked)
	out := make([]*drover.Allocation, 0, len(chosen)+len(picked))
	for _, v := range append(chosen, picked...) {
		out = append(out, v.alloc)
	}
	if !fitsWithout(u, a, append(chosen, picked...)) {
		return nil // the need estimate and the real fit disagree: do not guess
	}
	return out
}

// portHolders returns the victims holding static ports the ask needs, and
// false when such a port is held by something that may not be preempted
// (the node's reservation, or an allocation that is not a candidate).
func portHolders(u *NodeUsage, a ask, vs []*victim) ([]*victim, bool) {
	var out []*victim
	for _, p := range a.static {
		if !u.PortUsed(p) {
			continue
		}
		held := 0
		for _, v := range vs {
			if n := v.holds[p]; n > 0 {
				held += n
				if !slices.Contains(out, v) {
					out = append(out, v)
				}
			}
		}
		if held < u.ports[p] {
			return nil, false
		}
	}
	return out, true
}

// needAfter is what is still missing for a once victims are gone.
func needAfter(u *NodeUsage, a ask, victims []*victim) need {
	n := need{
		cpu:  u.UsedCPU + a.cpu - u.CapCPU,
		mem:  u.UsedMemoryMB + a.mem - u.CapMemoryMB,
		disk: u.UsedDiskMB + a.disk - u.CapDiskMB,
	}
	if a.ports {
		// A static port in the dynamic range is taken from the free ones;
		// one held now is counted free by its holder's eviction first.
		free := int64(u.freeDynamicPorts())
		for _, p := range a.static {
			if p >= u.minPort && p <= u.maxPort {
				free--
			}
		}
		n.dyn = int64(a.dynamic) - free
	}
	for _, v := range victims {
		n = n.minus(v)
	}
	return n
}

// bestVictim returns the index in pool of the allocation to evict next
// towards rest (see choosePreemption).
func bestVictim(u *NodeUsage, rest need, pool []*victim) int {
	best, bestCovers, bestScore := 0, false, 0.0
	for i, v := range pool {
		covers := rest.minus(v).met()
		var score float64
		if covers {
			score = -excess(u, rest, v) // least excess wins
		} else {
			score = coverage(u, rest, v) // most coverage wins
		}
		if i == 0 || (covers && !bestCovers) || (covers == bestCovers && score > bestScore) {
			best, bestCovers, bestScore = i, covers, score
		}
	}
	return best
}

// coverage is how much of rest v frees, as fractions of the node's capacity.
func coverage(u *NodeUsage, rest need, v *victim) float64 {
	part := func(free, missing, capacity int64) float64 {
		if missing <= 0 || capacity <= 0 {
			return 0
		}
		return float64(min(free, missing)) / float64(capacity)
	}
	return part(v.cpu, rest.cpu, u.CapCPU) + part(v.mem, rest.mem, u.CapMemoryMB) +
		part(v.disk, rest.disk, u.CapDiskMB) + part(v.dynPorts, rest.dyn, int64(max(u.maxPort-u.minPort+1, 1)))
}

// excess is how much more than rest v frees, as fractions of the node's
// capacity.
func excess(u *NodeUsage, rest need, v *victim) float64 {
	part := func(free, missing, capacity int64) float64 {
		if capacity <= 0 {
			return 0
		}
		return float64(free-max(missing, 0)) / float64(capacity)
	}
	return part(v.cpu, rest.cpu, u.CapCPU) + part(v.mem, rest.mem, u.CapMemoryMB) + part(v.disk, rest.disk, u.CapDiskMB)
}

// spareUnneeded drops from picked, highest priority first and among equals
// the one freeing least first, every allocation the rest make unnecessary.
func spareUnneeded(u *NodeUsage, a ask, chosen, picked []*victim) []*victim {
	order := slices.Clone(picked)
	slices.SortStableFunc(order, func(x, y *victim) int {
		return cmp.Or(cmp.Compare(y.priority, x.priority), cmp.Compare(x.cpu+x.mem+x.disk, y.cpu+y.mem+y.disk))
	})
	kept := slices.Clone(picked)
	for _, v := range order {
		without := slices.DeleteFunc(slices.Clone(kept), func(k *victim) bool { return k == v })
		if needAfter(u, a, append(slices.Clone(chosen), without...)).met() {
			kept = without
		}
	}
	return kept
}

// fitsWithout reports whether a fits on the node once victims are gone: the
// same checks as BinPackIterator.fits, against the usage less theirs.
func fitsWithout(u *NodeUsage, a ask, victims []*victim) bool {
	var cpu, mem, disk int64
	for _, v := range victims {
		cpu, mem, disk = cpu+v.cpu, mem+v.mem, disk+v.disk
	}
	freed := freedPorts(u, victims)
	if u.UsedCPU-cpu+a.cpu > u.CapCPU || u.UsedMemoryMB-mem+a.mem > u.CapMemoryMB || u.UsedDiskMB-disk+a.disk > u.CapDiskMB {
		return false
	}
	if !a.ports {
		return true
	}
	free := u.freeDynamicPorts()
	for p := range freed {
		if p >= u.minPort && p <= u.maxPort {
			free++
		}
	}
	for _, p := range a.static {
		if u.PortUsed(p) && !freed[p] {
			return false
		}
		if p >= u.minPort && p <= u.maxPort {
			free--
		}
	}
	return a.dynamic <= free
}

// preemptionPenalty scores a node that fits only by evicting victims. It is
// below -2: added to a mean of scores in [-1, 1], it puts the node below
// every node that fits without preemption, whatever the other scores. Among
// preempting nodes it favours the one evicting less: the cost grows with
// the evicted allocations' priorities and their number.
func preemptionPenalty(victims []*drover.Allocation) float64 {
	net := len(victims)
	for _, a := range victims {
		net += max(a.Job.Priority, 0)
	}
	cost := float64(net) / float64(net+drover.MaxPriority)
	return -2 - cost
}

// rankPreempting returns the ranked node for candidate c whose usage u fits
// the ask only once victims are evicted: its bin-packing score is that of
// the node after their eviction.
func (it *BinPackIterator) rankPreempting(c *Candidate, u *NodeUsage, victims []*drover.Allocation) *RankedNode {
	freed := *u
	for _, a := range victims {
		cpu, mem, _ := allocResources(a)
		freed.UsedCPU -= cpu
		freed.UsedMemoryMB -= mem
	}
	r := it.ranked.next()
	*r = RankedNode{Node: c.Node, Usage: u, cand: c, BinPack: binPackScore(&freed, it.ask),
		Preempted: victims, Preemption: preemptionPenalty(victims)}
	return r
}

// notFitting records a node that does not fit as is. It is exhausted unless
// preemption may yet place there: then, while no node has fitted, it is
// kept for the preemption pass.
func (it *BinPackIterator) notFitting(c *Candidate, u *NodeUsage, dim string) {
	if it.fitted || !it.ctx.preemptionEnabled() || u.broken {
		it.ctx.metrics.ExhaustedNode(c.Node.NodeClass, dim)
		return
	}
	it.unfit = append(it.unfit, unfitNode{cand: c, u: u, dim: dim})
}

// flushUnfit counts the nodes kept for preemption as exhausted, once a node
// that fits makes preemption moot.
func (it *BinPackIterator) flushUnfit() {
	for _, n := range it.unfit {
		it.ctx.metrics.ExhaustedNode(n.cand.Node.NodeClass, n.dim)
	}
	it.unfit = it.unfit[:0]
}

// finish counts as exhausted the kept nodes the preemption pass did not
// reach because the candidate limit ended the placement first.
func (it *BinPackIterator) finish() {
	for _, n := range it.unfit[it.next:] {
		it.ctx.metrics.ExhaustedNode(n.cand.Node.NodeClass, n.dim)
	}
	it.next = len(it.unfit)
}

// nextPreempting is the preemption pass, once src is drained and no node
// fitted: the next kept node on which evicting lower-priority allocations
// makes room, ranked with its victims; the others are counted exhausted.
func (it *BinPackIterator) nextPreempting() *RankedNode {
	for it.next < len(it.unfit) {
		n := it.unfit[it.next]
		it.next++
		if victims := choosePreemption(n.u, it.ask, it.ctx.preemptible(n.cand)); victims != nil {
			return it.rankPreempting(n.cand, n.u, victims)
		}
		it.ctx.metrics.ExhaustedNode(n.cand.Node.NodeClass, n.dim)
	}
	return nil
}
