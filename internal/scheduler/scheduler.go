// Package scheduler turns an evaluation into a plan: it reads a job, its
// allocations and the cluster's nodes through the State interface it
// declares, decides what to stop and place (package reconcile), chooses nodes
// (package feasible), and submits the plan through the Planner interface it
// declares. It never imports the server or the state store; anything that
// satisfies State and Planner can drive it (see package schedtest).
package scheduler

import (
	"errors"
	"fmt"
	"log/slog"

	drover "github.com/drover-sh/drover"
)

// State is the read-only view of the cluster the scheduler plans from. It is
// a snapshot: it must not change while Process runs.
type State interface {
	// Nodes returns every node.
	Nodes() ([]*drover.Node, error)
	// NodeByID returns the node, or nil, nil if absent.
	NodeByID(id string) (*drover.Node, error)
	// JobByID returns the job, or nil, nil if absent.
	JobByID(namespace, id string) (*drover.Job, error)
	// AllocsByJob returns the job's allocations of every version, terminal
	// ones included.
	AllocsByJob(namespace, jobID string) ([]*drover.Allocation, error)
	// AllocsByNode returns the node's allocations, terminal ones included.
	AllocsByNode(nodeID string) ([]*drover.Allocation, error)
	// LatestIndex returns the index the snapshot is at.
	LatestIndex() (uint64, error)
	// SchedulerConfig returns the cluster's scheduler configuration
	// (drover.DefaultSchedulerConfiguration when the operator set none).
	SchedulerConfig() (*drover.SchedulerConfiguration, error)
}

// Planner applies what the scheduler decided.
type Planner interface {
	// SubmitPlan commits what fits. If the result is partial, newState is a
	// fresher State to replan from.
	SubmitPlan(plan *drover.Plan) (result *drover.PlanResult, newState State, err error)
	// UpdateEval records the eval's final status, description,
	// FailedTGAllocs and QueuedAllocations.
	UpdateEval(eval *drover.Evaluation) error
	// CreateEval creates an evaluation, e.g. a blocked one (Status
	// "blocked") for placements that did not fit.
	CreateEval(eval *drover.Evaluation) error
}

// Scheduler processes evaluations of one job type.
type Scheduler interface {
	// Process plans and submits the changes the evaluation calls for, then
	// records the evaluation's outcome through Planner.UpdateEval. An error
	// means the outcome was not recorded (a state read, a plan submission or
	// an eval update failed) and the evaluation should be retried.
	Process(eval *drover.Evaluation) error
}

// New returns the scheduler for jobType reading from state and submitting to
// planner: service, batch, system and sysbatch. An unknown type is
// drover.ErrInvalid.
func New(jobType string, logger *slog.Logger, state State, planner Planner) (Scheduler, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	switch jobType {
	case drover.JobTypeService, drover.JobTypeBatch:
		return newGeneric(jobType == drover.JobTypeBatch, logger.With("scheduler", jobType), state, planner), nil
	case drover.JobTypeSystem, drover.JobTypeSysBatch:
		return newSystem(jobType == drover.JobTypeSysBatch, logger.With("scheduler", jobType), state, planner), nil
	}
	return nil, drover.Errorf(drover.ErrInvalid, "scheduler: unknown job type %q", jobType)
}

// submitPlan submits plan and reports whether it was committed whole. A
// plan that changes nothing is not submitted, unless eval asks for
// annotations (a `job plan` dry run, whose planner reads them). After a
// partial commit, fresh is the newer state to plan the rest from.
func submitPlan(planner Planner, logger *slog.Logger, eval *drover.Evaluation, plan *drover.Plan) (full bool, fresh State, err error) {
	if plan.IsNoOp() && !eval.AnnotatePlan {
		return true, nil, nil
	}
	result, newState, err := planner.SubmitPlan(plan)
	if err != nil {
		return false, nil, fmt.Errorf("submit plan: %w", err)
	}
	if result == nil {
		return false, nil, errors.New("submit plan: no result")
	}
	if full, expected, actual := result.FullCommit(plan); !full {
		logger.Debug("partial commit", "eval_id", eval.ID, "expected", expected, "committed", actual)
		return false, newState, nil
	}
	return true, nil, nil
}
