package client

import (
	"context"
	"sync"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/allocrunner"
	"github.com/drover-sh/drover/internal/driver"
)

// Resource usage is sampled periodically rather than on request: a CPU rate
// needs two readings some time apart, so a sampler that reads every running
// task each StatsInterval can answer a request at once with the rate over
// the last interval, as Nomad's collection_interval does. A reading costs
// little (raw_exec scans /proc once per round for all its tasks).

// sampleTarget is one running task to read.
type sampleTarget struct {
	allocID, task, taskID string
	driver                driver.StatsDriver
}

// taskSample is what the sampler keeps per task: the last raw reading (for
// the next rate) and the usage computed from it.
type taskSample struct {
	taskID string // a new run of the task starts its rates afresh
	last   *driver.TaskResourceUsage
	usage  *drover.TaskResourceUsage
}

// statsSampler turns drivers' cumulative counters into Nomad-shaped usage
// with CPU rates. It is safe for concurrent use.
type statsSampler struct {
	now func() time.Time

	mu      sync.Mutex
	samples map[string]map[string]*taskSample // alloc ID → task name → sample
}

func newStatsSampler(now func() time.Time) *statsSampler {
	return &statsSampler{now: now, samples: map[string]map[string]*taskSample{}}
}

// sample reads every target and forgets tasks no longer among them. A
// task whose reading fails is forgotten too: it has most likely just
// exited. mhzPerCore converts a CPU percentage to MHz.
func (s *statsSampler) sample(targets []sampleTarget, mhzPerCore float64) {
	seen := map[string]map[string]bool{}
	for _, tg := range targets {
		if seen[tg.allocID] == nil {
			seen[tg.allocID] = map[string]bool{}
		}
		seen[tg.allocID][tg.task] = true
		s.sampleOne(tg, mhzPerCore)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for allocID, tasks := range s.samples {
		for name := range tasks {
			if !seen[allocID][name] {
				delete(tasks, name)
			}
		}
		if len(tasks) == 0 {
			delete(s.samples, allocID)
		}
	}
}

// sampleOne reads one task and records its usage.
func (s *statsSampler) sampleOne(tg sampleTarget, mhzPerCore float64) {
	reading, err := tg.driver.TaskStats(tg.taskID)
	s.mu.Lock()
	defer s.mu.Unlock()
	tasks := s.samples[tg.allocID]
	if err != nil {
		delete(tasks, tg.task)
		return
	}
	if reading.Timestamp.IsZero() {
		reading.Timestamp = s.now()
	}
	if tasks == nil {
		tasks = map[string]*taskSample{}
		s.samples[tg.allocID] = tasks
	}
	prev := tasks[tg.task]
	if prev != nil && prev.taskID != tg.taskID {
		prev = nil
	}
	if prev != nil && reading.Timestamp.Before(prev.last.Timestamp) {
		return // a concurrent, newer reading was recorded first
	}
	var last *driver.TaskResourceUsage
	if prev != nil {
		last = prev.last
	}
	tasks[tg.task] = &taskSample{taskID: tg.taskID, last: reading, usage: usageOf(last, reading, mhzPerCore)}
}

// alloc returns the usage of an allocation's sampled tasks: each task's,
// their sum, and the newest timestamp. Tasks never sampled are absent.
func (s *statsSampler) alloc(allocID string) *drover.AllocResourceUsage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &drover.AllocResourceUsage{ResourceUsage: &drover.ResourceUsage{}, Tasks: map[string]*drover.TaskResourceUsage{}}
	for name, ts := range s.samples[allocID] {
		out.Tasks[name] = ts.usage
		out.ResourceUsage.Add(ts.usage.ResourceUsage)
		out.Timestamp = max(out.Timestamp, ts.usage.Timestamp)
	}
	return out
}

// has reports whether the task has been sampled in its run taskID.
func (s *statsSampler) has(allocID, task, taskID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.samples[allocID][task]
	return ts != nil && ts.taskID == taskID
}

// usageOf computes a task's usage from its latest reading cur and the one
// before, prev (nil for the first reading of a run: the CPU rates are zero
// until a second reading exists). A counter that went backwards (a process
// whose reaped children's time left with it) counts as no progress.
func usageOf(prev, cur *driver.TaskResourceUsage, mhzPerCore float64) *drover.TaskResourceUsage {
	m := cur.Memory
	cpu := &drover.CpuStats{
		ThrottledPeriods: cur.CPU.ThrottledPeriods,
		ThrottledTime:    uint64(max(cur.CPU.ThrottledTime, 0)),
		Measured:         append([]string(nil), cur.CPU.Measured...),
	}
	if prev != nil {
		if wall := cur.Timestamp.Sub(prev.Timestamp); wall > 0 {
			cpu.UserMode = percentOf(cur.CPU.UserTime-prev.CPU.UserTime, wall)
			cpu.SystemMode = percentOf(cur.CPU.SystemTime-prev.CPU.SystemTime, wall)
			cpu.Percent = cpu.UserMode + cpu.SystemMode
			cpu.TotalTicks = cpu.Percent / 100 * mhzPerCore
		}
	}
	return &drover.TaskResourceUsage{
		Timestamp: cur.Timestamp.UnixNano(),
		ResourceUsage: &drover.ResourceUsage{
			CpuStats: cpu,
			MemoryStats: &drover.MemoryStats{
				RSS: m.RSS, Cache: m.Cache, Swap: m.Swap, Usage: m.Usage, MaxUsage: m.MaxUsage,
				KernelUsage: m.KernelUsage, KernelMaxUsage: m.KernelMaxUsage,
				Measured: append([]string(nil), m.Measured...),
			},
		},
	}
}

// percentOf is used as a percentage of wall; negative use counts as none.
func percentOf(used, wall time.Duration) float64 {
	if used <= 0 {
		return 0
	}
	return float64(used) / float64(wall) * 100
}

// statsLoop samples every running task each StatsInterval until ctx ends.
func (c *Client) statsLoop(ctx context.Context) {
	for sleep(ctx, c.cfg.StatsInterval) {
		c.sampleStats()
	}
}

// sampleStats reads every running task whose driver measures usage.
func (c *Client) sampleStats() {
	c.mu.Lock()
	runners := make([]*allocrunner.AllocRunner, 0, len(c.runners))
	for _, ar := range c.runners {
		runners = append(runners, ar)
	}
	c.mu.Unlock()
	var targets []sampleTarget
	for _, ar := range runners {
		targets = append(targets, statsTargets(ar)...)
	}
	c.stats.sample(targets, c.mhzPerCore())
}

// statsTargets lists the allocation's running tasks whose driver measures
// usage.
func statsTargets(ar *allocrunner.AllocRunner) []sampleTarget {
	var out []sampleTarget
	for _, rt := range ar.RunningTasks() {
		if sd, ok := rt.Driver.(driver.StatsDriver); ok {
			out = append(out, sampleTarget{allocID: ar.ID(), task: rt.Name, taskID: rt.TaskID, driver: sd})
		}
	}
	return out
}

// mhzPerCore is the node's CPU speed per core, which turns a CPU
// percentage into MHz.
func (c *Client) mhzPerCore() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.node.NodeResources
	if r == nil || r.Cpu.TotalCpuCores <= 0 {
		return 0
	}
	return float64(r.Cpu.CpuShares) / float64(r.Cpu.TotalCpuCores)
}

// AllocStats returns the resource usage of a running allocation on this
// client, as last sampled. A task started since the last round is read at
// once (its CPU rates are zero until the next round). An allocation not on
// this client is a drover.ErrNotFound; one whose tasks have all finished is
// a drover.ErrConflict, as there is no usage left to report.
func (c *Client) AllocStats(allocID string) (*drover.AllocResourceUsage, error) {
	c.mu.Lock()
	ar := c.runners[allocID]
	c.mu.Unlock()
	if ar == nil {
		return nil, drover.Errorf(drover.ErrNotFound, "allocation %s is not on this client", allocID)
	}
	if a := ar.Alloc(); a.ClientTerminal() {
		return nil, drover.Errorf(drover.ErrConflict,
			"allocation %s is %s: its tasks no longer run, so it has no resource usage",
			drover.ShortID(allocID), a.ClientStatus)
	}
	var fresh []sampleTarget
	for _, tg := range statsTargets(ar) {
		if !c.stats.has(tg.allocID, tg.task, tg.taskID) {
			fresh = append(fresh, tg)
		}
	}
	mhz := c.mhzPerCore()
	for _, tg := range fresh {
		c.stats.sampleOne(tg, mhz)
	}
	return c.stats.alloc(allocID), nil
}
