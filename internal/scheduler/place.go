package scheduler

import (
	"fmt"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/feasible"
	"github.com/drover-sh/drover/internal/scheduler/reconcile"
)

// fillPlan adds the reconciler's stops, in-place updates and placements to
// plan. Stops go first so their resources are free for the placements. An
// in-place update keeps its node and resources (its tasks did not change)
// and only takes the new job version.
func (s *genericScheduler) fillPlan(plan *drover.Plan, res *reconcile.Result) error {
	for _, a := range res.InPlace {
		c := a.CopySkipJob()
		c.Job = s.job
		c.EvalID = plan.EvalID
		c.ModifyTime = s.now().UnixNano()
		plan.AppendAlloc(c)
	}
	if len(res.Stop) == 0 && len(res.Place) == 0 {
		return nil
	}
	var ctx *feasible.EvalContext
	if len(res.Place) > 0 {
		nodes, err := s.state.Nodes()
		if err != nil {
			return fmt.Errorf("read nodes: %w", err)
		}
		cfg, err := s.schedulerConfig()
		if err != nil {
			return err
		}
		ctx = feasible.NewEvalContext(s.state, s.job, nodes, s.rng)
		ctx.EnablePreemption(cfg)
		ctx.SetAlgorithm(cfg.EffectiveAlgorithm())
	}
	// stopCopies maps a stopped allocation's ID to its copy in the plan, so
	// its replacement can be linked as NextAllocation.
	var stopCopies map[string]*drover.Allocation
	for _, st := range res.Stop {
		plan.AppendStop(st.Alloc, st.Description)
		stopped := plan.NodeUpdate[st.Alloc.NodeID]
		c := stopped[len(stopped)-1]
		if st.ClientStatus != "" {
			c.ClientStatus = st.ClientStatus
		}
		c.ModifyTime = s.reconciledAt.UnixNano()
		if ctx != nil {
			ctx.StopAlloc(st.Alloc)
			if stopCopies == nil {
				stopCopies = map[string]*drover.Allocation{}
			}
			stopCopies[c.ID] = c
		}
	}
	if ctx == nil {
		return nil
	}
	// A migrating allocation beside its live replacement is one instance
	// with it, counted through the replacement.
	for _, a := range res.Superseded {
		ctx.Supersede(a)
	}
	return s.placeAll(ctx, plan, res.Place, stopCopies)
}

// placeAll chooses a node for each placement. After a group's first failure
// its remaining placements are not tried (the plan only grows, so they
// would fail alike), only counted as coalesced failures; except those that
// ask for something else (see differs).
func (s *genericScheduler) placeAll(ctx *feasible.EvalContext, plan *drover.Plan, places []reconcile.Placement, stopCopies map[string]*drover.Allocation) error {
	stacks := map[string]*feasible.Stack{}
	now := s.now().UnixNano()
	for _, p := range places {
		name := p.Group.Name
		st := stacks[name]
		m := s.failed[name]
		if m != nil && !differs(st, p, stopCopies) {
			m.CoalescedFailures++
			s.queued[name]++
			continue
		}
		if st == nil {
			st = feasible.NewStack(ctx, p.Group)
			stacks[name] = st
		}
		opt, metric, err := s.selectFor(ctx, st, p)
		if err != nil {
			return err
		}
		if opt == nil {
			s.queued[name]++
			if m != nil {
				m.CoalescedFailures++
				continue
			}
			if s.failed == nil {
				s.failed = map[string]*drover.AllocMetric{}
			}
			s.failed[name] = metric
			continue
		}
		alloc := s.newAlloc(p, opt, metric, now)
		ctx.PlaceAlloc(opt, alloc)
		plan.AppendAlloc(alloc)
		appendPreemptions(plan, opt, alloc, now)
		if p.Previous != nil {
			if c := stopCopies[p.Previous.ID]; c != nil {
				c.NextAllocation = alloc.ID
			}
		}
	}
	return nil
}

// selectFor chooses the node of placement p with the group's stack.
func (s *genericScheduler) selectFor(ctx *feasible.EvalContext, st *feasible.Stack, p reconcile.Placement) (*feasible.RankedNode, *drover.AllocMetric, error) {
	st.SetAllocIndex(p.Index)
	// A predecessor that keeps running (a migration) and its replacement
	// are one instance: only the replacement counts.
	restore := func() {}
	if p.Previous != nil {
		restore = ctx.Supersede(p.Previous)
	}
	opt, metric := st.Select()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if opt == nil {
		restore()
	}
	return opt, metric, nil
}

// differs reports whether placement p may fit although an earlier placement
// of its group failed in this plan: each allocation of a group with
// per_alloc host volumes asks for its own volume, and the replacement of a
// migrating allocation that keeps running does not count its predecessor
// (EvalContext.Supersede).
func differs(st *feasible.Stack, p reconcile.Placement, stopCopies map[string]*drover.Allocation) bool {
	if st != nil && st.PerAllocVolumes() {
		return true
	}
	return p.Previous != nil && stopCopies[p.Previous.ID] == nil
}

// newAlloc builds the allocation for placement p on the chosen node. It is
// built fresh (no copies): the job is shared, never modified.
func (s *genericScheduler) newAlloc(p reconcile.Placement, opt *feasible.RankedNode, metric *drover.AllocMetric, now int64) *drover.Allocation {
	tg := p.Group
	tasks := make(map[string]*drover.AllocatedTaskResources, len(tg.Tasks))
	for _, t := range tg.Tasks {
		tr := &drover.AllocatedTaskResources{Networks: opt.TaskNetworks[t.Name]}
		if r := t.Resources; r != nil {
			tr.Cpu.CpuShares = int64(r.CPU)
			tr.Memory = drover.AllocatedMemoryResources{MemoryMB: int64(r.MemoryMB), MemoryMaxMB: int64(r.MemoryMaxMB)}
		}
		tasks[t.Name] = tr
	}
	shared := drover.AllocatedSharedResources{Networks: opt.GroupNetworks}
	if tg.EphemeralDisk != nil {
		shared.DiskMB = int64(tg.EphemeralDisk.SizeMB)
	}
	for _, n := range opt.GroupNetworks {
		for _, ports := range [][]drover.Port{n.ReservedPorts, n.DynamicPorts} {
			for _, pt := range ports {
				shared.Ports = append(shared.Ports, drover.AllocatedPortMapping{Label: pt.Label, Value: pt.Value, To: pt.To, HostIP: n.IP})
			}
		}
	}
	a := &drover.Allocation{
		ID:                 drover.GenerateID(),
		Namespace:          s.job.Namespace,
		EvalID:             s.eval.ID,
		Name:               p.Name,
		NodeID:             opt.Node.ID,
		NodeName:           opt.Node.Name,
		JobID:              s.job.ID,
		Job:                s.job,
		TaskGroup:          tg.Name,
		AllocatedResources: &drover.AllocatedResources{Tasks: tasks, Shared: shared},
		DesiredStatus:      drover.AllocDesiredStatusRun,
		ClientStatus:       drover.AllocClientStatusPending,
		Metrics:            metric,
		CreateTime:         now,
		ModifyTime:         now,
	}
	if p.Previous != nil {
		a.PreviousAllocation = p.Previous.ID
		a.RescheduleTracker = s.rescheduleTracker(p, now)
	}
	return a
}
