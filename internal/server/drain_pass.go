package server

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/state"
)

// drainJobKey names a job; drainGroupKey one of its groups.
type drainJobKey struct{ ns, job string }

type drainGroupKey struct {
	drainJobKey
	group string
}

// drainPass is what one pass of the drainer decided (see drainer).
type drainPass struct {
	now time.Time
	// wake is when the next pass is due without a state change: the
	// nearest drain deadline or replacement health time (zero: none).
	wake time.Time
	// transitions are the marks to write, by allocation ID.
	transitions map[string]*drover.DesiredTransition
	// evalJobs are the jobs to evaluate, each with one of its allocations
	// (whose job describes it should the job be gone from state).
	evalJobs map[drainJobKey]*drover.Allocation
	// services holds the live service allocations of draining nodes whose
	// deadline has not passed, by group: they migrate in batches.
	services map[drainGroupKey][]*drover.Allocation
	// notified is the drainer's next notified set.
	notified map[string]bool
	// forcedNodes are nodes whose deadline evaluations this pass writes.
	forcedNodes []string
	// complete are the nodes whose drain is done.
	complete []string
}

func newDrainPass(now time.Time) *drainPass {
	return &drainPass{
		now:         now,
		transitions: map[string]*drover.DesiredTransition{},
		evalJobs:    map[drainJobKey]*drover.Allocation{},
		services:    map[drainGroupKey][]*drover.Allocation{},
		notified:    map[string]bool{},
	}
}

func (p *drainPass) wakeAt(t time.Time) {
	if p.wake.IsZero() || t.Before(p.wake) {
		p.wake = t
	}
}

// mark sets Migrate on a (unless already set) and evaluates its job.
func (p *drainPass) mark(a *drover.Allocation) {
	if a.DesiredTransition.ShouldMigrate() {
		return
	}
	yes := true
	p.transitions[a.ID] = &drover.DesiredTransition{Migrate: &yes}
	p.evaluate(a)
}

// evaluate asks for an evaluation of a's job.
func (p *drainPass) evaluate(a *drover.Allocation) {
	k := drainJobKey{a.Namespace, a.JobID}
	if p.evalJobs[k] == nil {
		p.evalJobs[k] = a
	}
}

// node decides for one draining node, given its allocations. forced is set
// when the node's deadline evaluations were written by an earlier pass.
func (p *drainPass) node(n *drover.Node, allocs []*drover.Allocation, forced bool) {
	ds := n.DrainStrategy
	var service, batch, system []*drover.Allocation
	for _, a := range allocs {
		if a.Terminal() {
			continue
		}
		switch allocJobType(a) {
		case drover.JobTypeBatch:
			batch = append(batch, a)
		case drover.JobTypeSystem, drover.JobTypeSysBatch:
			system = append(system, a)
		default:
			service = append(service, a)
		}
	}
	if ds.IgnoreSystemJobs {
		system = nil
	}
	if len(service)+len(batch)+len(system) == 0 {
		p.complete = append(p.complete, n.ID)
		return
	}
	if n.Status == drover.NodeStatusDown {
		return // its allocations are lost: the scheduler replaces them
	}
	if ds.DeadlinePassed(p.now) {
		// Everything left goes now. Allocations marked earlier are
		// evaluated again (once) so their replacements stop waiting.
		for _, list := range [][]*drover.Allocation{service, batch, system} {
			for _, a := range list {
				p.mark(a)
				if !forced {
					p.evaluate(a)
				}
			}
		}
		if !forced {
			p.forcedNodes = append(p.forcedNodes, n.ID)
		}
		return
	}
	if ok, at := ds.DeadlineTime(); ok {
		p.wakeAt(at)
	}
	for _, a := range service {
		k := drainGroupKey{drainJobKey{a.Namespace, a.JobID}, a.TaskGroup}
		p.services[k] = append(p.services[k], a)
	}
	if len(service)+len(batch) == 0 {
		for _, a := range system {
			p.mark(a)
		}
	}
}

// allocJobType is the type of the job a runs (service when unknown).
func allocJobType(a *drover.Allocation) string {
	if a.Job != nil && a.Job.Type != "" {
		return a.Job.Type
	}
	return drover.JobTypeService
}

// migrateServices marks service allocations in batches: per group, as many as
// migrate.max_parallel less those in flight (marked, replacement not yet
// healthy). A marked allocation whose replacement turned healthy has its
// job evaluated, once (notified is the previous pass's record), so the
// scheduler stops it. The groups' allocations are read through ws, so a
// replacement's progress wakes the drainer.
func (p *drainPass) migrateServices(st *state.StateStore, ws memdb.WatchSet, notified map[string]bool) error {
	keys := slices.SortedFunc(maps.Keys(p.services), func(a, b drainGroupKey) int {
		return cmp.Or(cmp.Compare(a.ns, b.ns), cmp.Compare(a.job, b.job), cmp.Compare(a.group, b.group))
	})
	for _, k := range keys {
		list := p.services[k]
		slices.SortFunc(list, func(a, b *drover.Allocation) int {
			return cmp.Or(cmp.Compare(a.NodeID, b.NodeID), cmp.Compare(a.Index(), b.Index()), cmp.Compare(a.ID, b.ID))
		})
		strat, err := migrateStrategy(st, k, list[0])
		if err != nil {
			return err
		}
		all, err := st.AllocsByJob(ws, k.ns, k.job, false)
		if err != nil {
			return fmt.Errorf("read allocations of job %s: %w", k.job, err)
		}
		repl := liveReplacements(all, list)
		inFlight := 0
		for _, a := range list {
			if !a.DesiredTransition.ShouldMigrate() {
				continue
			}
			r := repl[a.ID]
			if r != nil && r.HealthyFor(p.now, strat.MinHealthyTime) {
				p.notified[a.ID] = true
				if !notified[a.ID] {
					p.evaluate(a)
				}
				continue
			}
			inFlight++
			if r != nil {
				if at, ok := r.HealthyAt(strat.MinHealthyTime); ok {
					p.wakeAt(at)
				}
			}
		}
		slots := max(strat.MaxParallel, 1) - inFlight
		for _, a := range list {
			if slots <= 0 {
				break
			}
			if !a.DesiredTransition.ShouldMigrate() {
				p.mark(a)
				slots--
			}
		}
	}
	return nil
}

// migrateStrategy returns the migrate block of group k: the current job's,
// or, when the job is gone, that of the job sample runs.
func migrateStrategy(st *state.StateStore, k drainGroupKey, sample *drover.Allocation) (*drover.MigrateStrategy, error) {
	job, err := st.JobByID(nil, k.ns, k.job)
	if err != nil {
		return nil, fmt.Errorf("read job %s: %w", k.job, err)
	}
	if job == nil {
		job = sample.Job
	}
	var tg *drover.TaskGroup
	if job != nil {
		tg = job.LookupTaskGroup(k.group)
	}
	return tg.MigrateStrategyOrDefault(), nil
}

// liveReplacements maps each allocation of olds to its live replacement in
// all, if any: the first allocation not stopped by the servers whose chain
// of PreviousAllocation links reaches it before reaching another of olds.
// The chain runs through stopped allocations, so a replacement that failed
// and was rescheduled is followed by its own replacement.
func liveReplacements(all, olds []*drover.Allocation) map[string]*drover.Allocation {
	byID := make(map[string]*drover.Allocation, len(all))
	for _, a := range all {
		byID[a.ID] = a
	}
	targets := make(map[string]bool, len(olds))
	for _, a := range olds {
		targets[a.ID] = true
	}
	out := map[string]*drover.Allocation{}
	for _, c := range all {
		if c.ServerTerminal() {
			continue
		}
		id := c.PreviousAllocation
		for range len(byID) + 1 {
			if id == "" {
				break
			}
			if targets[id] {
				if out[id] == nil {
					out[id] = c
				}
				break
			}
			prev := byID[id]
			if prev == nil {
				break
			}
			id = prev.PreviousAllocation
		}
	}
	return out
}

// evals builds one pending node-drain evaluation per job to evaluate. A job
// gone from state is described by its allocation's copy (the scheduler
// then stops what is left of it).
func (p *drainPass) evals(st *state.StateStore) ([]*drover.Evaluation, error) {
	keys := slices.SortedFunc(maps.Keys(p.evalJobs), func(a, b drainJobKey) int {
		return cmp.Or(cmp.Compare(a.ns, b.ns), cmp.Compare(a.job, b.job))
	})
	now := p.now.UnixNano()
	evals := make([]*drover.Evaluation, 0, len(keys))
	for _, k := range keys {
		sample := p.evalJobs[k]
		job, err := st.JobByID(nil, k.ns, k.job)
		if err != nil {
			return nil, fmt.Errorf("read job %s: %w", k.job, err)
		}
		e := &drover.Evaluation{
			ID: drover.GenerateID(), Namespace: k.ns, JobID: k.job, Type: allocJobType(sample),
			TriggeredBy: drover.EvalTriggerNodeDrain, NodeID: sample.NodeID,
			Status: drover.EvalStatusPending, CreateTime: now, ModifyTime: now,
		}
		switch {
		case job != nil:
			e.Priority, e.Type, e.JobModifyIndex = job.Priority, job.Type, job.JobModifyIndex
		case sample.Job != nil:
			e.Priority = sample.Job.Priority
		}
		evals = append(evals, e)
	}
	return evals, nil
}
