package driver

import "time"

// StatsDriver is the optional capability of a driver that can measure what
// its tasks use. The client asks every running task of such a driver
// periodically and turns the counters into rates; a driver without it shows
// no usage.
type StatsDriver interface {
	// TaskStats reads the task's resource counters now. It returns
	// ErrTaskNotFound for an unknown task, and an error for a task that has
	// exited: an exited task uses nothing and its counters are gone.
	TaskStats(taskID string) (*TaskResourceUsage, error)
}

// TaskResourceUsage is one reading of a task's counters. CPU times are
// cumulative since the task started, so the client derives a rate from two
// readings; memory values are the amounts at the moment of reading.
type TaskResourceUsage struct {
	// Timestamp is when the counters were read.
	Timestamp time.Time
	CPU       CPUUsage
	Memory    MemoryUsage
}

// CPUUsage holds cumulative CPU counters.
type CPUUsage struct {
	// UserTime and SystemTime are the CPU time the task has spent in user
	// and kernel mode since it started, over all its processes and cores.
	UserTime   time.Duration
	SystemTime time.Duration
	// ThrottledPeriods and ThrottledTime count the CFS periods in which the
	// task was throttled, and for how long, where a cgroup reports them.
	ThrottledPeriods uint64
	ThrottledTime    time.Duration
	// Measured names the values this driver actually measures, in Nomad's
	// words: "User Mode", "System Mode", "Percent", "Throttled Periods",
	// "Throttled Time". The client reports only these.
	Measured []string
}

// MemoryUsage holds memory amounts in bytes.
type MemoryUsage struct {
	RSS            uint64
	Cache          uint64
	Swap           uint64
	Usage          uint64
	MaxUsage       uint64
	KernelUsage    uint64
	KernelMaxUsage uint64
	// Measured names the values this driver actually measures, in Nomad's
	// words: "RSS", "Cache", "Swap", "Usage", "Max Usage", "Kernel Usage",
	// "Kernel Max Usage".
	Measured []string
}

// Names of measured values, as Nomad reports them in Measured.
const (
	MeasuredRSS            = "RSS"
	MeasuredCache          = "Cache"
	MeasuredSwap           = "Swap"
	MeasuredUsage          = "Usage"
	MeasuredMaxUsage       = "Max Usage"
	MeasuredKernelUsage    = "Kernel Usage"
	MeasuredKernelMaxUsage = "Kernel Max Usage"

	MeasuredUserMode         = "User Mode"
	MeasuredSystemMode       = "System Mode"
	MeasuredPercent          = "Percent"
	MeasuredThrottledPeriods = "Throttled Periods"
	MeasuredThrottledTime    = "Throttled Time"
)
