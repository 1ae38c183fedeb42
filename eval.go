package drover

import "time"

// Evaluation statuses.
const (
	EvalStatusBlocked   = "blocked"
	EvalStatusPending   = "pending"
	EvalStatusComplete  = "complete"
	EvalStatusFailed    = "failed"
	EvalStatusCancelled = "canceled"
)

// What triggered an evaluation.
const (
	EvalTriggerJobRegister   = "job-register"
	EvalTriggerJobDeregister = "job-deregister"
	EvalTriggerNodeUpdate    = "node-update"
	EvalTriggerAllocFailure  = "alloc-failure"
	EvalTriggerQueuedAllocs  = "queued-allocs"
	EvalTriggerMaxPlans      = "max-plan-attempts"
	EvalTriggerRetryFailed   = "failed-follow-up"
	EvalTriggerPeriodicJob   = "periodic-job"
	EvalTriggerJobDispatch   = "job-dispatch"
	EvalTriggerNodeDrain     = "node-drain"
	EvalTriggerPreemption    = "preemption"
	EvalTriggerAllocStop     = "alloc-stop"
	EvalTriggerScheduling    = "scheduler-configuration"
)

// Evaluation is a request to reconcile a job's desired and actual state. The
// scheduler processes it into a plan.
type Evaluation struct {
	ID                string
	Namespace         string
	Priority          int
	Type              string // the job's type: picks the scheduler
	TriggeredBy       string
	JobID             string
	JobModifyIndex    uint64
	NodeID            string
	NodeModifyIndex   uint64
	Status            string
	StatusDescription string
	Wait              time.Duration
	WaitUntil         time.Time
	NextEval          string
	PreviousEval      string
	BlockedEval       string
	// FailedTGAllocs explains, per group, why placements failed.
	FailedTGAllocs map[string]*AllocMetric
	// QueuedAllocations counts, per group, placements still to be made.
	QueuedAllocations map[string]int
	// SnapshotIndex is the state index the scheduler worked from.
	SnapshotIndex uint64
	// BlockedNodes, on a blocked evaluation of a system or sysbatch job,
	// are the nodes that lacked resources for it: only capacity freed on
	// one of them can let it place more. Empty: any capacity may.
	BlockedNodes []string
	// AnnotatePlan asks the scheduler to fill Plan.Annotations (job plan).
	AnnotatePlan bool

	CreateIndex uint64
	ModifyIndex uint64
	CreateTime  int64 // unix nanoseconds
	ModifyTime  int64 // unix nanoseconds
}

// Terminal reports whether the evaluation is done.
func (e *Evaluation) Terminal() bool {
	switch e.Status {
	case EvalStatusComplete, EvalStatusFailed, EvalStatusCancelled:
		return true
	}
	return false
}

// Copy returns a deep copy of the evaluation.
func (e *Evaluation) Copy() *Evaluation {
	if e == nil {
		return nil
	}
	var c Evaluation
	copyViaMsgpack(e, &c)
	return &c
}

// AllocMetric explains a placement: how many nodes were looked at, which were
// filtered out and why, which ran out of which resource, and the scores.
type AllocMetric struct {
	NodesEvaluated     int
	NodesFiltered      int
	NodesInPool        int
	NodesAvailable     map[string]int // by datacenter
	ClassFiltered      map[string]int
	ConstraintFiltered map[string]int // by constraint or check, e.g. "missing drivers"
	NodesExhausted     int
	ClassExhausted     map[string]int
	DimensionExhausted map[string]int // by dimension: "cpu", "memory", "disk", "network: port collision"
	QuotaExhausted     []string
	ScoreMetaData      []*NodeScoreMeta
	AllocationTime     time.Duration
	CoalescedFailures  int
}

// NodeScoreMeta is the score a node got for a placement.
type NodeScoreMeta struct {
	NodeID    string
	Scores    map[string]float64
	NormScore float64
}

// FilterNode counts a node filtered out for reason.
func (m *AllocMetric) FilterNode(class, reason string) {
	m.NodesFiltered++
	if class != "" {
		if m.ClassFiltered == nil {
			m.ClassFiltered = map[string]int{}
		}
		m.ClassFiltered[class]++
	}
	if reason != "" {
		if m.ConstraintFiltered == nil {
			m.ConstraintFiltered = map[string]int{}
		}
		m.ConstraintFiltered[reason]++
	}
}

// ExhaustedNode counts a node that passed the filters but lacked dimension.
func (m *AllocMetric) ExhaustedNode(class, dimension string) {
	m.NodesExhausted++
	if class != "" {
		if m.ClassExhausted == nil {
			m.ClassExhausted = map[string]int{}
		}
		m.ClassExhausted[class]++
	}
	if dimension != "" {
		if m.DimensionExhausted == nil {
			m.DimensionExhausted = map[string]int{}
		}
		m.DimensionExhausted[dimension]++
	}
}
