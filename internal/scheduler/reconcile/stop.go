package reconcile

import drover "github.com/drover-sh/drover"

// DescStopRequested is the description of an allocation stopped by
// `drover alloc stop` (DesiredTransition.Reschedule).
const DescStopRequested = "alloc was stopped by request and is being replaced"

// Stopping on request. `drover alloc stop` marks a live allocation
// DesiredTransition.Reschedule. The reconciler stops it at once and places
// its replacement in the same plan (Previous = the allocation, same name
// and index): the operator asked for this allocation to go, so unlike a
// drain's migration it does not wait for the replacement to be healthy.
// A marked allocation counts once towards Count, as a lost one does, and
// goes first when the group scales down.

// stopRequested reports whether a was stopped on request and still runs.
func stopRequested(a *drover.Allocation) bool {
	return a.DesiredTransition.ShouldReschedule() && !a.ClientTerminal()
}

// stopOnRequest stops each allocation of stopping and places its
// replacement, marking the index used.
func (g *group) stopOnRequest(stopping []*drover.Allocation, used map[int]bool) {
	for _, a := range stopping {
		used[a.Index()] = true
		g.res.Stop = append(g.res.Stop, Stop{Alloc: a, Description: DescStopRequested})
		g.upd.Stop++
		g.place(a.Index(), a)
	}
}

// scaleDownStopping stops up to excess allocations of stopping without a
// replacement, highest index first, and returns the rest and the excess
// left.
func (g *group) scaleDownStopping(stopping []*drover.Allocation, excess int, scaled map[*drover.Allocation]bool) ([]*drover.Allocation, int) {
	for i := len(stopping) - 1; i >= 0 && excess > 0; i-- {
		scaled[stopping[i]] = true
		g.res.Stop = append(g.res.Stop, Stop{Alloc: stopping[i], Description: DescScaledDown})
		g.upd.Stop++
		stopping = stopping[:i]
		excess--
	}
	return stopping, excess
}
