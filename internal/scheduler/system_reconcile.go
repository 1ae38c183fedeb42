package scheduler

import (
	"sort"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/feasible"
	"github.com/drover-sh/drover/internal/scheduler/reconcile"
)

// DescNodeNotInScope is set on a system allocation stopped because its node
// left the job's datacenters or node pool.
const DescNodeNotInScope = "alloc not needed as node is not in the job's datacenters or node pool"

// systemInput is what the per-node reconciler of system jobs compares.
type systemInput struct {
	job    *drover.Job // nil when purged
	allocs []*drover.Allocation
	// nodes is every node of the cluster.
	nodes []*drover.Node
	// tainted holds the IDs of nodes that are down or gone: their
	// allocations are lost and, for system jobs, not replaced elsewhere.
	tainted  map[string]bool
	sysbatch bool
}

// systemPlacement is one allocation to create on one node.
type systemPlacement struct {
	reconcile.Placement
	node *drover.Node
}

// systemDiff is what a system job must change.
type systemDiff struct {
	place   []systemPlacement
	stop    []reconcile.Stop
	inPlace []*drover.Allocation
	updates map[string]*reconcile.GroupUpdates
	// hasAlloc records the groups that keep (or update) an allocation
	// somewhere: a group placed nowhere is reported even when every node
	// merely filtered it out.
	hasAlloc map[string]bool
}

func (d *systemDiff) upd(group string) *reconcile.GroupUpdates {
	u := d.updates[group]
	if u == nil {
		u = &reconcile.GroupUpdates{}
		d.updates[group] = u
	}
	return u
}

// nodeGroup keys a task group on a node.
type nodeGroup struct{ node, group string }

// reconcileSystem decides, node by node, what a system or sysbatch job
// changes. A node in the job's datacenters and node pool that is ready
// (not draining, eligible) gets one allocation of every group it lacks;
// whether the group fits there is for the placement to find out. An
// allocation on a down or gone node is lost and not replaced; one on a node
// that left the job's datacenters or pool is stopped; one on a draining
// node is stopped once its drainer marks it Migrate (system work leaves a
// draining node last, or never with IgnoreSystemJobs); any other on a node
// that is draining or ineligible is left alone. A sysbatch allocation that
// completed for the current job version is done: its node gets no other.
// A failed allocation holds its node until reschedule policies replace it.
func reconcileSystem(in systemInput) *systemDiff {
	d := &systemDiff{updates: map[string]*reconcile.GroupUpdates{}, hasAlloc: map[string]bool{}}
	stopped := in.job == nil || in.job.Stop
	var inScope func(*drover.Node) bool
	if !stopped {
		dc, pool := feasible.DatacenterCheck(in.job.Datacenters), feasible.NodePoolCheck(in.job.NodePool)
		inScope = func(n *drover.Node) bool { return dc(n) == "" && pool(n) == "" }
		for _, tg := range in.job.TaskGroups {
			d.upd(tg.Name)
		}
	}
	nodes := make(map[string]*drover.Node, len(in.nodes))
	for _, n := range in.nodes {
		if n != nil {
			nodes[n.ID] = n
		}
	}
	present := map[nodeGroup]bool{}
	previous := map[nodeGroup]*drover.Allocation{}
	for _, a := range sortedForSystem(in.allocs) {
		if a.ServerTerminal() {
			continue
		}
		key := nodeGroup{a.NodeID, a.TaskGroup}
		var tg *drover.TaskGroup
		if !stopped {
			tg = in.job.LookupTaskGroup(a.TaskGroup)
		}
		node := nodes[a.NodeID]
		switch {
		case tg == nil:
			d.stopLive(a, in.tainted[a.NodeID], stopped)
		case in.tainted[a.NodeID] || node == nil:
			if !a.ClientTerminal() {
				d.stop = append(d.stop, reconcile.Stop{Alloc: a, Description: reconcile.DescLost, ClientStatus: drover.AllocClientStatusLost})
				d.upd(a.TaskGroup).Lost++
			}
		case !inScope(node):
			if !a.ClientTerminal() {
				d.stop = append(d.stop, reconcile.Stop{Alloc: a, Description: DescNodeNotInScope})
				d.upd(a.TaskGroup).Stop++
			}
		case a.ClientStatus == drover.AllocClientStatusLost:
			// Holds nothing; the node gets a new one if it is ready.
		case a.DesiredTransition.ShouldReschedule() && !a.ClientTerminal():
			// Stopped on request (alloc stop): the node runs the group
			// again in a new allocation.
			d.stop = append(d.stop, reconcile.Stop{Alloc: a, Description: reconcile.DescStopRequested})
			d.upd(a.TaskGroup).Stop++
			previous[key] = a
		case node.DrainStrategy != nil && a.DesiredTransition.ShouldMigrate() && !a.ClientTerminal():
			// The drainer's turn for system work came: it leaves the node
			// and, the node being ineligible, is not placed there again.
			d.stop = append(d.stop, reconcile.Stop{Alloc: a, Description: reconcile.DescMigrating})
			d.upd(a.TaskGroup).Stop++
		case a.ClientStatus == drover.AllocClientStatusComplete && !(in.sysbatch && sameVersion(a, in.job)):
			// A system task that exited, or sysbatch work of an older
			// version: the node runs the group again.
			previous[key] = a
		case present[key]:
			// A second allocation of the group on one node: only one runs.
			if !a.ClientTerminal() {
				d.stop = append(d.stop, reconcile.Stop{Alloc: a, Description: reconcile.DescScaledDown})
				d.upd(a.TaskGroup).Stop++
			}
		default:
			present[key] = true
			d.hasAlloc[a.TaskGroup] = true
			d.update(a, tg, node, in)
		}
	}
	if stopped {
		return d
	}
	for _, n := range sortedNodes(in.nodes) {
		if !n.Ready() || in.tainted[n.ID] || !inScope(n) {
			continue
		}
		for _, tg := range in.job.TaskGroups {
			key := nodeGroup{n.ID, tg.Name}
			if present[key] {
				continue
			}
			d.placeOn(n, tg, in.job, previous[key])
		}
	}
	return d
}

// stopLive stops an allocation whose job is stopped or whose group is gone.
func (d *systemDiff) stopLive(a *drover.Allocation, tainted, jobStopped bool) {
	if a.ClientTerminal() {
		return
	}
	s := reconcile.Stop{Alloc: a, Description: reconcile.DescGroupRemoved}
	if jobStopped {
		s.Description = reconcile.DescJobStopped
	}
	if tainted {
		s.ClientStatus = drover.AllocClientStatusLost
	}
	d.stop = append(d.stop, s)
	d.upd(a.TaskGroup).Stop++
}

// update leaves an allocation alone, updates it in place or replaces it on
// its node. Allocations on nodes that are not ready (draining, ineligible)
// keep running their version: a replacement could not be placed there.
// Completed sysbatch work of the current version is done.
func (d *systemDiff) update(a *drover.Allocation, tg *drover.TaskGroup, node *drover.Node, in systemInput) {
	u := d.upd(a.TaskGroup)
	if !node.Ready() || a.ClientStatus == drover.AllocClientStatusComplete {
		u.Ignore++
		return
	}
	inPlace, destructive := reconcile.UpdateNeeded(a, in.job)
	switch {
	case destructive:
		d.stop = append(d.stop, reconcile.Stop{Alloc: a, Description: reconcile.DescUpdating})
		u.DestructiveUpdate++
		d.placeOn(node, tg, in.job, a)
	case inPlace:
		d.inPlace = append(d.inPlace, a)
		u.InPlaceUpdate++
	default:
		u.Ignore++
	}
}

// placeOn adds a placement of tg on node. Every system allocation of a
// group has index 0, as in Nomad: the node, not the index, tells them apart.
func (d *systemDiff) placeOn(n *drover.Node, tg *drover.TaskGroup, job *drover.Job, prev *drover.Allocation) {
	d.place = append(d.place, systemPlacement{
		Placement: reconcile.Placement{Group: tg, Name: drover.AllocName(job.ID, tg.Name, 0), Previous: prev},
		node:      n,
	})
	d.upd(tg.Name).Place++
}

// sameVersion reports whether alloc ran the job's current version.
func sameVersion(a *drover.Allocation, job *drover.Job) bool {
	return a.Job != nil && a.Job.Version == job.Version
}

// sortedForSystem orders allocations by node, then oldest first, so the
// result is deterministic and the oldest of duplicates is kept.
func sortedForSystem(allocs []*drover.Allocation) []*drover.Allocation {
	out := append([]*drover.Allocation(nil), allocs...)
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.NodeID != b.NodeID {
			return a.NodeID < b.NodeID
		}
		if a.CreateIndex != b.CreateIndex {
			return a.CreateIndex < b.CreateIndex
		}
		return a.ID < b.ID
	})
	return out
}

func sortedNodes(nodes []*drover.Node) []*drover.Node {
	out := make([]*drover.Node, 0, len(nodes))
	for _, n := range nodes {
		if n != nil {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
