package drover

import "time"

// Internal RPC method names (port 4647). Servers register a handler for each;
// clients, the HTTP API and forwarding servers call them. Every call takes a
// *...Request and fills a *...Response.
const (
	MethodStatusLeader = "Status.Leader" // *GenericRequest → *string (leader RPC address)
	MethodStatusPing   = "Status.Ping"   // *GenericRequest → *GenericResponse

	MethodJobRegister    = "Job.Register"       // *JobRegisterRequest → *JobRegisterResponse
	MethodJobDeregister  = "Job.Deregister"     // *JobDeregisterRequest → *JobDeregisterResponse
	MethodJobGetJob      = "Job.GetJob"         // *JobSpecificRequest → *SingleJobResponse
	MethodJobList        = "Job.List"           // *JobListRequest → *JobListResponse
	MethodJobAllocations = "Job.Allocations"    // *JobSpecificRequest → *JobAllocationsResponse
	MethodJobEvaluations = "Job.Evaluations"    // *JobSpecificRequest → *JobEvaluationsResponse
	MethodJobSummary     = "Job.Summary"        // *JobSpecificRequest → *JobSummaryResponse
	MethodJobPlan        = "Job.Plan"           // *JobPlanRequest → *JobPlanResponse (a dry run: nothing is written)
	MethodJobValidate    = "Job.Validate"       // *JobValidateRequest → *JobValidateResponse
	MethodJobVersions    = "Job.GetJobVersions" // *JobVersionsRequest → *JobVersionsResponse
	MethodJobRevert      = "Job.Revert"         // *JobRevertRequest → *JobRegisterResponse

	MethodAllocList      = "Alloc.List"      // *AllocListRequest → *AllocListResponse
	MethodAllocGetAlloc  = "Alloc.GetAlloc"  // *AllocSpecificRequest → *SingleAllocResponse
	MethodAllocGetAllocs = "Alloc.GetAllocs" // *AllocsGetRequest → *AllocsGetResponse

	MethodEvalList    = "Eval.List"    // *EvalListRequest → *EvalListResponse
	MethodEvalGetEval = "Eval.GetEval" // *EvalSpecificRequest → *SingleEvalResponse

	MethodNodeRegister        = "Node.Register"        // *NodeRegisterRequest → *NodeUpdateResponse
	MethodNodeUpdateStatus    = "Node.UpdateStatus"    // *NodeUpdateStatusRequest → *NodeUpdateResponse (also the heartbeat)
	MethodNodeGetClientAllocs = "Node.GetClientAllocs" // *NodeSpecificRequest → *NodeClientAllocsResponse (blocking)
	MethodNodeUpdateAlloc     = "Node.UpdateAlloc"     // *AllocUpdateRequest → *GenericResponse
	MethodNodeList            = "Node.List"            // *NodeListRequest → *NodeListResponse
	MethodNodeGetNode         = "Node.GetNode"         // *NodeSpecificRequest → *SingleNodeResponse
	MethodNodeGetAllocs       = "Node.GetAllocs"       // *NodeSpecificRequest → *NodeAllocsResponse

	// Request and response types of the methods below live in the file of
	// their area: rpc_drain.go, rpc_operator.go, rpc_periodic.go.
	MethodNodeUpdateDrain       = "Node.UpdateDrain"       // *NodeUpdateDrainRequest → *NodeDrainUpdateResponse
	MethodNodeUpdateEligibility = "Node.UpdateEligibility" // *NodeUpdateEligibilityRequest → *NodeEligibilityUpdateResponse

	MethodOperatorSchedulerGetConfiguration = "Operator.SchedulerGetConfiguration" // *GenericRequest → *SchedulerConfigurationResponse
	MethodOperatorSchedulerSetConfiguration = "Operator.SchedulerSetConfiguration" // *SchedulerSetConfigRequest → *SchedulerSetConfigurationResponse

	MethodJobDispatch   = "Job.Dispatch"   // *JobDispatchRequest → *JobDispatchResponse
	MethodPeriodicForce = "Periodic.Force" // *PeriodicForceRequest → *PeriodicForceResponse

	MethodAllocStop = "Alloc.Stop" // *AllocStopRequest → *AllocStopResponse (rpc_alloc_control.go)
)

// QueryOptions are the common options of a read. A blocking query sets
// MinQueryIndex: the call returns once the result's index passes it, or after
// MaxQueryTime (capped by the server), whichever is first.
type QueryOptions struct {
	Region        string
	Namespace     string
	MinQueryIndex uint64
	MaxQueryTime  time.Duration
	AllowStale    bool
	// Prefix filters by ID prefix in list calls.
	Prefix string
}

// QueryMeta is returned with every read.
type QueryMeta struct {
	Index       uint64
	LastContact time.Duration
	KnownLeader bool
}

// WriteRequest holds the common options of a write.
type WriteRequest struct {
	Region    string
	Namespace string
}

// WriteMeta is returned with every write: the Raft index it committed at.
type WriteMeta struct {
	Index uint64
}

// GenericRequest carries only the common options.
type GenericRequest struct {
	QueryOptions
}

// GenericResponse carries only the write's index.
type GenericResponse struct {
	WriteMeta
}

// JobRegisterRequest registers or updates a job. With EnforceIndex the
// register succeeds only if the job's JobModifyIndex is JobModifyIndex (0:
// the job must not exist).
type JobRegisterRequest struct {
	Job            *Job
	EnforceIndex   bool
	JobModifyIndex uint64
	WriteRequest
}

// JobRegisterResponse names the evaluation the registration created.
type JobRegisterResponse struct {
	EvalID          string
	EvalCreateIndex uint64
	JobModifyIndex  uint64
	Warnings        string
	WriteMeta
}

// JobDeregisterRequest stops a job; Purge removes it from state entirely.
type JobDeregisterRequest struct {
	JobID string
	Purge bool
	WriteRequest
}

// JobDeregisterResponse names the evaluation that stops the allocations.
type JobDeregisterResponse struct {
	EvalID          string
	EvalCreateIndex uint64
	JobModifyIndex  uint64
	WriteMeta
}

// JobSpecificRequest reads one job, or its allocations, evaluations, summary.
type JobSpecificRequest struct {
	JobID string
	// All includes allocations of every job version (Job.Allocations).
	All bool
	QueryOptions
}

// SingleJobResponse: Job is nil when not found.
type SingleJobResponse struct {
	Job *Job
	QueryMeta
}

// JobListRequest lists jobs (QueryOptions.Prefix filters by ID).
type JobListRequest struct {
	QueryOptions
}

// JobListResponse lists jobs sorted by ID.
type JobListResponse struct {
	Jobs []*JobListStub
	QueryMeta
}

// JobAllocationsResponse lists a job's allocations.
type JobAllocationsResponse struct {
	Allocations []*AllocListStub
	QueryMeta
}

// JobEvaluationsResponse lists a job's evaluations.
type JobEvaluationsResponse struct {
	Evaluations []*Evaluation
	QueryMeta
}

// JobSummaryResponse: JobSummary is nil when the job is not found.
type JobSummaryResponse struct {
	JobSummary *JobSummary
	QueryMeta
}

// AllocListRequest lists allocations (Prefix filters by ID).
type AllocListRequest struct {
	QueryOptions
}

// AllocListResponse lists allocations.
type AllocListResponse struct {
	Allocations []*AllocListStub
	QueryMeta
}

// AllocSpecificRequest reads one allocation.
type AllocSpecificRequest struct {
	AllocID string
	QueryOptions
}

// SingleAllocResponse: Alloc is nil when not found.
type SingleAllocResponse struct {
	Alloc *Allocation
	QueryMeta
}

// AllocsGetRequest reads several allocations by ID (clients use it to fetch
// what changed).
type AllocsGetRequest struct {
	AllocIDs []string
	QueryOptions
}

// AllocsGetResponse holds the allocations found, in request order.
type AllocsGetResponse struct {
	Allocs []*Allocation
	QueryMeta
}

// EvalListRequest lists evaluations (Prefix filters by ID).
type EvalListRequest struct {
	QueryOptions
}

// EvalListResponse lists evaluations.
type EvalListResponse struct {
	Evaluations []*Evaluation
	QueryMeta
}

// EvalSpecificRequest reads one evaluation.
type EvalSpecificRequest struct {
	EvalID string
	QueryOptions
}

// SingleEvalResponse: Eval is nil when not found.
type SingleEvalResponse struct {
	Eval *Evaluation
	QueryMeta
}

// NodeRegisterRequest registers (or re-registers) a client node.
type NodeRegisterRequest struct {
	Node *Node
	WriteRequest
}

// NodeUpdateStatusRequest changes a node's status; a client sends it with
// Status ready as its heartbeat.
type NodeUpdateStatusRequest struct {
	NodeID   string
	SecretID string
	Status   string
	WriteRequest
}

// NodeUpdateResponse tells the client how soon it must heartbeat again.
type NodeUpdateResponse struct {
	HeartbeatTTL  time.Duration
	EvalIDs       []string
	LeaderRPCAddr string
	WriteMeta
}

// NodeSpecificRequest reads one node or its allocations.
type NodeSpecificRequest struct {
	NodeID   string
	SecretID string
	QueryOptions
}

// NodeClientAllocsResponse maps each of the node's allocation IDs to its
// AllocModifyIndex, so the client fetches only what changed.
type NodeClientAllocsResponse struct {
	Allocs map[string]uint64
	QueryMeta
}

// AllocUpdateRequest carries client-side status of allocations (ClientStatus,
// ClientDescription, TaskStates), batched by the client.
type AllocUpdateRequest struct {
	Alloc []*Allocation
	WriteRequest
}

// NodeListRequest lists nodes (Prefix filters by ID).
type NodeListRequest struct {
	QueryOptions
	// Fields asks for more of each node in its stub.
	Fields NodeStubFields
}

// NodeListResponse lists nodes.
type NodeListResponse struct {
	Nodes []*NodeListStub
	QueryMeta
}

// SingleNodeResponse: Node is nil when not found.
type SingleNodeResponse struct {
	Node *Node
	QueryMeta
}

// NodeAllocsResponse lists a node's allocations.
type NodeAllocsResponse struct {
	Allocs []*Allocation
	QueryMeta
}

// JobPlanRequest asks what registering Job would do, without doing it.
// With Diff the response holds the difference from the running version.
type JobPlanRequest struct {
	Job  *Job
	Diff bool
	WriteRequest
}

// JobPlanResponse is the scheduler's dry run of a registration.
// JobModifyIndex is the current job's, for `job run -check-index`.
type JobPlanResponse struct {
	Annotations    *PlanAnnotations
	FailedTGAllocs map[string]*AllocMetric
	JobModifyIndex uint64
	CreatedEvals   []*Evaluation
	Diff           *JobDiff
	// NextPeriodicLaunch is the next launch of a periodic job (zero if none).
	NextPeriodicLaunch time.Time
	Warnings           string
	WriteMeta
}

// JobValidateRequest validates a job as a registration would.
type JobValidateRequest struct {
	Job *Job
	WriteRequest
}

// JobValidateResponse lists every problem (ValidationErrors) and warnings;
// Error joins the problems in one message.
type JobValidateResponse struct {
	DriverConfigValidated bool
	ValidationErrors      []string
	Error                 string
	Warnings              string
}

// JobVersionsRequest reads every stored version of a job, newest first;
// with Diffs, the difference of each version from the one before it.
type JobVersionsRequest struct {
	JobID string
	Diffs bool
	QueryOptions
}

// JobVersionsResponse: Diffs[i] is the difference from Versions[i+1] to
// Versions[i].
type JobVersionsResponse struct {
	Versions []*Job
	Diffs    []*JobDiff
	QueryMeta
}

// JobRevertRequest registers an earlier version of a job again, as a new
// version. With EnforcePriorVersion set, the revert happens only if the
// current version is that one.
type JobRevertRequest struct {
	JobID               string
	JobVersion          uint64
	EnforcePriorVersion *uint64
	WriteRequest
}
