package client

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/driver/mock"
)

// counters is a StatsDriver whose readings the test sets; a task absent
// from it fails to read.
type counters map[string]*driver.TaskResourceUsage

func (c counters) TaskStats(id string) (*driver.TaskResourceUsage, error) {
	u, ok := c[id]
	if !ok {
		return nil, fmt.Errorf("task %q: %w", id, driver.ErrTaskNotFound)
	}
	cp := *u
	return &cp, nil
}

func reading(at time.Time, user, sys time.Duration, rss uint64) *driver.TaskResourceUsage {
	return &driver.TaskResourceUsage{
		Timestamp: at,
		CPU:       driver.CPUUsage{UserTime: user, SystemTime: sys, Measured: []string{driver.MeasuredPercent}},
		Memory:    driver.MemoryUsage{RSS: rss, Measured: []string{driver.MeasuredRSS}},
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestSamplerRates drives the sampler with a fake clock: the first reading
// of a run has memory but no CPU rate, the next has the rate over the time
// between them, in percent and in MHz.
func TestSamplerRates(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	s := newStatsSampler(func() time.Time { return now })
	drv := counters{"run1": reading(t0, 4*time.Second, time.Second, 10<<20)}
	web := sampleTarget{allocID: "a1", task: "web", taskID: "run1", driver: drv}
	const mhzPerCore = 2000

	s.sample([]sampleTarget{web}, mhzPerCore)
	u := s.alloc("a1").Tasks["web"]
	if u == nil || u.ResourceUsage.MemoryStats.RSS != 10<<20 || u.ResourceUsage.CpuStats.Percent != 0 {
		t.Fatalf("first reading: %+v", u)
	}
	if u.Timestamp != t0.UnixNano() {
		t.Errorf("Timestamp %d, want %d", u.Timestamp, t0.UnixNano())
	}

	// Two seconds on: one more second of user time, half a second of system.
	now = t0.Add(2 * time.Second)
	drv["run1"] = reading(now, 5*time.Second, 1500*time.Millisecond, 12<<20)
	s.sample([]sampleTarget{web}, mhzPerCore)
	cpu := s.alloc("a1").Tasks["web"].ResourceUsage.CpuStats
	if !near(cpu.UserMode, 50) || !near(cpu.SystemMode, 25) || !near(cpu.Percent, 75) || !near(cpu.TotalTicks, 1500) {
		t.Fatalf("rates %+v: want user 50%%, system 25%%, total 75%% = 1500 MHz", cpu)
	}

	// Counters that run backwards count as idle, not as negative use.
	now = now.Add(time.Second)
	drv["run1"] = reading(now, 4*time.Second, time.Second, 12<<20)
	s.sample([]sampleTarget{web}, mhzPerCore)
	if cpu := s.alloc("a1").Tasks["web"].ResourceUsage.CpuStats; cpu.Percent != 0 || cpu.UserMode != 0 {
		t.Fatalf("backwards counters gave %+v", cpu)
	}

	// A new run of the task starts its rates afresh.
	now = now.Add(time.Second)
	drv["run2"] = reading(now, 100*time.Second, 0, 1<<20)
	web.taskID = "run2"
	s.sample([]sampleTarget{web}, mhzPerCore)
	if cpu := s.alloc("a1").Tasks["web"].ResourceUsage.CpuStats; cpu.Percent != 0 {
		t.Fatalf("first reading of a new run has rate %v", cpu.Percent)
	}

	// A reading without a timestamp takes the client's clock.
	drv["run2"] = &driver.TaskResourceUsage{CPU: driver.CPUUsage{UserTime: 101 * time.Second}}
	now = now.Add(time.Second)
	s.sample([]sampleTarget{web}, mhzPerCore)
	if got := s.alloc("a1").Tasks["web"]; got.Timestamp != now.UnixNano() || !near(got.ResourceUsage.CpuStats.Percent, 100) {
		t.Fatalf("untimed reading: %+v %+v", got, got.ResourceUsage.CpuStats)
	}
}

// TestSamplerSumsAndForgets: an allocation's usage is the sum of its
// tasks'; tasks that stop running or fail to read drop out.
func TestSamplerSumsAndForgets(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newStatsSampler(func() time.Time { return t0 })
	drv := counters{
		"w": reading(t0, 0, 0, 3<<20),
		"s": reading(t0.Add(time.Millisecond), 0, 0, 5<<20),
	}
	web := sampleTarget{allocID: "a1", task: "web", taskID: "w", driver: drv}
	side := sampleTarget{allocID: "a1", task: "side", taskID: "s", driver: drv}
	s.sample([]sampleTarget{web, side}, 1000)
	got := s.alloc("a1")
	if len(got.Tasks) != 2 || got.ResourceUsage.MemoryStats.RSS != 8<<20 {
		t.Fatalf("sum: %d tasks, RSS %d", len(got.Tasks), got.ResourceUsage.MemoryStats.RSS)
	}
	if got.Timestamp != t0.Add(time.Millisecond).UnixNano() {
		t.Errorf("alloc Timestamp %d, want the newest task's", got.Timestamp)
	}
	if m := got.ResourceUsage.MemoryStats.Measured; len(m) != 1 || m[0] != driver.MeasuredRSS {
		t.Errorf("merged Measured %v", m)
	}

	s.sample([]sampleTarget{web}, 1000) // side no longer runs
	if got := s.alloc("a1"); len(got.Tasks) != 1 || got.Tasks["web"] == nil {
		t.Fatalf("after side stopped: %+v", got.Tasks)
	}
	delete(drv, "w") // web's reading fails: it has just exited
	s.sample([]sampleTarget{web}, 1000)
	if got := s.alloc("a1"); len(got.Tasks) != 0 || len(s.samples) != 0 {
		t.Fatalf("after a failed reading: %+v, samples %v", got.Tasks, s.samples)
	}
}

// TestClientAllocStats runs a mock task that uses a quarter of a core and
// 48 MiB through a real client and reads its usage back; an unknown and a
// finished allocation are errors of their kinds.
func TestClientAllocStats(t *testing.T) {
	srv := newFakeServer()
	c := startClient(t, srv, mock.New(nil), func(cfg *Config) { cfg.StatsInterval = 20 * time.Millisecond })
	defer c.stop(t)
	waitFor(t, "register", func() bool { r, _, _ := srv.counts(); return r == 1 })

	a := testAlloc(c.NodeID(), drover.JobTypeService, map[string]any{"stats_cpu_percent": 25, "stats_memory_mb": 48})
	a.Job.TaskGroups[0].Tasks[0].Driver = mock.Name
	srv.upsertAlloc(a)
	waitFor(t, "running", func() bool { return srv.alloc(a.ID).ClientStatus == drover.AllocClientStatusRunning })

	var got *drover.AllocResourceUsage
	waitFor(t, "a CPU rate", func() bool {
		var err error
		if got, err = c.AllocStats(a.ID); err != nil {
			t.Fatalf("AllocStats: %v", err)
		}
		web := got.Tasks["web"]
		return web != nil && web.ResourceUsage.CpuStats.Percent > 0
	})
	web := got.Tasks["web"].ResourceUsage
	if math.Abs(web.CpuStats.Percent-25) > 0.01 || web.MemoryStats.RSS != 48<<20 {
		t.Fatalf("usage CPU %+v memory %+v: want 25%% and 48 MiB", web.CpuStats, web.MemoryStats)
	}
	wantMHz := 0.25 * c.mhzPerCore()
	if c.mhzPerCore() <= 0 || math.Abs(web.CpuStats.TotalTicks-wantMHz) > 0.01 {
		t.Errorf("TotalTicks %v, want %v (MHz per core %v)", web.CpuStats.TotalTicks, wantMHz, c.mhzPerCore())
	}
	if got.ResourceUsage.MemoryStats.RSS != 48<<20 || got.Timestamp == 0 {
		t.Errorf("alloc total %+v at %d", got.ResourceUsage.MemoryStats, got.Timestamp)
	}

	if _, err := c.AllocStats("no-such-alloc"); !errors.Is(err, drover.ErrNotFound) {
		t.Errorf("AllocStats(unknown) = %v, want ErrNotFound", err)
	}
	stop := srv.alloc(a.ID)
	stop.DesiredStatus = drover.AllocDesiredStatusStop
	srv.upsertAlloc(stop)
	waitFor(t, "complete", func() bool { return srv.alloc(a.ID).ClientStatus == drover.AllocClientStatusComplete })
	_, err := c.AllocStats(a.ID)
	if !errors.Is(err, drover.ErrConflict) || err.Error() != fmt.Sprintf("allocation %s is complete: its tasks no longer run, so it has no resource usage", drover.ShortID(a.ID)) {
		t.Errorf("AllocStats(complete) = %v, want a conflict saying it is complete", err)
	}
}

// TestAllocStatsReadsNewTaskAtOnce: without waiting for a sampling round,
// a running task's memory is reported (its CPU rate follows next round).
func TestAllocStatsReadsNewTaskAtOnce(t *testing.T) {
	srv := newFakeServer()
	c := startClient(t, srv, mock.New(nil), func(cfg *Config) { cfg.StatsInterval = time.Hour })
	defer c.stop(t)
	waitFor(t, "register", func() bool { r, _, _ := srv.counts(); return r == 1 })
	a := testAlloc(c.NodeID(), drover.JobTypeService, map[string]any{"stats_memory_mb": 7})
	a.Job.TaskGroups[0].Tasks[0].Driver = mock.Name
	srv.upsertAlloc(a)
	waitFor(t, "running", func() bool { return srv.alloc(a.ID).ClientStatus == drover.AllocClientStatusRunning })
	got, err := c.AllocStats(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if web := got.Tasks["web"]; web == nil || web.ResourceUsage.MemoryStats.RSS != 7<<20 || web.ResourceUsage.CpuStats.Percent != 0 {
		t.Fatalf("usage %+v", got.Tasks)
	}
}
