package server

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
)

// preemptionReader is what the applier reads to check and follow up a
// plan's preemptions.
type preemptionReader interface {
	AllocByID(ws memdb.WatchSet, id string) (*drover.Allocation, error)
	JobByID(ws memdb.WatchSet, namespace, id string) (*drover.Job, error)
}

// preemptionsStand reports whether every allocation the plan preempts on
// nodeID still stands: it exists, is on that node and is not terminal. If
// one is gone or already stopped, the scheduler's choice was made on a
// state that no longer holds (the room may be free already, or taken): the
// node's part of the plan is not committed and the scheduler replans.
// Evictions with no placement on the node are refused too: preemption only
// ever makes room for a placement.
func preemptionsStand(st preemptionReader, plan *drover.Plan, nodeID string) (bool, error) {
	if len(plan.NodePreemptions[nodeID]) > 0 && len(plan.NodeAllocation[nodeID]) == 0 {
		return false, nil
	}
	for _, p := range plan.NodePreemptions[nodeID] {
		a, err := st.AllocByID(nil, p.ID)
		if err != nil {
			return false, fmt.Errorf("read preempted allocation %s: %w", p.ID, err)
		}
		if a == nil || a.NodeID != nodeID || a.Terminal() {
			return false, nil
		}
	}
	return true, nil
}

// preemptionEvals returns one pending evaluation (TriggeredBy preemption)
// per job with an allocation in preempted, so that its evicted work is
// placed elsewhere or blocked until room appears. Jobs gone or stopped need
// none.
func preemptionEvals(st preemptionReader, preempted []*drover.Allocation, now time.Time) ([]*drover.Evaluation, error) {
	var evals []*drover.Evaluation
	seen := map[jobKey]bool{}
	for _, p := range preempted {
		a, err := st.AllocByID(nil, p.ID)
		if err != nil {
			return nil, fmt.Errorf("read preempted allocation %s: %w", p.ID, err)
		}
		if a == nil {
			continue
		}
		k := jobKey{a.Namespace, a.JobID}
		if seen[k] {
			continue
		}
		seen[k] = true
		job, err := st.JobByID(nil, a.Namespace, a.JobID)
		if err != nil {
			return nil, fmt.Errorf("read job %s of preempted allocation: %w", a.JobID, err)
		}
		if job == nil || job.Stop {
			continue
		}
		evals = append(evals, &drover.Evaluation{
			ID: drover.GenerateID(), Namespace: job.Namespace, Priority: job.Priority, Type: job.Type,
			TriggeredBy: drover.EvalTriggerPreemption, JobID: job.ID, JobModifyIndex: job.JobModifyIndex,
			Status: drover.EvalStatusPending, CreateTime: now.UnixNano(), ModifyTime: now.UnixNano(),
		})
	}
	return evals, nil
}
