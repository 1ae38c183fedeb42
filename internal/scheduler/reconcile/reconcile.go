// Package reconcile compares what a job wants with the allocations it has and
// says what to change: which allocations to place, which to stop (and why),
// and which to leave alone. It is pure: no state reads, no node choice. The
// scheduler feeds it the job, the job's allocations, the nodes that are
// down or gone and those that are draining, and turns its Result into a
// plan.
package reconcile

import (
	"sort"
	"time"

	drover "github.com/drover-sh/drover"
)

// Descriptions set on stopped allocations (DesiredDescription).
const (
	DescJobStopped   = "alloc not needed since job is stopped"
	DescGroupRemoved = "alloc not needed as task group was removed"
	DescScaledDown   = "alloc not needed due to job update"
	DescUpdating     = "alloc is being updated due to job update"
	DescLost         = "alloc is lost since its node is down"
	DescRescheduled  = "alloc was rescheduled because it failed"
	DescMigrating    = "alloc is being migrated"
)

// Input is what the reconciler compares.
type Input struct {
	// Job is the current job; nil when it was purged. A job with Stop set
	// keeps none of its allocations.
	Job *drover.Job
	// Allocs are every allocation of the job, any version, terminal ones
	// included.
	Allocs []*drover.Allocation
	// TaintedNodes holds the IDs of nodes whose allocations are lost: down,
	// or gone from the cluster.
	TaintedNodes map[string]bool
	// DrainingNodes holds the nodes, by ID, that are draining (DrainStrategy
	// set) and not tainted. Only there is an allocation's
	// DesiredTransition.Migrate acted on; see migrate.go.
	DrainingNodes map[string]*drover.Node
	// Batch is set for batch jobs: allocations that completed successfully
	// are done and never replaced.
	Batch bool
	// Now is the time failed allocations' reschedule times are compared
	// with. Zero turns rescheduling off: failed allocations are kept.
	Now time.Time
	// EvalID is the evaluation being processed. A failed allocation whose
	// FollowupEvalID it is is rescheduled now, whatever the clock says.
	EvalID string
}

// Placement is an allocation to create.
type Placement struct {
	Group *drover.TaskGroup
	Name  string
	Index int
	// Previous is the allocation this one replaces (lost, updated or
	// migrated), or nil.
	Previous *drover.Allocation
	// Reschedule is set when Previous failed and this placement
	// reschedules it, after waiting RescheduleDelay.
	Reschedule      bool
	RescheduleDelay time.Duration
}

// RescheduleLater is a failed allocation to reschedule at a later time: the
// scheduler asks for a follow-up evaluation at At.
type RescheduleLater struct {
	Alloc *drover.Allocation
	At    time.Time
}

// Stop is an allocation to stop.
type Stop struct {
	Alloc       *drover.Allocation
	Description string
	// ClientStatus, when set, overrides the allocation's client status
	// ("lost" for allocations on a node that is down).
	ClientStatus string
}

// GroupUpdates counts the changes to one group, for plan annotations.
type GroupUpdates struct {
	Place, Stop, Ignore, InPlaceUpdate, DestructiveUpdate, Lost int
	// Migrate counts the replacements placed for allocations leaving a
	// draining node (not counted in Place).
	Migrate int
}

// Result is what to change.
type Result struct {
	Place []Placement
	Stop  []Stop
	// InPlace holds allocations that take the new job version where they
	// run, without a restart (see classifyUpdate).
	InPlace []*drover.Allocation
	// DesiredTGUpdates counts the changes per group.
	DesiredTGUpdates map[string]*GroupUpdates
	// RescheduleLater holds failed allocations whose reschedule time has
	// not come and that have no follow-up evaluation yet.
	RescheduleLater []RescheduleLater
	// ReplaceLater holds lost allocations whose replacement waits for their
	// client to have stopped them (disconnect { stop_on_client_after }; see
	// disconnect.go).
	ReplaceLater []ReplaceLater
	// Superseded holds the migrating allocations that keep running beside
	// their live replacement, waiting for it to be healthy. The pair is
	// one instance: placements count it through the replacement alone.
	Superseded []*drover.Allocation
}

// Compute reconciles in. Allocations are taken in name order, so the result
// is deterministic for a given input.
func Compute(in Input) *Result {
	res := &Result{DesiredTGUpdates: map[string]*GroupUpdates{}}
	byGroup := map[string][]*drover.Allocation{}
	for _, a := range in.Allocs {
		byGroup[a.TaskGroup] = append(byGroup[a.TaskGroup], a)
	}
	stopped := in.Job == nil || in.Job.Stop
	if !stopped {
		for _, tg := range in.Job.TaskGroups {
			g := &group{in: &in, tg: tg, res: res, upd: res.updates(tg.Name)}
			g.reconcile(byGroup[tg.Name])
			delete(byGroup, tg.Name)
		}
	}
	desc := DescGroupRemoved
	if stopped {
		desc = DescJobStopped
	}
	names := make([]string, 0, len(byGroup))
	for name := range byGroup {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		upd := res.updates(name)
		for _, a := range sortedByIndex(byGroup[name]) {
			if !live(a) || a.ClientTerminal() {
				continue // holds nothing: no need to stop it
			}
			s := Stop{Alloc: a, Description: desc}
			if in.TaintedNodes[a.NodeID] {
				s.ClientStatus = drover.AllocClientStatusLost
			}
			res.Stop = append(res.Stop, s)
			upd.Stop++
		}
	}
	return res
}

func (r *Result) updates(group string) *GroupUpdates {
	u := r.DesiredTGUpdates[group]
	if u == nil {
		u = &GroupUpdates{}
		r.DesiredTGUpdates[group] = u
	}
	return u
}

// live reports whether the servers still want the allocation: it is not
// stopped or evicted. A live allocation may have finished on its client.
func live(a *drover.Allocation) bool { return !a.ServerTerminal() }

// sortedByIndex returns allocs sorted by index, then ID. Indexes are parsed
// once each: a large job re-evaluated sorts many allocations.
func sortedByIndex(allocs []*drover.Allocation) []*drover.Allocation {
	type keyed struct {
		idx int
		a   *drover.Allocation
	}
	ks := make([]keyed, len(allocs))
	for i, a := range allocs {
		ks[i] = keyed{a.Index(), a}
	}
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].idx != ks[j].idx {
			return ks[i].idx < ks[j].idx
		}
		return ks[i].a.ID < ks[j].a.ID
	})
	out := make([]*drover.Allocation, len(ks))
	for i, k := range ks {
		out[i] = k.a
	}
	return out
}
