package server

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/fsm"
	"github.com/drover-sh/drover/internal/scheduler/feasible"
	"github.com/drover-sh/drover/internal/state"
)

// createSystemEvals gives system and sysbatch jobs their chance at a node
// that has just become able to take work: registered for the first time,
// back to ready (from down or initializing), or changed in what feasibility
// reads (datacenter, pool, class, attributes, meta, drivers, resources).
// before is the node as stored before the write (nil for a new node); the
// node is read back as written. One pending node-update evaluation is
// written per system or sysbatch job whose datacenters and node pool
// include the node, in one Raft command after the node's own (registration
// and status commands carry no evaluations; the drain and eligibility
// endpoints carry theirs in the node's command, see systemEvalsFor).
func (s *Server) createSystemEvals(ctx context.Context, before *drover.Node, nodeID string) error {
	_, _, err := s.createSystemEvalsIDs(ctx, before, nodeID)
	return err
}

// createSystemEvalsIDs is createSystemEvals that also returns the IDs of
// the evaluations it wrote and the index they were written at (none: nil
// and 0), for endpoints that report them.
func (s *Server) createSystemEvalsIDs(ctx context.Context, before *drover.Node, nodeID string) ([]string, uint64, error) {
	st := s.State()
	node, err := st.NodeByID(nil, nodeID)
	if err != nil {
		return nil, 0, fmt.Errorf("system evals for node %s: %w", nodeID, err)
	}
	evals, err := systemEvalsFor(st, before, node, time.Now())
	if err != nil || len(evals) == 0 {
		return nil, 0, err
	}
	index, err := s.raftApply(ctx, fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{Evals: evals})
	if err != nil {
		return nil, 0, fmt.Errorf("system evals for node %s: %w", nodeID, err)
	}
	return evalIDs(evals), index, nil
}

// systemEvalsFor builds, without writing them, the pending node-update
// evaluations (created at now) of the system and sysbatch jobs in st that
// want node as it is, or is about to be, stored (nil: none), given the node
// as it was (before, nil for a new node): none unless node is ready for
// work and changed in what feasibility reads. A caller that writes the
// node's change and these evaluations in one command stamps them with the
// node's index before the change.
func systemEvalsFor(st *state.StateStore, before, node *drover.Node, now time.Time) ([]*drover.Evaluation, error) {
	if node == nil || !node.Ready() || !systemRelevantChange(before, node) {
		return nil, nil
	}
	jobs, err := st.JobsByIDPrefix(nil, state.AllNamespaces, "")
	if err != nil {
		return nil, fmt.Errorf("system evals for node %s: %w", node.ID, err)
	}
	var evals []*drover.Evaluation
	for _, job := range jobs {
		if !systemJobWants(job, node) {
			continue
		}
		evals = append(evals, &drover.Evaluation{
			ID: drover.GenerateID(), Namespace: job.Namespace, Priority: job.Priority, Type: job.Type,
			TriggeredBy: drover.EvalTriggerNodeUpdate, JobID: job.ID, JobModifyIndex: job.JobModifyIndex,
			NodeID: node.ID, NodeModifyIndex: node.ModifyIndex,
			Status: drover.EvalStatusPending, CreateTime: now.UnixNano(), ModifyTime: now.UnixNano(),
		})
	}
	return evals, nil
}

func evalIDs(evals []*drover.Evaluation) []string {
	ids := make([]string, len(evals))
	for i, e := range evals {
		ids[i] = e.ID
	}
	return ids
}

// systemJobWants reports whether job is a running system or sysbatch job
// whose datacenters and node pool include node.
func systemJobWants(job *drover.Job, node *drover.Node) bool {
	if job.Stop || (job.Type != drover.JobTypeSystem && job.Type != drover.JobTypeSysBatch) {
		return false
	}
	return feasible.DatacenterCheck(job.Datacenters)(node) == "" && feasible.NodePoolCheck(job.NodePool)(node) == ""
}

// systemRelevantChange reports whether after may now accept a system job
// that before did not: it is new, newly ready for work, or changed in
// something feasibility checks read.
func systemRelevantChange(before, after *drover.Node) bool {
	if before == nil || !before.Ready() {
		return true
	}
	return before.Datacenter != after.Datacenter || before.NodePool != after.NodePool ||
		before.NodeClass != after.NodeClass ||
		!maps.Equal(before.Attributes, after.Attributes) || !maps.Equal(before.Meta, after.Meta) ||
		!driversEqual(before.Drivers, after.Drivers) ||
		!reflect.DeepEqual(before.NodeResources, after.NodeResources) ||
		!reflect.DeepEqual(before.ReservedResources, after.ReservedResources) ||
		!hostVolumesEqual(before.HostVolumes, after.HostVolumes)
}

// driversEqual compares what feasibility reads of drivers: presence, health
// and attributes, not when they were last fingerprinted.
func driversEqual(a, b map[string]*drover.DriverInfo) bool {
	return maps.EqualFunc(a, b, func(x, y *drover.DriverInfo) bool {
		if x == nil || y == nil {
			return x == y
		}
		return x.Detected == y.Detected && x.Healthy == y.Healthy && maps.Equal(x.Attributes, y.Attributes)
	})
}
