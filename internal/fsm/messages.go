package fsm

import (
	"fmt"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/state"
)

// MessageType tags a Raft log entry: the first byte of its data. The enum is
// append-only: a value, once released, is never renumbered or reused.
type MessageType uint8

// Message types. Append new ones at the end only.
const (
	NodeRegisterRequestType                 MessageType = iota // NodeRegisterRequest
	NodeUpdateStatusRequestType                                // NodeUpdateStatusRequest
	NodeDeregisterRequestType                                  // NodeDeregisterRequest
	JobRegisterRequestType                                     // JobRegisterRequest
	JobDeregisterRequestType                                   // JobDeregisterRequest
	EvalUpdateRequestType                                      // EvalUpdateRequest
	EvalDeleteRequestType                                      // EvalDeleteRequest
	AllocClientUpdateRequestType                               // AllocClientUpdateRequest
	ApplyPlanResultsRequestType                                // ApplyPlanResultsRequest
	NodeUpdateDrainRequestType                                 // NodeUpdateDrainRequest
	NodeUpdateEligibilityRequestType                           // NodeUpdateEligibilityRequest
	AllocUpdateDesiredTransitionRequestType                    // AllocUpdateDesiredTransitionRequest
	SchedulerConfigRequestType                                 // SchedulerConfigRequest
	PeriodicLaunchRequestType                                  // PeriodicLaunchRequest
	PeriodicChildRegisterRequestType                           // PeriodicChildRegisterRequest
)

// IgnoreUnknownTypeFlag, or-ed into a MessageType, lets a server that does
// not know the type skip the entry (with a warning) instead of failing. Set
// it on commands that are safe to miss, so servers of mixed versions can
// share a log during an upgrade.
const IgnoreUnknownTypeFlag MessageType = 128

var typeNames = map[MessageType]string{
	NodeRegisterRequestType:      "NodeRegister",
	NodeUpdateStatusRequestType:  "NodeUpdateStatus",
	NodeDeregisterRequestType:    "NodeDeregister",
	JobRegisterRequestType:       "JobRegister",
	JobDeregisterRequestType:     "JobDeregister",
	EvalUpdateRequestType:        "EvalUpdate",
	EvalDeleteRequestType:        "EvalDelete",
	AllocClientUpdateRequestType: "AllocClientUpdate",
	ApplyPlanResultsRequestType:  "ApplyPlanResults",

	NodeUpdateDrainRequestType:              "NodeUpdateDrain",
	NodeUpdateEligibilityRequestType:        "NodeUpdateEligibility",
	AllocUpdateDesiredTransitionRequestType: "AllocUpdateDesiredTransition",
	SchedulerConfigRequestType:              "SchedulerConfig",
	PeriodicLaunchRequestType:               "PeriodicLaunch",
	PeriodicChildRegisterRequestType:        "PeriodicChildRegister",
}

// String names the type (without the ignore flag).
func (t MessageType) String() string {
	if n, ok := typeNames[t&^IgnoreUnknownTypeFlag]; ok {
		return n
	}
	return fmt.Sprintf("MessageType(%d)", uint8(t))
}

// NodeRegisterRequest registers or updates a node.
type NodeRegisterRequest struct {
	Node *drover.Node
}

// NodeUpdateStatusRequest sets a node's status; UpdatedAt is unix seconds.
type NodeUpdateStatusRequest struct {
	NodeID    string
	Status    string
	UpdatedAt int64
}

// NodeDeregisterRequest removes a node.
type NodeDeregisterRequest struct {
	NodeID string
}

// JobRegisterRequest registers or updates a job and, when Eval is not nil,
// writes the evaluation it triggers in the same transaction.
type JobRegisterRequest struct {
	Job  *drover.Job
	Eval *drover.Evaluation
}

// JobDeregisterRequest stops a job (or deletes it with Purge) and writes
// Eval (may be nil) in the same transaction.
type JobDeregisterRequest struct {
	Namespace string
	JobID     string
	Purge     bool
	Eval      *drover.Evaluation
}

// EvalUpdateRequest creates or updates evaluations.
type EvalUpdateRequest struct {
	Evals []*drover.Evaluation
}

// EvalDeleteRequest removes evaluations and allocations (garbage
// collection).
type EvalDeleteRequest struct {
	Evals  []string
	Allocs []string
}

// AllocClientUpdateRequest records clients' reports on their allocations
// (ID, ClientStatus, ClientDescription, TaskStates, ModifyTime) and writes
// Evals (e.g. reschedules) in the same transaction.
type AllocClientUpdateRequest struct {
	Allocs []*drover.Allocation
	Evals  []*drover.Evaluation
}

// NodeUpdateDrainRequest starts (DrainStrategy set), updates or ends
// (DrainStrategy nil) a node's drain. Ending one with MarkEligible makes the
// node eligible again; otherwise it stays ineligible. Complete says the
// drainer ended it (every allocation left) rather than the operator. Meta
// is recorded in the node's LastDrain. UpdatedAt is unix nanoseconds. Evals
// are written in the same transaction.
type NodeUpdateDrainRequest struct {
	NodeID        string
	DrainStrategy *drover.DrainStrategy
	MarkEligible  bool
	Complete      bool
	Meta          map[string]string
	UpdatedAt     int64
	Evals         []*drover.Evaluation
}

// NodeUpdateEligibilityRequest sets a node's scheduling eligibility
// ("eligible" or "ineligible"); UpdatedAt is unix nanoseconds. Evals are
// written in the same transaction.
type NodeUpdateEligibilityRequest struct {
	NodeID      string
	Eligibility string
	UpdatedAt   int64
	Evals       []*drover.Evaluation
}

// AllocUpdateDesiredTransitionRequest merges transitions into allocations'
// DesiredTransition (by allocation ID) and writes Evals in the same
// transaction.
type AllocUpdateDesiredTransitionRequest struct {
	Allocs map[string]*drover.DesiredTransition
	Evals  []*drover.Evaluation
}

// SchedulerConfigRequest sets the scheduler configuration. With CAS it is
// applied only if the stored configuration's ModifyIndex equals
// Config.ModifyIndex (check-and-set); otherwise it is refused with
// drover.ErrConflict.
type SchedulerConfigRequest struct {
	Config drover.SchedulerConfiguration
	CAS    bool
}

// PeriodicLaunchRequest records a periodic job's latest launch.
type PeriodicLaunchRequest struct {
	Launch drover.PeriodicLaunch
}

// PeriodicChildRegisterRequest launches a periodic job's child: it
// registers Job (the child), writes Eval (may be nil) and records Launch
// (the parent's launch) in one transaction, so a child never exists
// without its launch recorded, nor the reverse.
type PeriodicChildRegisterRequest struct {
	Job    *drover.Job
	Eval   *drover.Evaluation
	Launch drover.PeriodicLaunch
}

// ApplyPlanResultsRequest is the plan applier's commit; it is defined by
// package state, which applies it in one transaction.
type ApplyPlanResultsRequest = state.ApplyPlanResultsRequest

// Encode returns the data of a Raft log entry: the type byte followed by
// msg in msgpack (drover's msgpack settings, reading only `codec` struct
// tags so that no `json:"-"` field is lost from the replicated state).
func Encode(t MessageType, msg any) ([]byte, error) {
	b, err := encodeMsgpack(msg)
	if err != nil {
		return nil, fmt.Errorf("fsm: encode %s: %w", t, err)
	}
	out := make([]byte, 0, len(b)+1)
	out = append(out, byte(t))
	return append(out, b...), nil
}
