package scheduler

import (
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"time"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/reconcile"
)

// MaxPlanAttempts is how many times an evaluation is planned when the plan
// applier keeps committing only part of it; then the evaluation fails.
const MaxPlanAttempts = 5

// genericScheduler schedules service and batch jobs: a Count of each group,
// placed anywhere feasible.
type genericScheduler struct {
	logger  *slog.Logger
	state   State
	planner Planner
	batch   bool
	now     func() time.Time

	// Per Process call.
	eval      *drover.Evaluation
	job       *drover.Job
	rng       *rand.Rand
	failed    map[string]*drover.AllocMetric // by group: why its placements failed
	queued    map[string]int                 // by group: placements not made
	snapIdx   uint64
	blockedID string
	// blockedNodes are the nodes a system job's placements found exhausted,
	// recorded on its blocked evaluation (see Evaluation.BlockedNodes).
	blockedNodes []string
	// followupsDone is set once follow-up evals were considered (see
	// addFollowups).
	followupsDone bool
	// reconciledAt is the time the attempt's reconciliation was made at;
	// stops carry it as their ModifyTime, so that a wait the reconciler
	// counts from a stop (reconcile/disconnect.go) ends when it said.
	reconciledAt time.Time
}

func newGeneric(batch bool, logger *slog.Logger, state State, planner Planner) *genericScheduler {
	return &genericScheduler{logger: logger, state: state, planner: planner, batch: batch, now: time.Now}
}

// Process implements Scheduler.
func (s *genericScheduler) Process(eval *drover.Evaluation) error {
	s.followupsDone = false
	return s.run(eval, s.attempt, func() bool { return true })
}

// run plans eval with attempt until a plan commits whole, at most
// MaxPlanAttempts times, then records the outcome on the eval. When block
// says so, placements that failed leave a blocked eval behind.
func (s *genericScheduler) run(eval *drover.Evaluation, attempt func() (bool, error), block func() bool) error {
	s.eval, s.blockedID = eval, ""
	s.rng = rand.New(rand.NewPCG(seedOf(eval.ID), uint64(eval.CreateIndex)))
	log := s.logger.With("eval_id", eval.ID, "job_id", eval.JobID)
	for n := 1; ; n++ {
		if n > MaxPlanAttempts {
			log.Warn("plan attempts exhausted", "attempts", MaxPlanAttempts)
			return s.finish(drover.EvalStatusFailed, fmt.Sprintf("maximum plan attempts reached (%d)", MaxPlanAttempts))
		}
		done, err := attempt()
		if err != nil {
			return fmt.Errorf("scheduler: eval %s: %w", eval.ID, err)
		}
		if done {
			break
		}
		log.Debug("plan partially committed, replanning", "attempt", n)
	}
	if block() {
		if err := s.createBlockedEval(); err != nil {
			return fmt.Errorf("scheduler: eval %s: %w", eval.ID, err)
		}
	}
	return s.finish(drover.EvalStatusComplete, "")
}

// seedOf derives the placement randomness from the eval ID, so one
// evaluation planned twice from the same state chooses the same nodes.
func seedOf(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

// attempt plans once from s.state and submits the plan. done is false when
// the plan was committed only in part and must be planned again.
func (s *genericScheduler) attempt() (done bool, err error) {
	s.failed, s.queued = nil, map[string]int{}
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
	tainted, draining, err := s.taintedNodes(allocs)
	if err != nil {
		return false, err
	}
	s.reconciledAt = s.now()
	res := reconcile.Compute(reconcile.Input{Job: s.job, Allocs: allocs, TaintedNodes: tainted, DrainingNodes: draining,
		Batch: s.batch, Now: s.reconciledAt, EvalID: s.eval.ID})
	if s.job != nil {
		for _, tg := range s.job.TaskGroups {
			s.queued[tg.Name] = 0
		}
	}
	plan := &drover.Plan{EvalID: s.eval.ID, Priority: s.eval.Priority, Job: s.job, SnapshotIndex: s.snapIdx}
	if s.job != nil {
		plan.AllAtOnce = s.job.AllAtOnce
	}
	if s.eval.AnnotatePlan {
		plan.Annotations = annotations(res)
	}
	if err := s.fillPlan(plan, res); err != nil {
		return false, err
	}
	annotatePreemptions(plan)
	if err := s.addReplaceFollowups(res.ReplaceLater); err != nil {
		return false, fmt.Errorf("create follow-up eval: %w", err)
	}
	if err := s.addFollowups(plan, res.RescheduleLater); err != nil {
		return false, fmt.Errorf("create follow-up eval: %w", err)
	}
	// An annotated plan (a `job plan` dry run) is submitted even when it
	// changes nothing, so its planner sees the annotations.
	full, fresh, err := submitPlan(s.planner, s.logger, s.eval, plan)
	if fresh != nil {
		s.state = fresh
	}
	return full, err
}

// taintedNodes returns the nodes whose allocations are lost (down or gone)
// and, apart, the nodes that are draining but not down (by ID), whose
// allocations marked Migrate leave them. Only nodes of allocations that may
// still run are looked up.
func (s *genericScheduler) taintedNodes(allocs []*drover.Allocation) (tainted map[string]bool, draining map[string]*drover.Node, err error) {
	tainted, draining = map[string]bool{}, map[string]*drover.Node{}
	seen := map[string]bool{}
	for _, a := range allocs {
		if a.Terminal() || seen[a.NodeID] {
			continue
		}
		seen[a.NodeID] = true
		n, err := s.state.NodeByID(a.NodeID)
		if err != nil {
			return nil, nil, fmt.Errorf("read node %s: %w", a.NodeID, err)
		}
		switch {
		case n == nil || n.Status == drover.NodeStatusDown:
			tainted[a.NodeID] = true
		case n.DrainStrategy != nil:
			draining[a.NodeID] = n
		}
	}
	return tainted, draining, nil
}

// createBlockedEval creates one blocked evaluation for the placements that
// failed, so they are retried when capacity appears. An evaluation whose
// placements all succeeded creates none, which is what ends the chain when a
// retried blocked evaluation finally fits.
func (s *genericScheduler) createBlockedEval() error {
	if len(s.failed) == 0 {
		return nil
	}
	now := s.now().UnixNano()
	b := &drover.Evaluation{
		ID:           drover.GenerateID(),
		Namespace:    s.eval.Namespace,
		Priority:     s.eval.Priority,
		Type:         s.eval.Type,
		TriggeredBy:  drover.EvalTriggerQueuedAllocs,
		JobID:        s.eval.JobID,
		Status:       drover.EvalStatusBlocked,
		PreviousEval: s.eval.ID,
		// The state the placements failed on: capacity that appears after
		// it is what may unblock the evaluation.
		SnapshotIndex: s.snapIdx,
		CreateTime:    now,
		ModifyTime:    now,
	}
	if s.job != nil {
		b.JobModifyIndex = s.job.JobModifyIndex
	}
	b.BlockedNodes = s.blockedNodes
	if err := s.planner.CreateEval(b); err != nil {
		return fmt.Errorf("create blocked eval: %w", err)
	}
	s.blockedID = b.ID
	return nil
}

// finish records the evaluation's outcome. The caller's evaluation is not
// modified (it may be shared with a state store); a shallow copy with fresh
// maps is recorded.
func (s *genericScheduler) finish(status, desc string) error {
	e := *s.eval
	e.Status, e.StatusDescription = status, desc
	e.FailedTGAllocs = s.failed
	e.QueuedAllocations = s.queued
	e.SnapshotIndex = s.snapIdx
	if s.blockedID != "" {
		e.BlockedEval = s.blockedID
	}
	e.ModifyTime = s.now().UnixNano()
	if err := s.planner.UpdateEval(&e); err != nil {
		return fmt.Errorf("scheduler: eval %s: update eval: %w", s.eval.ID, err)
	}
	return nil
}
