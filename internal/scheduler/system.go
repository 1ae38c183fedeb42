package scheduler

import (
	"fmt"
	"log/slog"
	"slices"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/feasible"
	"github.com/drover-sh/drover/internal/scheduler/reconcile"
)

// systemScheduler schedules system and sysbatch jobs: one allocation of
// each group on every ready node in the job's datacenters and node pool
// where the group is feasible and fits. It shares the generic scheduler's
// evaluation bookkeeping (finish, blocked evaluations, allocation building)
// but reconciles per node (reconcileSystem) and, instead of ranking the
// cluster, checks each node with the feasibility chain run over that node
// alone.
type systemScheduler struct {
	*genericScheduler
	sysbatch bool
	// exhausted is set when a group was feasible on a node but did not fit
	// there: only that creates a blocked evaluation, as in Nomad. A node
	// that filters a group out will not accept it when capacity frees.
	exhausted bool
}

func newSystem(sysbatch bool, logger *slog.Logger, state State, planner Planner) *systemScheduler {
	return &systemScheduler{genericScheduler: newGeneric(sysbatch, logger, state, planner), sysbatch: sysbatch}
}

// Process implements Scheduler. Only nodes that lack resources leave a
// blocked eval: a node that filters a group out will not take it when
// capacity frees.
func (s *systemScheduler) Process(eval *drover.Evaluation) error {
	s.exhausted = false
	return s.run(eval, s.attemptSystem, func() bool { return s.exhausted })
}

// attemptSystem plans once from s.state and submits the plan. done is false
// when the plan was committed only in part and must be planned again.
func (s *systemScheduler) attemptSystem() (done bool, err error) {
	s.failed, s.queued, s.exhausted, s.blockedNodes = nil, map[string]int{}, false, nil
	if s.snapIdx, err = s.state.LatestIndex(); err != nil {
		return false, fmt.Errorf("read state index: %w", err)
	}
	if s.job, err = s.state.JobByID(s.eval.Namespace, s.eval.JobID); err != nil {
		return false, fmt.Errorf("read job: %w", err)
	}
	allocs, err := s.state.AllocsByJob(s.eval.Namespace, s.eval.JobID)
	if err != nil {
		return false, fmt.Errorf("read allocations of job: %w", err)
	}
	tainted, _, err := s.taintedNodes(allocs)
	if err != nil {
		return false, err
	}
	nodes, err := s.state.Nodes()
	if err != nil {
		return false, fmt.Errorf("read nodes: %w", err)
	}
	diff := reconcileSystem(systemInput{job: s.job, allocs: allocs, nodes: nodes, tainted: tainted, sysbatch: s.sysbatch})
	plan := &drover.Plan{EvalID: s.eval.ID, Priority: s.eval.Priority, Job: s.job, SnapshotIndex: s.snapIdx}
	if s.job != nil {
		plan.AllAtOnce = s.job.AllAtOnce
		for _, tg := range s.job.TaskGroups {
			s.queued[tg.Name] = 0
		}
	}
	s.fillSystemPlan(plan, diff, nodes)
	if err := s.placeSystem(plan, diff, nodes); err != nil {
		return false, err
	}
	if s.eval.AnnotatePlan {
		plan.Annotations = annotations(&reconcile.Result{DesiredTGUpdates: diff.updates})
		annotatePreemptions(plan)
	}
	full, fresh, err := submitPlan(s.planner, s.logger, s.eval, plan)
	if fresh != nil {
		s.state = fresh
	}
	return full, err
}

// fillSystemPlan adds the diff's in-place updates and stops to plan.
func (s *systemScheduler) fillSystemPlan(plan *drover.Plan, diff *systemDiff, nodes []*drover.Node) {
	now := s.now().UnixNano()
	for _, a := range diff.inPlace {
		c := a.CopySkipJob()
		c.Job = s.job
		c.EvalID = plan.EvalID
		c.ModifyTime = now
		plan.AppendAlloc(c)
	}
	for _, st := range diff.stop {
		plan.AppendStop(st.Alloc, st.Description)
		stopped := plan.NodeUpdate[st.Alloc.NodeID]
		c := stopped[len(stopped)-1]
		if st.ClientStatus != "" {
			c.ClientStatus = st.ClientStatus
		}
		c.ModifyTime = now
	}
}

// placeSystem tries each placement on its node. The node is checked by the
// same chain a service placement runs (datacenter, pool, drivers,
// constraints, then CPU, memory, disk and ports), over a context holding that
// node alone: ranking and the candidate limit have nothing to choose from.
// Per group, what every node said is merged into one metric; it is recorded
// as the group's failure when a node lacked resources, or when every node
// filtered the group out and it runs nowhere.
func (s *systemScheduler) placeSystem(plan *drover.Plan, diff *systemDiff, nodes []*drover.Node) error {
	if len(diff.place) == 0 {
		return nil
	}
	stopsByNode := map[string][]*drover.Allocation{}
	for _, st := range diff.stop {
		stopsByNode[st.Alloc.NodeID] = append(stopsByNode[st.Alloc.NodeID], st.Alloc)
	}
	prevCopies := map[string]*drover.Allocation{}
	for _, as := range plan.NodeUpdate {
		for _, c := range as {
			prevCopies[c.ID] = c
		}
	}
	cfg, err := s.schedulerConfig()
	if err != nil {
		return err
	}
	pool, available := readyCounts(nodes)
	merged := map[string]*drover.AllocMetric{}
	placed := map[string]bool{}
	contexts := map[string]*feasible.EvalContext{}
	shared := newSharedPlacements(s.job, diff.stop)
	now := s.now().UnixNano()
	for _, p := range diff.place {
		name := p.Group.Name
		ctx := contexts[p.node.ID]
		if ctx == nil {
			ctx = feasible.NewEvalContext(s.state, s.job, []*drover.Node{p.node}, s.rng)
			ctx.EnablePreemption(cfg)
			for _, a := range stopsByNode[p.node.ID] {
				ctx.StopAlloc(a)
			}
			contexts[p.node.ID] = ctx
		}
		shared.catchUp(ctx)
		st := feasible.NewStack(ctx, p.Group)
		st.SetAllocIndex(p.Index)
		opt, metric := st.Select()
		if err := ctx.Err(); err != nil {
			return err
		}
		m := merged[name]
		if m == nil {
			m = &drover.AllocMetric{NodesInPool: pool, NodesAvailable: available}
			merged[name] = m
		}
		mergeMetric(m, metric)
		if opt == nil {
			diff.upd(name).Place--
			if metric.NodesExhausted > 0 {
				s.queued[name]++
				s.exhausted = true
				if !slices.Contains(s.blockedNodes, p.node.ID) {
					s.blockedNodes = append(s.blockedNodes, p.node.ID)
				}
			}
			continue
		}
		placed[name] = true
		metric.NodesInPool, metric.NodesAvailable = pool, available
		alloc := s.newAlloc(p.Placement, opt, metric, now)
		ctx.PlaceAlloc(opt, alloc)
		shared.add(ctx, p.node, alloc)
		plan.AppendAlloc(alloc)
		appendPreemptions(plan, opt, alloc, now)
		if p.Previous != nil {
			if c := prevCopies[p.Previous.ID]; c != nil {
				c.NextAllocation = alloc.ID
			}
		}
	}
	for name, m := range merged {
		if m.NodesExhausted > 0 || (!placed[name] && !diff.hasAlloc[name] && m.NodesFiltered > 0) {
			m.CoalescedFailures = max(m.NodesExhausted-1, 0)
			if s.failed == nil {
				s.failed = map[string]*drover.AllocMetric{}
			}
			s.failed[name] = m
		}
	}
	return nil
}

// readyCounts returns how many nodes are ready for new work, in all and by
// datacenter, for the metrics.
func readyCounts(nodes []*drover.Node) (int, map[string]int) {
	n, byDC := 0, map[string]int{}
	for _, node := range nodes {
		if node != nil && node.Ready() {
			n++
			byDC[node.Datacenter]++
		}
	}
	return n, byDC
}

// mergeMetric adds what one node's check found to a group's metric.
func mergeMetric(into, m *drover.AllocMetric) {
	into.NodesEvaluated += m.NodesEvaluated
	into.NodesFiltered += m.NodesFiltered
	into.NodesExhausted += m.NodesExhausted
	into.AllocationTime += m.AllocationTime
	into.ClassFiltered = addCounts(into.ClassFiltered, m.ClassFiltered)
	into.ConstraintFiltered = addCounts(into.ConstraintFiltered, m.ConstraintFiltered)
	into.ClassExhausted = addCounts(into.ClassExhausted, m.ClassExhausted)
	into.DimensionExhausted = addCounts(into.DimensionExhausted, m.DimensionExhausted)
}

func addCounts(into, from map[string]int) map[string]int {
	if len(from) == 0 {
		return into
	}
	if into == nil {
		into = make(map[string]int, len(from))
	}
	for k, v := range from {
		into[k] += v
	}
	return into
}
