package drover

import (
	"fmt"
	"time"
)

// Job types.
const (
	JobTypeService  = "service"
	JobTypeBatch    = "batch"
	JobTypeSystem   = "system"
	JobTypeSysBatch = "sysbatch"
)

// Job statuses, as Nomad reports them.
const (
	JobStatusPending = "pending" // no allocation has been placed yet
	JobStatusRunning = "running" // at least one allocation is not terminal
	JobStatusDead    = "dead"    // stopped, or every allocation is terminal
)

// Defaults applied by Canonicalize, matching Nomad's.
const (
	DefaultNamespace        = "default"
	DefaultRegion           = "global"
	DefaultNodePool         = "default"
	DefaultPriority         = 50
	MinPriority             = 1
	MaxPriority             = 100
	DefaultCPU              = 100 // MHz
	DefaultMemoryMB         = 300
	DefaultDiskMB           = 300
	DefaultKillTimeout      = 5 * time.Second
	DefaultLogMaxFiles      = 10
	DefaultLogMaxFileSizeMB = 10
)

// Restart modes.
const (
	RestartModeFail  = "fail"  // after Attempts within Interval, the task fails
	RestartModeDelay = "delay" // after Attempts within Interval, wait out the interval and go on
)

// Job is a unit of work a user submits: one or more task groups, each placed
// Count times. Objects read from the state store are shared: Copy before
// changing one.
type Job struct {
	Region      string
	Namespace   string
	ID          string
	ParentID    string
	Name        string
	Type        string
	Priority    int
	AllAtOnce   bool
	Datacenters []string
	NodePool    string
	Constraints []*Constraint
	Affinities  []*Affinity
	Spreads     []*Spread
	TaskGroups  []*TaskGroup
	Meta        map[string]string

	// Update, Migrate and Reschedule at job level are each group's defaults.
	Update     *UpdateStrategy
	Migrate    *MigrateStrategy
	Reschedule *ReschedulePolicy

	Periodic         *PeriodicConfig
	ParameterizedJob *ParameterizedJobConfig
	// Payload is a dispatched child job's input.
	Payload []byte
	// Dispatched marks a child job created by dispatch.
	Dispatched bool

	// Stop marks a job the user stopped; its allocations are stopped but the
	// job stays until purged or garbage-collected.
	Stop              bool
	Status            string
	StatusDescription string
	Stable            bool
	// Version counts registrations that changed the job, from 0.
	Version    uint64
	SubmitTime int64 // unix nanoseconds

	CreateIndex    uint64
	ModifyIndex    uint64
	JobModifyIndex uint64 // index of the last change to the job's spec
}

// Constraint restricts the nodes a job, group or task may be placed on.
type Constraint struct {
	LTarget string
	RTarget string
	Operand string
}

func (c *Constraint) String() string { return fmt.Sprintf("%s %s %s", c.LTarget, c.Operand, c.RTarget) }

// TaskGroup is a set of tasks placed together on one node, Count times.
type TaskGroup struct {
	Name             string
	Count            int
	Constraints      []*Constraint
	Affinities       []*Affinity
	Spreads          []*Spread
	Tasks            []*Task
	RestartPolicy    *RestartPolicy
	ReschedulePolicy *ReschedulePolicy
	Migrate          *MigrateStrategy
	Update           *UpdateStrategy
	// Networks holds the group's network, whose ports are shared by its tasks.
	Networks      []*NetworkResource
	Services      []*Service
	Volumes       map[string]*VolumeRequest
	EphemeralDisk *EphemeralDisk
	Meta          map[string]string
	ShutdownDelay *time.Duration
	Disconnect    *DisconnectStrategy
	// MaxClientDisconnect and StopAfterClientDisconnect are the older forms
	// of Disconnect.LostAfter and Disconnect.StopOnClientAfter.
	MaxClientDisconnect       *time.Duration
	StopAfterClientDisconnect *time.Duration
}

// EphemeralDisk is the scratch disk of a group's allocation directory.
type EphemeralDisk struct {
	Sticky  bool
	SizeMB  int
	Migrate bool
}

// Task is one process (or container) run by a driver.
type Task struct {
	Name          string
	Driver        string
	User          string
	Config        map[string]any
	Env           map[string]string
	Resources     *Resources
	RestartPolicy *RestartPolicy
	Constraints   []*Constraint
	Affinities    []*Affinity
	Meta          map[string]string
	KillTimeout   time.Duration
	KillSignal    string
	LogConfig     *LogConfig
	Leader        bool

	Services        []*Service
	Templates       []*Template
	Artifacts       []*TaskArtifact
	Lifecycle       *TaskLifecycleConfig
	ShutdownDelay   time.Duration
	DispatchPayload *DispatchPayloadConfig
	VolumeMounts    []*VolumeMount
	Identity        *WorkloadIdentity
	Identities      []*WorkloadIdentity
}

// LogConfig bounds the task's log files: at most MaxFiles files of
// MaxFileSizeMB each, per stream.
type LogConfig struct {
	MaxFiles      int
	MaxFileSizeMB int
	Disabled      bool
}

// Resources a task asks for.
type Resources struct {
	CPU         int // MHz
	Cores       int
	MemoryMB    int
	MemoryMaxMB int
	DiskMB      int
	Networks    []*NetworkResource
}

// NetworkResource is a network a group or task asks for, or (in an
// allocation) the one it was given: the node's IP and the ports chosen.
type NetworkResource struct {
	Mode          string
	Device        string
	CIDR          string
	IP            string
	Hostname      string
	DNS           *DNSConfig
	MBits         int
	ReservedPorts []Port // static ports
	DynamicPorts  []Port // ports the scheduler chooses
}

// Port is a labelled port. Value is the host port (static, or chosen by the
// scheduler for a dynamic port); To is the port inside the task's network.
type Port struct {
	Label       string
	Value       int
	To          int
	HostNetwork string
}

// RestartPolicy says how a task runner restarts a task that exited or failed:
// at most Attempts restarts within Interval, each after Delay; then Mode.
type RestartPolicy struct {
	Attempts int
	Interval time.Duration
	Delay    time.Duration
	Mode     string
}

// DefaultRestartPolicy returns Nomad's default restart policy for a job type.
func DefaultRestartPolicy(jobType string) *RestartPolicy {
	switch jobType {
	case JobTypeBatch, JobTypeSysBatch:
		return &RestartPolicy{Attempts: 3, Interval: 24 * time.Hour, Delay: 15 * time.Second, Mode: RestartModeFail}
	default:
		return &RestartPolicy{Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: RestartModeFail}
	}
}

// LookupTaskGroup returns the named group, or nil.
func (j *Job) LookupTaskGroup(name string) *TaskGroup {
	for _, tg := range j.TaskGroups {
		if tg.Name == name {
			return tg
		}
	}
	return nil
}

// LookupTask returns the named task, or nil.
func (tg *TaskGroup) LookupTask(name string) *Task {
	for _, t := range tg.Tasks {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Copy returns a deep copy of the job, for changing a job read from state.
func (j *Job) Copy() *Job {
	if j == nil {
		return nil
	}
	var c Job
	copyViaMsgpack(j, &c)
	return &c
}

// JobListStub is the summary of a job in list responses.
type JobListStub struct {
	ID                string
	ParentID          string
	Name              string
	Namespace         string
	Datacenters       []string
	Type              string
	Priority          int
	Status            string
	StatusDescription string
	Stop              bool
	// Periodic and ParameterizedJob mark parents, as in Nomad's list.
	Periodic         bool
	ParameterizedJob bool
	Version          uint64
	JobSummary       *JobSummary
	SubmitTime       int64
	CreateIndex      uint64
	ModifyIndex      uint64
	JobModifyIndex   uint64
	// Meta is the job's meta. The HTTP list answers it only with ?meta=true,
	// as Nomad's, but list filters can always select on it.
	Meta map[string]string `json:",omitempty"`
}

// Stub returns the list form of the job; summary may be nil.
func (j *Job) Stub(summary *JobSummary) *JobListStub {
	return &JobListStub{
		ID: j.ID, ParentID: j.ParentID, Name: j.Name, Namespace: j.Namespace,
		Datacenters: j.Datacenters, Type: j.Type, Priority: j.Priority,
		Status: j.Status, StatusDescription: j.StatusDescription, Stop: j.Stop,
		Periodic: j.IsPeriodic(), ParameterizedJob: j.IsParameterized(),
		Version: j.Version, JobSummary: summary, SubmitTime: j.SubmitTime,
		CreateIndex: j.CreateIndex, ModifyIndex: j.ModifyIndex, JobModifyIndex: j.JobModifyIndex,
		Meta: j.Meta,
	}
}

// JobSummary counts a job's allocations by client status, per group.
type JobSummary struct {
	JobID     string
	Namespace string
	Summary   map[string]TaskGroupSummary
	// Children counts a periodic or parameterized job's child jobs by
	// status; nil for other jobs.
	Children    *JobChildrenSummary
	CreateIndex uint64
	ModifyIndex uint64
}

// JobChildrenSummary counts a parent job's children by job status.
type JobChildrenSummary struct {
	Pending int64
	Running int64
	Dead    int64
}

// PeriodicLaunch records the last time a periodic job launched a child, so
// a new leader neither repeats nor skips a launch.
type PeriodicLaunch struct {
	ID          string // the periodic job's ID
	Namespace   string
	Launch      time.Time
	CreateIndex uint64
	ModifyIndex uint64
}

// Child job ID infixes: a periodic child is "<parent>/periodic-<unix
// seconds>", a dispatched one "<parent>/dispatch-<unix seconds>-<8 hex>".
const (
	PeriodicLaunchSuffix = "/periodic-"
	DispatchLaunchSuffix = "/dispatch-"
)

// IsPeriodic reports whether the job is a periodic template (as Nomad's,
// whether or not its schedule is enabled: a disabled one launches nothing
// and never runs itself). See IsPeriodicActive.
func (j *Job) IsPeriodic() bool { return j.Periodic != nil }

// IsParameterized reports whether the job is a template for dispatch (and
// not itself a dispatched child).
func (j *Job) IsParameterized() bool { return j.ParameterizedJob != nil && !j.Dispatched }

// IsParent reports whether the job only launches children and never runs
// allocations of its own.
func (j *Job) IsParent() bool { return j.IsPeriodic() || j.IsParameterized() }

// TaskGroupSummary counts one group's allocations by state. Queued counts
// placements the scheduler could not make yet.
type TaskGroupSummary struct {
	Queued   int
	Complete int
	Failed   int
	Running  int
	Starting int
	Lost     int
	Unknown  int
}
