package server

import (
	"context"
	"fmt"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/fsm"
	"github.com/drover-sh/drover/internal/scheduler"
	"github.com/drover-sh/drover/internal/state"
)

// schedulerTypes are the evaluation types the workers dequeue.
var schedulerTypes = []string{drover.JobTypeService, drover.JobTypeBatch, drover.JobTypeSystem, drover.JobTypeSysBatch}

// runWorker dequeues and processes evaluations until ctx ends.
func (s *Server) runWorker(ctx context.Context, id int) {
	log := s.logger.With("worker", id)
	for ctx.Err() == nil {
		eval, token, err := s.broker.Dequeue(ctx, schedulerTypes, time.Second)
		if err != nil || eval == nil {
			continue
		}
		if err := s.processEval(ctx, eval, token); err != nil {
			log.Warn("evaluation failed; returning it for redelivery", "eval_id", eval.ID, "error", err)
			_ = s.broker.Nack(eval.ID, token)
			continue
		}
		if err := s.broker.Ack(eval.ID, token); err != nil {
			log.Warn("acking evaluation", "eval_id", eval.ID, "error", err)
		}
	}
}

// processEval runs the scheduler for eval over a snapshot at least as new as
// the evaluation.
func (s *Server) processEval(ctx context.Context, eval *drover.Evaluation, token string) error {
	snap, err := s.snapshotAtLeast(ctx, eval.ModifyIndex)
	if err != nil {
		return err
	}
	current, err := snap.EvalByID(nil, eval.ID)
	if err != nil {
		return fmt.Errorf("read evaluation: %w", err)
	}
	if current == nil || current.Status != drover.EvalStatusPending {
		return nil // deleted, cancelled or already done meanwhile
	}
	snapIndex, _ := snap.LatestIndex()
	p := &workerPlanner{s: s, ctx: ctx, token: token, snapIndex: snapIndex}
	sched, err := scheduler.NewWithClock(current.Type, s.logger, stateView{snap}, p, s.cfg.Clock.Now)
	if err != nil {
		// A type no scheduler handles will never succeed: fail it now.
		c := current.Copy()
		c.Status, c.StatusDescription = drover.EvalStatusFailed, err.Error()
		return p.UpdateEval(c)
	}
	return sched.Process(current)
}

// snapshotAtLeast waits until the state reaches index, then snapshots it.
func (s *Server) snapshotAtLeast(ctx context.Context, index uint64) (*state.StateSnapshot, error) {
	deadline := time.Now().Add(10 * time.Second)
	wait := time.Millisecond
	for {
		st := s.State()
		latest, err := st.LatestIndex()
		if err != nil {
			return nil, fmt.Errorf("read state index: %w", err)
		}
		if latest >= index {
			return st.Snapshot()
		}
		if time.Now().After(deadline) {
			return nil, drover.Errorf(drover.ErrUnavailable, "state index %d did not reach %d", latest, index)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// workerPlanner is the scheduler.Planner of one evaluation's processing.
type workerPlanner struct {
	s         *Server
	ctx       context.Context
	token     string
	snapIndex uint64 // of the state the scheduler plans from now
}

// SubmitPlan implements scheduler.Planner.
func (p *workerPlanner) SubmitPlan(plan *drover.Plan) (*drover.PlanResult, scheduler.State, error) {
	res, err := p.s.submitPlan(p.ctx, plan, p.token)
	if err != nil {
		return nil, nil, err
	}
	if res.RefreshIndex == 0 {
		return res, nil, nil
	}
	snap, err := p.s.snapshotAtLeast(p.ctx, res.RefreshIndex)
	if err != nil {
		return nil, nil, err
	}
	p.snapIndex, _ = snap.LatestIndex()
	return res, stateView{snap}, nil
}

// UpdateEval implements scheduler.Planner.
func (p *workerPlanner) UpdateEval(eval *drover.Evaluation) error {
	_, err := p.s.raftApply(p.ctx, fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{Evals: []*drover.Evaluation{eval}})
	return err
}

// CreateEval implements scheduler.Planner. A blocked evaluation records the
// state index it was planned from, so capacity that appeared after that
// releases it.
func (p *workerPlanner) CreateEval(eval *drover.Evaluation) error {
	if eval.SnapshotIndex == 0 {
		eval.SnapshotIndex = p.snapIndex
	}
	_, err := p.s.raftApply(p.ctx, fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{Evals: []*drover.Evaluation{eval}})
	return err
}

// stateView adapts a state snapshot to scheduler.State.
type stateView struct{ snap *state.StateSnapshot }

var _ scheduler.State = stateView{}

func (v stateView) Nodes() ([]*drover.Node, error)           { return v.snap.Nodes(nil) }
func (v stateView) NodeByID(id string) (*drover.Node, error) { return v.snap.NodeByID(nil, id) }
func (v stateView) JobByID(ns, id string) (*drover.Job, error) {
	return v.snap.JobByID(nil, ns, id)
}
func (v stateView) AllocsByJob(ns, jobID string) ([]*drover.Allocation, error) {
	return v.snap.AllocsByJob(nil, ns, jobID, false)
}
func (v stateView) AllocsByNode(nodeID string) ([]*drover.Allocation, error) {
	return v.snap.AllocsByNode(nil, nodeID)
}
func (v stateView) LatestIndex() (uint64, error) { return v.snap.LatestIndex() }
func (v stateView) SchedulerConfig() (*drover.SchedulerConfiguration, error) {
	return v.snap.SchedulerConfig(nil)
}
