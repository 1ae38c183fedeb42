package drover

// AllocResourceUsage is what an allocation's tasks use, as the client that
// runs it last measured, in the shape of Nomad's
// /v1/client/allocation/<id>/stats answer.
type AllocResourceUsage struct {
	// ResourceUsage is the sum over the tasks.
	ResourceUsage *ResourceUsage
	// Tasks holds each running task's usage, by task name. A task that is
	// not running, or whose driver measures nothing, is absent.
	Tasks map[string]*TaskResourceUsage
	// Timestamp is the newest of the tasks' timestamps, unix nanoseconds.
	Timestamp int64
}

// TaskResourceUsage is one task's usage at Timestamp (unix nanoseconds).
type TaskResourceUsage struct {
	ResourceUsage *ResourceUsage
	Timestamp     int64
	// Pids holds usage per process where a driver reports it; nil otherwise.
	Pids map[string]*ResourceUsage
}

// ResourceUsage is memory and CPU usage.
type ResourceUsage struct {
	MemoryStats *MemoryStats
	CpuStats    *CpuStats
}

// MemoryStats are memory amounts in bytes. Measured names the fields the
// driver actually measured ("RSS", "Cache", "Swap", "Usage", "Max Usage",
// "Kernel Usage", "Kernel Max Usage"); the others are zero.
type MemoryStats struct {
	RSS            uint64
	Cache          uint64
	Swap           uint64
	Usage          uint64
	MaxUsage       uint64
	KernelUsage    uint64
	KernelMaxUsage uint64
	Measured       []string
}

// CpuStats are CPU rates over the last sampling interval. Percent,
// UserMode and SystemMode are percentages of one core (a task busy on two
// cores shows 200); TotalTicks is the same rate in MHz, the unit of a
// task's cpu resource. ThrottledTime is in nanoseconds. Measured names the
// fields the driver actually measured ("System Mode", "User Mode",
// "Percent", "Throttled Periods", "Throttled Time").
type CpuStats struct {
	SystemMode       float64
	UserMode         float64
	TotalTicks       float64
	ThrottledPeriods uint64
	ThrottledTime    uint64
	Percent          float64
	Measured         []string
}

// Add adds other's amounts and rates to u, and merges the Measured lists.
// It is how an allocation's usage is summed from its tasks'.
func (u *ResourceUsage) Add(other *ResourceUsage) {
	if other == nil {
		return
	}
	if other.MemoryStats != nil {
		if u.MemoryStats == nil {
			u.MemoryStats = &MemoryStats{}
		}
		m, o := u.MemoryStats, other.MemoryStats
		m.RSS += o.RSS
		m.Cache += o.Cache
		m.Swap += o.Swap
		m.Usage += o.Usage
		m.MaxUsage += o.MaxUsage
		m.KernelUsage += o.KernelUsage
		m.KernelMaxUsage += o.KernelMaxUsage
		m.Measured = mergeMeasured(m.Measured, o.Measured)
	}
	if other.CpuStats != nil {
		if u.CpuStats == nil {
			u.CpuStats = &CpuStats{}
		}
		c, o := u.CpuStats, other.CpuStats
		c.SystemMode += o.SystemMode
		c.UserMode += o.UserMode
		c.TotalTicks += o.TotalTicks
		c.ThrottledPeriods += o.ThrottledPeriods
		c.ThrottledTime += o.ThrottledTime
		c.Percent += o.Percent
		c.Measured = mergeMeasured(c.Measured, o.Measured)
	}
}

// mergeMeasured returns a followed by the names of b not in a.
func mergeMeasured(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, s := range b {
		seen := false
		for _, t := range out {
			seen = seen || s == t
		}
		if !seen {
			out = append(out, s)
		}
	}
	return out
}
