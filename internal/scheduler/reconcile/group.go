package reconcile

import (
	"maps"
	"reflect"
	"slices"
	"time"

	drover "github.com/drover-sh/drover"
)

// group reconciles one task group.
type group struct {
	in  *Input
	tg  *drover.TaskGroup
	res *Result
	upd *GroupUpdates
}

// updateKind classifies how an existing allocation relates to the job.
type updateKind int

const (
	updateNone        updateKind = iota // runs the current job version
	updateInPlace                       // changed only in ways a client applies without a restart
	updateDestructive                   // must be replaced
)

// classifyUpdate says how alloc must change to run the current job. A new
// job version whose task group is unchanged in everything a running task
// depends on (only count, services or rollout policies changed) is an
// in-place update: the allocation keeps running and takes the new version.
// Anything else is destructive: the allocation is replaced.
func classifyUpdate(alloc *drover.Allocation, job *drover.Job) updateKind {
	if alloc.Job == nil {
		return updateDestructive
	}
	if alloc.Job.Version == job.Version && alloc.Job.JobModifyIndex == job.JobModifyIndex {
		return updateNone
	}
	oldTG, newTG := alloc.Job.LookupTaskGroup(alloc.TaskGroup), job.LookupTaskGroup(alloc.TaskGroup)
	if oldTG == nil || newTG == nil {
		return updateDestructive
	}
	if !maps.Equal(alloc.Job.Meta, job.Meta) || !reflect.DeepEqual(runningSpec(oldTG), runningSpec(newTG)) {
		return updateDestructive
	}
	return updateInPlace
}

// runningSpec is the part of a group its running tasks depend on: the group
// without its count, services and rollout policies, which change nothing
// inside a running allocation.
func runningSpec(tg *drover.TaskGroup) *drover.TaskGroup {
	g := *tg
	g.Count = 0
	g.Services = nil
	g.Update, g.Migrate, g.ReschedulePolicy = nil, nil, nil
	g.Tasks = make([]*drover.Task, len(tg.Tasks))
	for i, t := range tg.Tasks {
		tc := *t
		tc.Services = nil
		g.Tasks[i] = &tc
	}
	return &g
}

// rescheduleNow says whether a failed allocation is stopped and replaced
// now under the group's reschedule policy, and the delay that was waited.
// One eligible later is recorded in RescheduleLater (once: not when it
// already has a follow-up evaluation). Failed allocations not rescheduled
// now are kept: they hold their index and count towards Count.
func (g *group) rescheduleNow(a *drover.Allocation) (bool, time.Duration) {
	if g.in.Now.IsZero() {
		return false, 0
	}
	p := g.tg.ReschedulePolicy
	at, ok := a.NextRescheduleTime(p, g.in.Now)
	if !ok {
		return false, 0
	}
	delay := p.NextDelay(a.RescheduleTracker)
	if !at.After(g.in.Now) || (a.FollowupEvalID != "" && a.FollowupEvalID == g.in.EvalID) {
		return true, delay
	}
	if a.FollowupEvalID == "" {
		g.res.RescheduleLater = append(g.res.RescheduleLater, RescheduleLater{Alloc: a, At: at})
	}
	return false, 0
}

// reconcile decides for the group's allocations (any status).
func (g *group) reconcile(allocs []*drover.Allocation) {
	// kept: allocations that count towards Count and stay unless scaled down
	// or updated. lost: ones on a tainted node, stopped and replaced.
	// migrating: ones marked to leave a draining node (see migrate.go).
	// stopping: ones stopped on request (see stop.go).
	// waiting: lost ones whose replacement waits for their client to stop
	// them (see disconnect.go); they hold their index.
	var kept, lost, failed, migrating, stopping, waiting []*drover.Allocation
	delays := map[*drover.Allocation]time.Duration{}
	waitUntil := map[*drover.Allocation]time.Time{}
	for _, a := range sortedByIndex(allocs) {
		if at, ok := g.waitingForClientStop(a); ok {
			waiting = append(waiting, a)
			waitUntil[a] = at
			continue
		}
		switch {
		case !live(a):
			// Stopped by the servers: gone, its index is free.
		case a.ClientStatus == drover.AllocClientStatusComplete:
			if g.in.Batch {
				kept = append(kept, a) // done: counts, never replaced or updated
			}
			// A service that exited is terminal and replaced by a placement.
		case a.ClientStatus == drover.AllocClientStatusFailed:
			if now, delay := g.rescheduleNow(a); now {
				failed = append(failed, a)
				delays[a] = delay
			} else {
				kept = append(kept, a)
			}
		case a.ClientStatus == drover.AllocClientStatusLost:
			// Already lost: nothing holds it; its index is free.
		case g.in.TaintedNodes[a.NodeID]:
			if at, later := g.replaceLostLater(a); later {
				g.res.Stop = append(g.res.Stop, Stop{Alloc: a, Description: DescLost, ClientStatus: drover.AllocClientStatusLost})
				g.upd.Lost++
				waiting = append(waiting, a)
				waitUntil[a] = at
				continue
			}
			lost = append(lost, a)
		case stopRequested(a):
			stopping = append(stopping, a)
		case a.DesiredTransition.ShouldMigrate():
			migrating = append(migrating, a)
		default:
			kept = append(kept, a)
		}
	}
	for _, a := range lost {
		g.res.Stop = append(g.res.Stop, Stop{Alloc: a, Description: DescLost, ClientStatus: drover.AllocClientStatusLost})
		g.upd.Lost++
	}
	// A migrating allocation with a replacement counts once, through the
	// replacement; one without joins kept and holds its index.
	mig := g.pairMigrations(allocs, migrating, kept, slices.Concat(lost, stopping), failed)
	kept = append(kept, mig.unpaired...)
	if len(mig.unpaired) > 0 {
		kept = sortedByIndex(kept)
	}
	want := max(g.tg.Count, 0)
	// Scale down: stop the newest (highest index) first. Lost ones go before
	// healthy ones by not being replaced; completed batch work goes last.
	excess := len(kept) + len(lost) + len(failed) + len(stopping) + len(waiting) - want
	waiting, excess = g.holdForClientStop(sortedByIndex(waiting), waitUntil, excess)
	stopping, excess = g.scaleDownStopping(stopping, excess, mig.scaledDown)
	for i := len(lost) - 1; i >= 0 && excess > 0; i-- {
		mig.scaledDown[lost[i]] = true
		lost = lost[:i]
		excess--
	}
	for i := len(failed) - 1; i >= 0 && excess > 0; i-- {
		mig.scaledDown[failed[i]] = true
		g.res.Stop = append(g.res.Stop, Stop{Alloc: failed[i], Description: DescScaledDown})
		g.upd.Stop++
		failed = failed[:i]
		excess--
	}
	if excess > 0 {
		kept = g.scaleDown(kept, excess, mig.scaledDown)
	}
	mig.decidePaired(g)
	used := map[int]bool{}
	for _, a := range kept {
		used[a.Index()] = true
	}
	for _, a := range waiting {
		used[a.Index()] = true
	}
	for _, a := range lost {
		used[a.Index()] = true
		g.place(a.Index(), a)
	}
	g.stopOnRequest(stopping, used)
	for _, a := range failed {
		used[a.Index()] = true
		g.res.Stop = append(g.res.Stop, Stop{Alloc: a, Description: DescRescheduled})
		g.upd.Stop++
		g.place(a.Index(), a)
		last := &g.res.Place[len(g.res.Place)-1]
		last.Reschedule, last.RescheduleDelay = true, delays[a]
	}
	for _, a := range kept {
		if mig.isMigrating[a] {
			g.migrate(a)
			continue
		}
		g.update(a)
	}
	missing := want - len(kept) - len(lost) - len(failed) - len(stopping) - len(waiting)
	if missing > 0 {
		g.res.Place = slices.Grow(g.res.Place, missing)
	}
	for i, n := 0, missing; n > 0; i++ {
		if used[i] {
			continue
		}
		g.place(i, nil)
		n--
	}
}

// scaleDown stops n allocations of kept, highest index first, preferring
// ones not yet complete, and returns the rest. Each stopped allocation is
// recorded in stopped.
func (g *group) scaleDown(kept []*drover.Allocation, n int, stopped map[*drover.Allocation]bool) []*drover.Allocation {
	stop := map[*drover.Allocation]bool{}
	pick := func(complete bool) {
		for i := len(kept) - 1; i >= 0 && n > 0; i-- {
			a := kept[i]
			if stop[a] || (a.ClientStatus == drover.AllocClientStatusComplete) != complete {
				continue
			}
			stop[a] = true
			n--
		}
	}
	pick(false)
	pick(true)
	var rest []*drover.Allocation
	for _, a := range kept {
		if stop[a] {
			stopped[a] = true
			g.res.Stop = append(g.res.Stop, Stop{Alloc: a, Description: DescScaledDown})
			g.upd.Stop++
			continue
		}
		rest = append(rest, a)
	}
	return rest
}

// update leaves a kept allocation alone or replaces it when the job changed.
func (g *group) update(a *drover.Allocation) {
	if g.in.Batch && a.ClientStatus == drover.AllocClientStatusComplete {
		g.upd.Ignore++
		return
	}
	switch classifyUpdate(a, g.in.Job) {
	case updateNone:
		g.upd.Ignore++
	case updateInPlace:
		g.res.InPlace = append(g.res.InPlace, a)
		g.upd.InPlaceUpdate++
	case updateDestructive:
		g.res.Stop = append(g.res.Stop, Stop{Alloc: a, Description: DescUpdating})
		g.upd.DestructiveUpdate++
		g.place(a.Index(), a)
	}
}

func (g *group) place(index int, prev *drover.Allocation) {
	g.addPlacement(index, prev)
	g.upd.Place++
}

// addPlacement adds a placement without counting it in the group's updates.
func (g *group) addPlacement(index int, prev *drover.Allocation) {
	if index < 0 {
		index = 0 // a malformed name; the placement still gets a valid one
	}
	g.res.Place = append(g.res.Place, Placement{
		Group: g.tg, Name: drover.AllocName(g.in.Job.ID, g.tg.Name, index), Index: index, Previous: prev,
	})
}
