package drover

import (
	"maps"
	"time"
)

// Desired statuses of an allocation: what the servers want.
const (
	AllocDesiredStatusRun   = "run"
	AllocDesiredStatusStop  = "stop"
	AllocDesiredStatusEvict = "evict"
)

// Client statuses of an allocation: what its client reports.
const (
	AllocClientStatusPending  = "pending"
	AllocClientStatusRunning  = "running"
	AllocClientStatusComplete = "complete"
	AllocClientStatusFailed   = "failed"
	AllocClientStatusLost     = "lost"
	AllocClientStatusUnknown  = "unknown"
)

// Task states.
const (
	TaskStatePending = "pending"
	TaskStateRunning = "running"
	TaskStateDead    = "dead"
)

// Task event types, as Nomad names them.
const (
	TaskReceived         = "Received"
	TaskSetup            = "Task Setup"
	TaskStarted          = "Started"
	TaskTerminated       = "Terminated"
	TaskRestarting       = "Restarting"
	TaskNotRestarting    = "Not Restarting"
	TaskDriverFailure    = "Driver Failure"
	TaskSetupFailure     = "Setup Failure"
	TaskKilling          = "Killing"
	TaskKilled           = "Killed"
	TaskSiblingFailed    = "Sibling Task Failed"
	TaskFailedValidation = "Failed Validation"
	// TaskDownloadingArtifacts: the client is fetching the task's artifacts.
	TaskDownloadingArtifacts = "Downloading Artifacts"
	// TaskArtifactDownloadFailed: an artifact could not be fetched, or was
	// refused; the task is restarted per its restart policy.
	TaskArtifactDownloadFailed = "Failed Artifact Download"
)

// Allocation is the placement of one instance of a task group on a node.
type Allocation struct {
	ID        string
	Namespace string
	EvalID    string
	// Name is "<job>.<group>[<index>]".
	Name     string
	NodeID   string
	NodeName string
	JobID    string
	// Job is the job version the allocation runs.
	Job       *Job
	TaskGroup string

	AllocatedResources *AllocatedResources

	DesiredStatus      string
	DesiredDescription string
	ClientStatus       string
	ClientDescription  string
	TaskStates         map[string]*TaskState

	// Metrics record how the scheduler chose the node.
	Metrics *AllocMetric

	PreviousAllocation string
	NextAllocation     string

	// DesiredTransition is what the servers want done to the allocation
	// beyond its DesiredStatus: migrated off a draining node, rescheduled.
	DesiredTransition DesiredTransition

	// PreemptedAllocations are the allocations this one evicted to fit;
	// PreemptedByAllocation is the allocation that evicted this one.
	PreemptedAllocations  []string
	PreemptedByAllocation string

	// RescheduleTracker records the reschedules that led to this allocation
	// (nil for one never rescheduled); see reschedule.go.
	RescheduleTracker *RescheduleTracker
	// FollowupEvalID is the evaluation that will reschedule this failed
	// allocation once its reschedule delay has passed.
	FollowupEvalID string

	CreateIndex      uint64
	ModifyIndex      uint64
	AllocModifyIndex uint64 // index of the last server-side change the client must act on
	CreateTime       int64  // unix nanoseconds
	ModifyTime       int64  // unix nanoseconds
}

// DesiredTransition marks an allocation for a change the scheduler carries
// out. Nil fields are unset; merging a transition keeps the fields it leaves
// nil.
type DesiredTransition struct {
	// Migrate: the allocation's node is draining; place a replacement
	// elsewhere, then stop this one.
	Migrate *bool
	// Reschedule: place a replacement even though the allocation did not
	// fail (alloc stop).
	Reschedule *bool
	// ForceReschedule: reschedule a failed allocation now, whatever its
	// policy says.
	ForceReschedule *bool
}

// ShouldMigrate reports whether Migrate is set to true.
func (d DesiredTransition) ShouldMigrate() bool { return d.Migrate != nil && *d.Migrate }

// ShouldReschedule reports whether Reschedule is set to true.
func (d DesiredTransition) ShouldReschedule() bool { return d.Reschedule != nil && *d.Reschedule }

// ShouldForceReschedule reports whether ForceReschedule is set to true.
func (d DesiredTransition) ShouldForceReschedule() bool {
	return d.ForceReschedule != nil && *d.ForceReschedule
}

// Merge sets the fields of o that are set.
func (d *DesiredTransition) Merge(o *DesiredTransition) {
	if o == nil {
		return
	}
	if o.Migrate != nil {
		d.Migrate = o.Migrate
	}
	if o.Reschedule != nil {
		d.Reschedule = o.Reschedule
	}
	if o.ForceReschedule != nil {
		d.ForceReschedule = o.ForceReschedule
	}
}

// AllocatedResources are what the scheduler gave an allocation.
type AllocatedResources struct {
	Tasks  map[string]*AllocatedTaskResources
	Shared AllocatedSharedResources
}

// AllocatedTaskResources are one task's share.
type AllocatedTaskResources struct {
	Cpu      AllocatedCpuResources
	Memory   AllocatedMemoryResources
	Networks []*NetworkResource
}

// AllocatedCpuResources: CpuShares in MHz.
type AllocatedCpuResources struct {
	CpuShares     int64
	ReservedCores []int
}

// AllocatedMemoryResources in MB.
type AllocatedMemoryResources struct {
	MemoryMB    int64
	MemoryMaxMB int64
}

// AllocatedSharedResources are the group's: disk and the group network.
type AllocatedSharedResources struct {
	DiskMB   int64
	Networks []*NetworkResource
	Ports    []AllocatedPortMapping
}

// AllocatedPortMapping is a group port as allocated on the node.
type AllocatedPortMapping struct {
	Label  string
	Value  int
	To     int
	HostIP string
}

// TaskState is the client's view of one task of an allocation.
type TaskState struct {
	State       string
	Failed      bool
	Restarts    uint64
	LastRestart time.Time
	StartedAt   time.Time
	FinishedAt  time.Time
	Events      []*TaskEvent
}

// MaxTaskEvents bounds the events a task state keeps; older ones are dropped.
const MaxTaskEvents = 10

// TaskEvent is something that happened to a task.
type TaskEvent struct {
	Type           string
	Time           int64 // unix nanoseconds
	DisplayMessage string
	Message        string
	Details        map[string]string
	FailsTask      bool
	RestartReason  string
	SetupError     string
	DriverError    string
	DownloadError  string
	ExitCode       int
	Signal         int
	KillTimeout    time.Duration
	KillReason     string
	StartDelay     int64
}

// ClientTerminal reports whether the allocation's client status is final.
func (a *Allocation) ClientTerminal() bool { return ClientStatusTerminal(a.ClientStatus) }

// ClientStatusTerminal reports whether an allocation's client status is
// final: complete, failed or lost.
func ClientStatusTerminal(status string) bool {
	switch status {
	case AllocClientStatusComplete, AllocClientStatusFailed, AllocClientStatusLost:
		return true
	}
	return false
}

// ServerTerminal reports whether the servers want the allocation gone.
func (a *Allocation) ServerTerminal() bool {
	return a.DesiredStatus == AllocDesiredStatusStop || a.DesiredStatus == AllocDesiredStatusEvict
}

// Terminal reports whether the allocation is finished from either side: it
// no longer holds, or will soon release, its node's resources.
func (a *Allocation) Terminal() bool { return a.ServerTerminal() || a.ClientTerminal() }

// Index returns the allocation's index within its group, parsed from Name.
func (a *Allocation) Index() int {
	l := len(a.Name)
	if l < 3 || a.Name[l-1] != ']' {
		return -1
	}
	n, mult := 0, 1
	for i := l - 2; i >= 0; i-- {
		c := a.Name[i]
		if c == '[' {
			if mult == 1 {
				return -1
			}
			return n
		}
		if c < '0' || c > '9' {
			return -1
		}
		n += int(c-'0') * mult
		mult *= 10
	}
	return -1
}

// AllocName returns the allocation name for a job, group and index.
func AllocName(job, group string, index int) string {
	return job + "." + group + "[" + itoa(index) + "]"
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	p := len(b)
	neg := i < 0
	if neg {
		i = -i
	}
	for i > 0 {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		p--
		b[p] = '-'
	}
	return string(b[p:])
}

// Copy returns a copy of the allocation that shares its Job (jobs are never
// modified in place) but owns everything else.
func (a *Allocation) Copy() *Allocation {
	if a == nil {
		return nil
	}
	// Encode a shallow copy without the job, into a fresh value: decoding
	// into a copy of a would reuse (and so share) a's maps.
	shallow := *a
	shallow.Job = nil
	var c Allocation
	copyViaMsgpack(&shallow, &c)
	c.Job = a.Job
	return &c
}

// CopySkipJob returns a shallow copy with its own TaskStates map; tasks'
// states are shared and must be replaced, not modified. Cheap, for hot paths.
func (a *Allocation) CopySkipJob() *Allocation {
	c := *a
	c.TaskStates = maps.Clone(a.TaskStates)
	return &c
}

// AllocListStub is the summary of an allocation in list responses, in the
// shape of Nomad's.
type AllocListStub struct {
	ID         string
	EvalID     string
	Name       string
	Namespace  string
	NodeID     string
	NodeName   string
	JobID      string
	JobType    string
	JobVersion uint64
	TaskGroup  string
	// AllocatedResources is set only where a list is asked for resources
	// (GET /v1/allocations?resources=true); Stub leaves it nil.
	AllocatedResources *AllocatedResources `json:",omitempty"`
	DesiredStatus      string
	DesiredDescription string
	ClientStatus       string
	ClientDescription  string
	TaskStates         map[string]*TaskState

	FollowupEvalID        string
	NextAllocation        string
	RescheduleTracker     *RescheduleTracker
	PreemptedAllocations  []string
	PreemptedByAllocation string

	CreateIndex uint64
	ModifyIndex uint64
	CreateTime  int64
	ModifyTime  int64
}

// Stub returns the list form of the allocation.
func (a *Allocation) Stub() *AllocListStub {
	s := &AllocListStub{
		ID: a.ID, EvalID: a.EvalID, Name: a.Name, Namespace: a.Namespace,
		NodeID: a.NodeID, NodeName: a.NodeName, JobID: a.JobID, TaskGroup: a.TaskGroup,
		DesiredStatus: a.DesiredStatus, DesiredDescription: a.DesiredDescription,
		ClientStatus: a.ClientStatus, ClientDescription: a.ClientDescription,
		TaskStates:     a.TaskStates,
		FollowupEvalID: a.FollowupEvalID, NextAllocation: a.NextAllocation,
		RescheduleTracker:    a.RescheduleTracker,
		PreemptedAllocations: a.PreemptedAllocations, PreemptedByAllocation: a.PreemptedByAllocation,
		CreateIndex: a.CreateIndex, ModifyIndex: a.ModifyIndex,
		CreateTime: a.CreateTime, ModifyTime: a.ModifyTime,
	}
	if a.Job != nil {
		s.JobType = a.Job.Type
		s.JobVersion = a.Job.Version
	}
	return s
}
