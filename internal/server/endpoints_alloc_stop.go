package server

import (
	"context"
	"fmt"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/fsm"
)

// allocStop stops one allocation and has it replaced at once: the
// allocation is marked DesiredTransition.Reschedule and an evaluation
// triggered by alloc-stop is written with the mark in one Raft command, so
// neither commits without the other. The scheduler stops the marked
// allocation and places its replacement in the same plan; unlike a drain's
// migration it does not wait for the replacement to be healthy, since the
// operator asked for this allocation to go. An allocation the servers
// already stopped gets the evaluation too, which then changes nothing.
func (s *Server) allocStop(ctx context.Context, args *drover.AllocStopRequest, reply *drover.AllocStopResponse) error {
	if done, err := s.forward(ctx, drover.MethodAllocStop, args, reply); done {
		return err
	}
	if args.AllocID == "" {
		return drover.Errorf(drover.ErrInvalid, "alloc stop: missing allocation ID")
	}
	a, err := s.State().AllocByID(nil, args.AllocID)
	if err != nil {
		return fmt.Errorf("alloc stop: %w", err)
	}
	if a == nil {
		return drover.Errorf(drover.ErrNotFound, "alloc stop: allocation %s not found", args.AllocID)
	}
	eval, err := s.allocStopEval(a)
	if err != nil {
		return err
	}
	yes := true
	req := &fsm.AllocUpdateDesiredTransitionRequest{
		Allocs: map[string]*drover.DesiredTransition{a.ID: {Reschedule: &yes}},
		Evals:  []*drover.Evaluation{eval},
	}
	index, err := s.raftApply(ctx, fsm.AllocUpdateDesiredTransitionRequestType, req)
	if err != nil {
		return fmt.Errorf("alloc stop %s: %w", a.ID, err)
	}
	reply.EvalID, reply.Index = eval.ID, index
	return nil
}

// allocStopEval is the evaluation of a's job that replaces a. Priority and
// type come from the job as stored, or from the allocation's copy of it
// when the job is gone.
func (s *Server) allocStopEval(a *drover.Allocation) (*drover.Evaluation, error) {
	now := s.now().UnixNano()
	e := &drover.Evaluation{
		ID: drover.GenerateID(), Namespace: a.Namespace, JobID: a.JobID,
		TriggeredBy: drover.EvalTriggerAllocStop, Status: drover.EvalStatusPending,
		CreateTime: now, ModifyTime: now,
	}
	job, err := s.State().JobByID(nil, a.Namespace, a.JobID)
	if err != nil {
		return nil, fmt.Errorf("alloc stop: read job %s: %w", a.JobID, err)
	}
	switch {
	case job != nil:
		e.Priority, e.Type, e.JobModifyIndex = job.Priority, job.Type, job.JobModifyIndex
	case a.Job != nil:
		e.Priority, e.Type = a.Job.Priority, a.Job.Type
	default:
		return nil, drover.Errorf(drover.ErrInvalid, "alloc stop: allocation %s has no job", a.ID)
	}
	return e, nil
}
