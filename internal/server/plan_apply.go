package server

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/fsm"
	"github.com/drover-sh/drover/internal/scheduler/feasible"
)

// pendingPlan is a plan waiting for the applier, with where to send the answer.
type pendingPlan struct {
	plan *drover.Plan
	// token is the broker token of the plan's evaluation; a plan whose
	// evaluation is no longer outstanding under it is refused. "" skips
	// the check.
	token string
	reply chan planReply
}

type planReply struct {
	result *drover.PlanResult
	err    error
}

// planReader is what the applier reads: the newest state.
type planReader interface {
	NodeByID(ws memdb.WatchSet, id string) (*drover.Node, error)
	AllocsByNode(ws memdb.WatchSet, nodeID string) ([]*drover.Allocation, error)
	LatestIndex() (uint64, error)
	preemptionReader
}

// submitPlan queues plan for the leader's applier and waits for its result.
func (s *Server) submitPlan(ctx context.Context, plan *drover.Plan, token string) (*drover.PlanResult, error) {
	lc := s.leaderContext()
	if lc == nil {
		return nil, drover.Errorf(drover.ErrNoLeader, "submit plan: not the leader")
	}
	p := &pendingPlan{plan: plan, token: token, reply: make(chan planReply, 1)}
	select {
	case s.planCh <- p:
	case <-lc.Done():
		return nil, drover.Errorf(drover.ErrNoLeader, "submit plan: leadership lost")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case r := <-p.reply:
		return r.result, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// planApplyLoop applies queued plans one at a time until ctx ends (the
// leadership it runs under is lost). Serial application is what makes the
// re-check sound: each plan is checked against a state that includes every
// plan committed before it.
func (s *Server) planApplyLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case p := <-s.planCh:
			res, err := s.applyPlan(ctx, p)
			p.reply <- planReply{result: res, err: err}
		}
	}
}

// applyPlan re-checks p against the newest state and commits what fits.
func (s *Server) applyPlan(ctx context.Context, p *pendingPlan) (*drover.PlanResult, error) {
	if p.token != "" && !s.broker.Outstanding(p.plan.EvalID, p.token) {
		return nil, drover.Errorf(drover.ErrConflict, "plan for evaluation %s: evaluation is no longer outstanding", p.plan.EvalID)
	}
	snap, err := s.fsm.State().Snapshot()
	if err != nil {
		return nil, fmt.Errorf("plan apply: snapshot: %w", err)
	}
	result, req, rejected, err := evaluatePlan(snap, p.plan)
	if err != nil {
		return nil, fmt.Errorf("plan apply: %w", err)
	}
	snapIndex, err := snap.LatestIndex()
	if err != nil {
		return nil, fmt.Errorf("plan apply: %w", err)
	}
	evals, err := preemptionEvals(snap, req.AllocsPreempted, time.Now())
	if err != nil {
		return nil, fmt.Errorf("plan apply: %w", err)
	}
	req.Evals = append(req.Evals, evals...)
	if len(req.AllocsUpdated)+len(req.AllocsStopped)+len(req.AllocsPreempted) > 0 {
		index, _, err := s.raft.Apply(ctx, fsm.ApplyPlanResultsRequestType, req)
		if err != nil {
			return nil, fmt.Errorf("plan apply: commit: %w", err)
		}
		result.AllocIndex = index
	}
	if rejected {
		result.RefreshIndex = max(snapIndex, result.AllocIndex)
		s.logger.Debug("plan partially rejected", "eval_id", p.plan.EvalID, "refresh_index", result.RefreshIndex)
	}
	return result, nil
}

// evaluatePlan decides, node by node, what of plan still fits in st. A node
// that no longer fits has nothing of it committed (its stops included: they
// usually belong with its placements); with AllAtOnce one such node rejects
// the whole plan. The same holds for a node whose preempted allocations no
// longer stand (see preemptionsStand). It returns the result, the Raft request
// that commits it, and whether anything was rejected.
func evaluatePlan(st planReader, plan *drover.Plan) (*drover.PlanResult, *fsm.ApplyPlanResultsRequest, bool, error) {
	result := &drover.PlanResult{
		NodeUpdate:      map[string][]*drover.Allocation{},
		NodeAllocation:  map[string][]*drover.Allocation{},
		NodePreemptions: map[string][]*drover.Allocation{},
	}
	req := &fsm.ApplyPlanResultsRequest{Job: plan.Job, EvalID: plan.EvalID}
	ids := maps.Clone(plan.NodeUpdate)
	if ids == nil {
		ids = map[string][]*drover.Allocation{}
	}
	maps.Copy(ids, plan.NodeAllocation)
	maps.Copy(ids, plan.NodePreemptions)
	nodes := slices.Sorted(maps.Keys(ids))
	rejected := false
	for _, nodeID := range nodes {
		fits, err := nodeFits(st, plan, nodeID)
		if err != nil {
			return nil, nil, false, err
		}
		if fits {
			if fits, err = preemptionsStand(st, plan, nodeID); err != nil {
				return nil, nil, false, err
			}
		}
		if !fits {
			rejected = true
			if plan.AllAtOnce {
				return &drover.PlanResult{}, &fsm.ApplyPlanResultsRequest{Job: plan.Job, EvalID: plan.EvalID}, true, nil
			}
			continue
		}
		if ups := plan.NodeUpdate[nodeID]; len(ups) > 0 {
			result.NodeUpdate[nodeID] = ups
			req.AllocsStopped = append(req.AllocsStopped, ups...)
		}
		if as := plan.NodeAllocation[nodeID]; len(as) > 0 {
			result.NodeAllocation[nodeID] = as
			req.AllocsUpdated = append(req.AllocsUpdated, as...)
		}
		if ps := plan.NodePreemptions[nodeID]; len(ps) > 0 {
			result.NodePreemptions[nodeID] = ps
			req.AllocsPreempted = append(req.AllocsPreempted, ps...)
		}
	}
	return result, req, rejected, nil
}

// nodeFits reports whether the plan's part for nodeID can be committed: the
// node exists and is up, is ready for new allocations if the plan places
// any, and its non-terminal allocations (less those the plan stops,
// preempts or replaces, plus the plan's) fit its CPU, memory and disk with
// no host port used twice.
func nodeFits(st planReader, plan *drover.Plan, nodeID string) (bool, error) {
	placing := plan.NodeAllocation[nodeID]
	if len(placing) == 0 {
		return true, nil // only stops: always allowed
	}
	node, err := st.NodeByID(nil, nodeID)
	if err != nil {
		return false, fmt.Errorf("read node %s: %w", nodeID, err)
	}
	if node == nil || node.Status != drover.NodeStatusReady {
		return false, nil
	}
	existing, err := st.AllocsByNode(nil, nodeID)
	if err != nil {
		return false, fmt.Errorf("read allocations of node %s: %w", nodeID, err)
	}
	removed := map[string]bool{}
	for _, a := range plan.NodeUpdate[nodeID] {
		removed[a.ID] = true
	}
	for _, a := range plan.NodePreemptions[nodeID] {
		removed[a.ID] = true
	}
	known := map[string]bool{}
	for _, a := range existing {
		known[a.ID] = true
	}
	proposed := make([]*drover.Allocation, 0, len(existing)+len(placing))
	newPlacement := false
	for _, a := range placing {
		removed[a.ID] = true // an in-place update replaces the stored alloc
		if !known[a.ID] {
			newPlacement = true
		}
		proposed = append(proposed, a)
	}
	if newPlacement && !node.Ready() {
		return false, nil
	}
	for _, a := range existing {
		if !a.Terminal() && !removed[a.ID] {
			proposed = append(proposed, a)
		}
	}
	return allocsFit(node, proposed), nil
}

// allocsFit reports whether allocs fit together on node.
func allocsFit(node *drover.Node, allocs []*drover.Allocation) bool {
	var capCPU, capMem, capDisk int64
	if r := node.NodeResources; r != nil {
		capCPU, capMem, capDisk = r.Cpu.CpuShares, r.Memory.MemoryMB, r.Disk.DiskMB
	}
	used := map[int]bool{}
	if r := node.ReservedResources; r != nil {
		capCPU -= r.Cpu.CpuShares
		capMem -= r.Memory.MemoryMB
		capDisk -= r.Disk.DiskMB
		ports, _ := feasible.ParsePortRanges(r.Networks.ReservedHostPorts)
		for _, p := range ports {
			used[p] = true
		}
	}
	var cpu, mem, disk int64
	for _, a := range allocs {
		ar := a.AllocatedResources
		if ar == nil {
			continue
		}
		for _, t := range ar.Tasks {
			cpu += t.Cpu.CpuShares
			mem += t.Memory.MemoryMB
		}
		disk += ar.Shared.DiskMB
		for p := range allocPorts(ar) {
			if used[p] {
				return false
			}
			used[p] = true
		}
	}
	return cpu <= capCPU && mem <= capMem && disk <= capDisk
}

// allocPorts returns the host ports an allocation holds (each once; the same
// port appears in a group network and its port mapping).
func allocPorts(ar *drover.AllocatedResources) map[int]bool {
	ports := map[int]bool{}
	nets := func(ns []*drover.NetworkResource) {
		for _, n := range ns {
			for _, p := range n.ReservedPorts {
				ports[p.Value] = true
			}
			for _, p := range n.DynamicPorts {
				ports[p.Value] = true
			}
		}
	}
	for _, t := range ar.Tasks {
		nets(t.Networks)
	}
	nets(ar.Shared.Networks)
	for _, p := range ar.Shared.Ports {
		ports[p.Value] = true
	}
	delete(ports, 0)
	return ports
}
