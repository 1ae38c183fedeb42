package state

import (
	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
)

// ApplyPlanResultsRequest is what the plan applier commits for one plan, in
// one Raft command (package fsm names it too). Job is the job version the
// plan was made for. AllocsUpdated holds placements and in-place updates;
// placements may leave Job nil (it is filled in from Job), which keeps the
// Raft entry small. AllocsStopped holds stops: only ID, DesiredStatus,
// DesiredDescription and a ClientStatus of lost or unknown are used, so
// whole allocations may be sent. AllocsPreempted holds allocations evicted
// for the placements (see preemptAllocsTxn). Evals are written in the same
// transaction (e.g. the evaluation's follow-ups, the preempted jobs'
// evaluations).
type ApplyPlanResultsRequest struct {
	Job           *drover.Job
	EvalID        string
	AllocsUpdated []*drover.Allocation
	AllocsStopped []*drover.Allocation
	// AllocsPreempted are evicted to make room for AllocsUpdated: only ID,
	// DesiredDescription, PreemptedByAllocation and ModifyTime are used.
	AllocsPreempted []*drover.Allocation
	Evals           []*drover.Evaluation
}

// UpsertPlanResults commits a plan's results at index in one transaction:
// stops and preemptions first, then placements and updates, then
// evaluations; then the
// affected jobs' status and summary. Placements without an EvalID get
// req.EvalID.
func (s *StateStore) UpsertPlanResults(index uint64, req *ApplyPlanResultsRequest) error {
	return s.write(func(txn *memdb.Txn) error {
		touched := jobSet{}
		if err := stopAllocsTxn(txn, index, req.AllocsStopped, touched); err != nil {
			return err
		}
		if err := preemptAllocsTxn(txn, index, req.AllocsPreempted, touched); err != nil {
			return err
		}
		for _, a := range req.AllocsUpdated {
			if a != nil && a.EvalID == "" {
				a.EvalID = req.EvalID
			}
		}
		if err := upsertAllocsTxn(txn, index, req.AllocsUpdated, req.Job, touched); err != nil {
			return err
		}
		if err := upsertEvalsTxn(txn, index, req.Evals, touched); err != nil {
			return err
		}
		return refreshJobsTxn(txn, index, touched, false)
	})
}
