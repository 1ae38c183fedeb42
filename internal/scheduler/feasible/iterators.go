package feasible

import (
	"path"

	drover "github.com/drover-sh/drover"
)

// FeasibleIterator yields candidate nodes that passed every filter up to it.
// Next returns nil when no candidate is left for this placement; Reset
// prepares it for the next placement.
type FeasibleIterator interface {
	Next() *Candidate
	Reset()
}

// StaticIterator is the source of every chain: it walks the evaluation's
// shuffled candidates once per placement. It does not restart at the first
// node on Reset but carries on where the last placement stopped, so that with
// a candidate limit consecutive placements look at different nodes and no
// node is favoured by its position.
type StaticIterator struct {
	ctx        *EvalContext
	offset     int
	seen       int
	candidates []*Candidate
}

// NewStaticIterator returns a source over the context's candidates.
func NewStaticIterator(ctx *EvalContext) *StaticIterator {
	return &StaticIterator{ctx: ctx, candidates: ctx.candidates}
}

// Next returns the next candidate, counting it as evaluated.
func (it *StaticIterator) Next() *Candidate {
	n := len(it.candidates)
	if it.seen >= n {
		return nil
	}
	c := it.candidates[it.offset]
	it.offset = (it.offset + 1) % n
	it.seen++
	it.ctx.metrics.NodesEvaluated++
	return c
}

// Reset lets the next placement see every candidate again, starting after
// the last one handed out.
func (it *StaticIterator) Reset() { it.seen = 0 }

// FilterIterator passes on the candidates its check accepts and counts each
// rejected one under the check's reason. The check depends only on the node
// and the task group, so its verdict is memoised per candidate for the
// evaluation: after the first placement a filter costs a slice lookup.
type FilterIterator struct {
	ctx    *EvalContext
	src    FeasibleIterator
	check  func(*drover.Node) (reason string)
	known  []bool
	reason []string
}

// NewFilterIterator wraps src with check, which returns "" to accept a node
// and the reason to reject it otherwise.
func NewFilterIterator(ctx *EvalContext, src FeasibleIterator, check func(*drover.Node) string) *FilterIterator {
	n := len(ctx.candidates)
	return &FilterIterator{ctx: ctx, src: src, check: check, known: make([]bool, n), reason: make([]string, n)}
}

// Next returns the next candidate of src that the check accepts.
func (it *FilterIterator) Next() *Candidate {
	for {
		c := it.src.Next()
		if c == nil {
			return nil
		}
		if !it.known[c.idx] {
			it.reason[c.idx] = it.check(c.Node)
			it.known[c.idx] = true
		}
		if r := it.reason[c.idx]; r != "" {
			it.ctx.metrics.FilterNode(c.Node.NodeClass, r)
			continue
		}
		return c
	}
}

// Reset resets src; verdicts are kept, they do not change within an
// evaluation.
func (it *FilterIterator) Reset() { it.src.Reset() }

// Filter reasons, as shown in an evaluation's FailedTGAllocs.
const (
	ReasonDatacenter     = "node not in datacenter"
	ReasonNodePool       = "node not in node pool"
	ReasonMissingDrivers = "missing drivers"
)

// NodePoolAll is the node pool that matches every node.
const NodePoolAll = "all"

// DatacenterCheck accepts nodes whose datacenter matches one of the patterns
// (path.Match globs; none means "*").
func DatacenterCheck(patterns []string) func(*drover.Node) string {
	return func(n *drover.Node) string {
		if len(patterns) == 0 {
			return ""
		}
		for _, p := range patterns {
			if ok, _ := path.Match(p, n.Datacenter); ok {
				return ""
			}
		}
		return ReasonDatacenter
	}
}

// NodePoolCheck accepts nodes in pool; "all" accepts every node, "" means
// the default pool and a node with no pool is in the default pool.
func NodePoolCheck(pool string) func(*drover.Node) string {
	if pool == "" {
		pool = drover.DefaultNodePool
	}
	return func(n *drover.Node) string {
		np := n.NodePool
		if np == "" {
			np = drover.DefaultNodePool
		}
		if pool == NodePoolAll || np == pool {
			return ""
		}
		return ReasonNodePool
	}
}

// DriverCheck accepts nodes on which every driver the group's tasks use is
// present and healthy: by the node's driver fingerprint, or for a node that
// has none for a driver, by its "driver.<name>" attribute.
func DriverCheck(tg *drover.TaskGroup) func(*drover.Node) string {
	var drivers []string
	seen := map[string]bool{}
	for _, t := range tg.Tasks {
		if !seen[t.Driver] {
			seen[t.Driver] = true
			drivers = append(drivers, t.Driver)
		}
	}
	return func(n *drover.Node) string {
		for _, d := range drivers {
			if !driverHealthy(n, d) {
				return ReasonMissingDrivers
			}
		}
		return ""
	}
}

func driverHealthy(n *drover.Node, name string) bool {
	if info, ok := n.Drivers[name]; ok && info != nil {
		return info.Healthy
	}
	switch n.Attributes["driver."+name] {
	case "1", "true":
		return true
	}
	return false
}
