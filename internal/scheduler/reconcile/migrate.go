package reconcile

import (
	drover "github.com/drover-sh/drover"
)

// Migration off a draining node. The node's drainer marks allocations with
// DesiredTransition.Migrate, a few at a time (the group's migrate
// max_parallel). For a marked allocation the reconciler:
//
//   - without a live replacement, places one elsewhere (Previous = the
//     allocation, same name and index) and keeps the allocation running, so
//     the service never runs fewer copies than it should;
//   - with a replacement that is healthy (running for the group's migrate
//     min_healthy_time), stops it;
//   - once the node's drain deadline has passed, stops it at once, and
//     places a replacement if it had none.
//
// The allocation and its replacement count once towards Count: scaling and
// index assignment see one instance. An allocation on a node that is down is
// lost, drain or not. When a drain is cancelled mid-way, a marked allocation
// whose replacement is already placed still leaves once the replacement is
// healthy (the pair would otherwise be two instances of one index); a marked
// allocation without a replacement stays, its mark ignored.

// draining returns the drain strategy of the node a runs on, nil when it
// is not draining.
func (g *group) draining(a *drover.Allocation) *drover.DrainStrategy {
	if n := g.in.DrainingNodes[a.NodeID]; n != nil {
		return n.DrainStrategy
	}
	return nil
}

// deadlinePassed reports whether a's node must be emptied now.
func (g *group) deadlinePassed(a *drover.Allocation) bool {
	return g.draining(a).DeadlinePassed(g.in.Now)
}

// migrations is the state of one group's migrating allocations.
type migrations struct {
	// ordered holds the live allocations marked Migrate on nodes not down,
	// in index order.
	ordered []*drover.Allocation
	// isMigrating is set for the unpaired ones on a draining node: they
	// get a replacement.
	isMigrating map[*drover.Allocation]bool
	// paired maps a migrating allocation to its live replacement.
	paired map[*drover.Allocation]*drover.Allocation
	// unpaired are the allocations without a replacement, in index order:
	// on a draining node they migrate (isMigrating), elsewhere their mark
	// is ignored.
	unpaired []*drover.Allocation
	// unhealthy holds replacements that cannot count as healthy whatever
	// their reported status: lost or failed ones.
	unhealthy map[*drover.Allocation]bool
	// scaledDown receives the allocations scaling down removes (stopped,
	// or lost and not replaced).
	scaledDown map[*drover.Allocation]bool
}

// pairMigrations takes the live allocations marked Migrate on nodes not
// down and finds each one's replacement among the
// group's other live allocations: the nearest migrating allocation up an
// allocation's chain of PreviousAllocation links (through stopped
// allocations too: a replacement that failed and was rescheduled is
// followed by its own replacement).
func (g *group) pairMigrations(all, migrating, kept, lost, failed []*drover.Allocation) *migrations {
	m := &migrations{
		ordered:     migrating,
		isMigrating: make(map[*drover.Allocation]bool, len(migrating)),
		paired:      map[*drover.Allocation]*drover.Allocation{},
		unhealthy:   map[*drover.Allocation]bool{},
		scaledDown:  map[*drover.Allocation]bool{},
	}
	if len(migrating) == 0 {
		return m
	}
	byID := make(map[string]*drover.Allocation, len(all))
	for _, a := range all {
		byID[a.ID] = a
	}
	migByID := make(map[string]*drover.Allocation, len(migrating))
	for _, a := range migrating {
		migByID[a.ID] = a
	}
	for _, a := range lost {
		m.unhealthy[a] = true
	}
	for _, a := range failed {
		m.unhealthy[a] = true
	}
	for _, list := range [][]*drover.Allocation{kept, lost, failed, migrating} {
		for _, c := range list {
			old := ancestorIn(c, byID, migByID)
			if old != nil && m.paired[old] == nil {
				m.paired[old] = c
			}
		}
	}
	for _, a := range migrating {
		if m.paired[a] == nil {
			m.unpaired = append(m.unpaired, a)
			m.isMigrating[a] = g.draining(a) != nil
		}
	}
	return m
}

// ancestorIn follows c's PreviousAllocation links to the first allocation
// in targets, or nil. The walk is bounded by the number of allocations, so
// a malformed cycle ends it.
func ancestorIn(c *drover.Allocation, byID, targets map[string]*drover.Allocation) *drover.Allocation {
	id := c.PreviousAllocation
	for range len(byID) + 1 {
		if id == "" {
			return nil
		}
		if t := targets[id]; t != nil {
			return t
		}
		p := byID[id]
		if p == nil {
			return nil
		}
		id = p.PreviousAllocation
	}
	return nil
}

// gone reports whether the replacement of a pair was scaled away: scaling
// down removed it, or it is itself a migrating allocation whose own
// replacement was.
func (m *migrations) gone(r *drover.Allocation, depth int) bool {
	if m.scaledDown[r] {
		return true
	}
	next := m.paired[r]
	if next == nil || depth > len(m.ordered) {
		return false
	}
	return m.gone(next, depth+1)
}

// decidePaired stops each migrating allocation whose replacement is healthy
// or whose node's deadline passed, and one whose replacement was scaled
// away; the others keep running beside their replacement.
func (m *migrations) decidePaired(g *group) {
	minHealthy := g.tg.MigrateStrategyOrDefault().MinHealthyTime
	for _, a := range m.ordered {
		r := m.paired[a]
		switch {
		case r == nil:
		case m.gone(r, 0):
			g.res.Stop = append(g.res.Stop, Stop{Alloc: a, Description: DescScaledDown})
			g.upd.Stop++
		case g.deadlinePassed(a) || (!m.unhealthy[r] && r.HealthyFor(g.in.Now, minHealthy)):
			g.res.Stop = append(g.res.Stop, Stop{Alloc: a, Description: DescMigrating})
			g.upd.Stop++
		default:
			g.upd.Ignore++ // waits for its replacement to be healthy
			g.res.Superseded = append(g.res.Superseded, a)
		}
	}
}

// migrate places the replacement of a migrating allocation that has none.
// Past its node's drain deadline the allocation is stopped too; before, it
// keeps running until the replacement is healthy. The replacement runs the
// current job version, so the migration updates an outdated allocation too.
func (g *group) migrate(a *drover.Allocation) {
	if g.deadlinePassed(a) {
		g.res.Stop = append(g.res.Stop, Stop{Alloc: a, Description: DescMigrating})
	}
	g.addPlacement(a.Index(), a)
	g.upd.Migrate++
}
