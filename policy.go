package drover

import "time"

// Affinity expresses a preference (Weight -100..100, negative: avoid) for
// nodes matching LTarget Operand RTarget.
type Affinity struct {
	LTarget string
	RTarget string
	Operand string
	Weight  int8
}

// Spread spreads allocations over the values of Attribute, optionally with
// target percentages.
type Spread struct {
	Attribute    string
	Weight       int8
	SpreadTarget []*SpreadTarget
}

// SpreadTarget is a desired share of allocations for one attribute value.
type SpreadTarget struct {
	Value   string
	Percent uint8
}

// UpdateStrategy says how a job's new version replaces the old one.
type UpdateStrategy struct {
	// Stagger is the older name's delay between updates (deprecated).
	Stagger          time.Duration
	MaxParallel      int
	HealthCheck      string // "checks", "task_states" or "manual"
	MinHealthyTime   time.Duration
	HealthyDeadline  time.Duration
	ProgressDeadline time.Duration
	AutoRevert       bool
	AutoPromote      bool
	Canary           int
}

// Update health check modes.
const (
	UpdateHealthCheckChecks     = "checks"
	UpdateHealthCheckTaskStates = "task_states"
	UpdateHealthCheckManual     = "manual"
)

// MigrateStrategy says how allocations leave a draining node.
type MigrateStrategy struct {
	MaxParallel     int
	HealthCheck     string
	MinHealthyTime  time.Duration
	HealthyDeadline time.Duration
}

// ReschedulePolicy says how failed or lost allocations are placed again.
type ReschedulePolicy struct {
	Attempts      int
	Interval      time.Duration
	Delay         time.Duration
	DelayFunction string // "constant", "exponential" or "fibonacci"
	MaxDelay      time.Duration
	Unlimited     bool
}

// PeriodicConfig launches child jobs of a batch job on a schedule.
type PeriodicConfig struct {
	Enabled         bool
	Spec            string   // the first of Specs, as older clients read it
	Specs           []string // cron expressions
	SpecType        string   // "cron"
	ProhibitOverlap bool
	TimeZone        string
}

// ParameterizedJobConfig makes a batch job a template dispatched with a
// payload and meta.
type ParameterizedJobConfig struct {
	Payload      string // "optional", "required" or "forbidden"
	MetaRequired []string
	MetaOptional []string
}

// DisconnectStrategy says what happens to a group's allocations when their
// client loses contact with the servers.
type DisconnectStrategy struct {
	LostAfter         time.Duration
	StopOnClientAfter *time.Duration
	Replace           *bool
	Reconcile         string // "best_score", "keep_original", "keep_replacement", "longest_running"
}

// DNSConfig is the DNS configuration of a group's network namespace.
type DNSConfig struct {
	Servers  []string
	Searches []string
	Options  []string
}

// VolumeRequest asks for a volume (a host volume today) for a group.
type VolumeRequest struct {
	Name           string
	Type           string // "host"
	Source         string
	ReadOnly       bool
	AccessMode     string
	AttachmentMode string
	PerAlloc       bool
}

// VolumeMount mounts a group's volume into a task.
type VolumeMount struct {
	Volume          string
	Destination     string
	ReadOnly        bool
	PropagationMode string
}

// TaskLifecycleConfig places a task before, beside or after the main tasks.
type TaskLifecycleConfig struct {
	Hook    string // "prestart", "poststart" or "poststop"
	Sidecar bool
}

// Lifecycle hooks.
const (
	TaskLifecycleHookPrestart  = "prestart"
	TaskLifecycleHookPoststart = "poststart"
	TaskLifecycleHookPoststop  = "poststop"
)

// DispatchPayloadConfig says where a dispatched job's payload is written.
type DispatchPayloadConfig struct {
	File string
}

// WorkloadIdentity asks for a signed identity for a task.
type WorkloadIdentity struct {
	Name         string
	Audience     []string
	Env          bool
	File         bool
	ChangeMode   string
	ChangeSignal string
	TTL          time.Duration
}

// Template renders a file into the task's directory from live data.
type Template struct {
	SourcePath    string
	DestPath      string
	EmbeddedTmpl  string
	ChangeMode    string // "restart", "signal", "noop", "script"
	ChangeSignal  string
	Splay         time.Duration
	Perms         string
	Uid           *int
	Gid           *int
	LeftDelim     string
	RightDelim    string
	Envvars       bool
	ErrMissingKey bool
}

// TaskArtifact is a file fetched into the task's directory before it starts.
type TaskArtifact struct {
	GetterSource  string
	GetterOptions map[string]string
	GetterHeaders map[string]string
	GetterMode    string // "any", "file" or "dir"
	RelativeDest  string
}
