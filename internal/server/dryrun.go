package server

import (
	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler"
)

// dryRunPlanner is the scheduler.Planner of `job plan`: it records what the
// scheduler would do instead of doing it. Every plan "commits" in full, so
// the scheduler plans exactly once; nothing reaches Raft.
type dryRunPlanner struct {
	plan    *drover.Plan         // the last plan submitted
	eval    *drover.Evaluation   // the evaluation's recorded outcome
	created []*drover.Evaluation // evaluations it would create (blocked)
}

var _ scheduler.Planner = (*dryRunPlanner)(nil)

// SubmitPlan implements scheduler.Planner: a full commit, no fresher state.
func (p *dryRunPlanner) SubmitPlan(plan *drover.Plan) (*drover.PlanResult, scheduler.State, error) {
	p.plan = plan
	return &drover.PlanResult{NodeUpdate: plan.NodeUpdate, NodeAllocation: plan.NodeAllocation}, nil, nil
}

// UpdateEval implements scheduler.Planner.
func (p *dryRunPlanner) UpdateEval(eval *drover.Evaluation) error {
	p.eval = eval
	return nil
}

// CreateEval implements scheduler.Planner.
func (p *dryRunPlanner) CreateEval(eval *drover.Evaluation) error {
	p.created = append(p.created, eval)
	return nil
}

// plannedJobView is a state snapshot in which the job being planned replaces
// the stored one: the scheduler reads the job from state.
type plannedJobView struct {
	stateView
	job *drover.Job
}

// JobByID implements scheduler.State.
func (v plannedJobView) JobByID(ns, id string) (*drover.Job, error) {
	if ns == v.job.Namespace && id == v.job.ID {
		return v.job, nil
	}
	return v.stateView.JobByID(ns, id)
}

// asRegistered sets on job (a canonicalized copy) the version and indexes
// the state store would give it if it were registered now over existing
// (nil: a new job) at the index after latest: an unchanged spec keeps the
// current version, so the scheduler leaves its allocations alone.
func asRegistered(job, existing *drover.Job, latest uint64) error {
	next := latest + 1
	if existing == nil {
		job.Version, job.CreateIndex, job.ModifyIndex, job.JobModifyIndex = 0, next, next, next
		return nil
	}
	changed, err := existing.SpecChanged(job)
	if err != nil {
		return err
	}
	job.CreateIndex, job.ModifyIndex = existing.CreateIndex, next
	job.Version, job.JobModifyIndex, job.Status = existing.Version, existing.JobModifyIndex, existing.Status
	if changed {
		job.Version, job.JobModifyIndex = existing.Version+1, next
	}
	return nil
}
