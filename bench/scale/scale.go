// Package scale measures a drover server end to end with simulated nodes
// (package sim): how long N nodes take to register, what their idle
// heartbeats cost the server, how long an M-allocation mock job takes from
// submission through the HTTP API until every allocation runs, and the
// server's heap. Nodes speak the internal RPC, as real clients do; the job
// is submitted and watched through the HTTP API (package api), as a user
// would.
package scale

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"syscall"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/api"
	"github.com/drover-sh/drover/bench/sim"
	"github.com/drover-sh/drover/internal/agent"
	"github.com/drover-sh/drover/internal/config"
)

// ProcStats are a server process's resource figures at one moment.
type ProcStats struct {
	// CPU is the process's user+system CPU time so far.
	CPU time.Duration
	// HeapInuse and Sys are from runtime.MemStats.
	HeapInuse, Sys uint64
	Goroutines     int
}

// SelfStats returns this process's figures.
func SelfStats() (ProcStats, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return ProcStats{}, fmt.Errorf("getrusage: %w", err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return ProcStats{CPU: cpu, HeapInuse: ms.HeapInuse, Sys: ms.Sys, Goroutines: runtime.NumGoroutine()}, nil
}

// StartServer starts an in-process server-only agent in dev mode (state in
// memory, fast Raft) on ephemeral 127.0.0.1 ports and waits until it leads.
// The caller shuts it down.
func StartServer(ctx context.Context, logger *slog.Logger) (*agent.Agent, error) {
	cfg := config.DevConfig()
	cfg.Client.Enabled = false
	cfg.Ports.HTTP, cfg.Ports.RPC = 0, 0
	a, err := agent.New(cfg, "sim", logger)
	if err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	a.Start()
	if err := a.WaitReady(ctx); err != nil {
		a.Shutdown(context.Background())
		return nil, err
	}
	return a, nil
}

// Scenario is one measurement.
type Scenario struct {
	// RPCAddr and HTTPAddr are the server's internal RPC and HTTP addresses.
	RPCAddr, HTTPAddr string
	// Nodes and Allocs: N simulated nodes, one job of M allocations.
	Nodes, Allocs int
	// Groups splits the job's allocations over this many task groups
	// (default 1).
	Groups int
	// TaskCPU and TaskMemoryMB are each allocation's ask (defaults 100, 64).
	TaskCPU, TaskMemoryMB int
	// Node resources, passed to the simulator (its defaults when zero).
	NodeCPU, NodeMemoryMB int64
	// Idle is the window over which idle heartbeat cost is measured (0: skip).
	Idle time.Duration
	// HeartbeatInterval overrides half the server's TTL.
	HeartbeatInterval time.Duration
	// Connections spreads the nodes over this many RPC connections
	// (default 1; Nodes gives each node its own, as real clients have).
	Connections int
	// ServerStats reads the server process's figures (nil: skip them).
	ServerStats func() (ProcStats, error)
	// Logger receives progress at Info; nil discards it.
	Logger *slog.Logger
}

// Result holds the figures of one scenario.
type Result struct {
	Register time.Duration // all N nodes registered
	// IdleCPU is the server's CPU time over the Idle window; IdleCores is
	// that divided by the window (1.0 = one core busy).
	IdleCPU    time.Duration
	IdleCores  float64
	IdleHBRate float64 // heartbeats per second seen in the window
	// Submit is the HTTP job registration call; AllRunning runs from just
	// before it until the job summary counts every allocation running.
	Submit, AllRunning time.Duration
	// Submitted is when the submission started.
	Submitted time.Time
	// AllPlaced runs from the same moment until the summary counts every
	// allocation placed (starting or running): the rest of AllRunning is
	// nodes learning of their allocations and reporting them.
	AllPlaced time.Duration
	// RunCPU is the server's CPU time from submission to all running;
	// LocalCPU is this process's (the simulator's, plus the server's when
	// it runs in this process).
	RunCPU, LocalCPU time.Duration
	// Server figures after every allocation runs.
	Server ProcStats
	Sim    sim.Stats
	// Simulator is the running simulator, still heartbeating; Stop ends it.
	Simulator *sim.Simulator
	Stop      func()
}

// Run registers the nodes, measures idle heartbeats, submits the job and
// waits until every allocation runs or ctx ends. On success the simulator
// keeps running until the caller calls Result.Stop.
func Run(ctx context.Context, sc Scenario) (*Result, error) {
	if sc.Logger == nil {
		sc.Logger = slog.New(slog.DiscardHandler)
	}
	if sc.TaskCPU <= 0 {
		sc.TaskCPU = 100
	}
	if sc.TaskMemoryMB <= 0 {
		sc.TaskMemoryMB = 64
	}
	s, err := sim.New(sim.Config{Servers: []string{sc.RPCAddr}, Nodes: sc.Nodes, Logger: sc.Logger,
		CPUMHz: sc.NodeCPU, MemoryMB: sc.NodeMemoryMB, HeartbeatInterval: sc.HeartbeatInterval, Connections: sc.Connections})
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	res := &Result{Simulator: s}
	res.Stop = func() {
		cancel()
		<-done
		s.Close()
	}
	ok := false
	defer func() {
		if !ok {
			res.Stop()
		}
	}()
	start := time.Now()
	if err := s.Register(ctx); err != nil {
		close(done)
		return nil, err
	}
	res.Register = time.Since(start)
	sc.Logger.Info("nodes registered", "nodes", sc.Nodes, "took", res.Register)
	go func() { s.Run(runCtx); close(done) }()
	if err := measureIdle(ctx, sc, s, res); err != nil {
		return nil, err
	}
	if err := submitAndWait(ctx, sc, res); err != nil {
		return nil, err
	}
	res.Sim = s.Stats()
	ok = true
	return res, nil
}

// measureIdle reads the server's CPU time before and after the Idle window,
// while every node heartbeats and nothing else happens.
func measureIdle(ctx context.Context, sc Scenario, s *sim.Simulator, res *Result) error {
	if sc.Idle <= 0 || sc.ServerStats == nil {
		return nil
	}
	before, err := sc.ServerStats()
	if err != nil {
		return err
	}
	hb0, t0 := s.Stats().Heartbeats, time.Now()
	select {
	case <-time.After(sc.Idle):
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	after, err := sc.ServerStats()
	if err != nil {
		return err
	}
	wall := time.Since(t0)
	res.IdleCPU = after.CPU - before.CPU
	res.IdleCores = res.IdleCPU.Seconds() / wall.Seconds()
	res.IdleHBRate = float64(s.Stats().Heartbeats-hb0) / wall.Seconds()
	sc.Logger.Info("idle heartbeats measured", "cpu", res.IdleCPU, "cores", res.IdleCores, "heartbeats_per_s", res.IdleHBRate)
	return nil
}

// Job returns the benchmark's mock-driver service job: allocs allocations
// in groups task groups, each asking cpu MHz and memMB.
func Job(id string, allocs, groups, cpu, memMB int) *drover.Job {
	groups = max(groups, 1)
	job := &drover.Job{ID: id, Name: id, Type: drover.JobTypeService, Datacenters: []string{"*"}}
	for g := range groups {
		count := allocs / groups
		if g < allocs%groups {
			count++
		}
		job.TaskGroups = append(job.TaskGroups, &drover.TaskGroup{
			Name: fmt.Sprintf("g%d", g), Count: count,
			Tasks: []*drover.Task{{Name: "t", Driver: "mock", Config: map[string]any{},
				Resources: &drover.Resources{CPU: cpu, MemoryMB: memMB}}},
		})
	}
	return job
}

// submitAndWait registers the job over HTTP and follows its summary with
// blocking queries until every allocation runs.
func submitAndWait(ctx context.Context, sc Scenario, res *Result) error {
	client, err := api.NewClient(api.Config{Address: "http://" + sc.HTTPAddr})
	if err != nil {
		return err
	}
	job := Job("sim-bench", sc.Allocs, sc.Groups, sc.TaskCPU, sc.TaskMemoryMB)
	var before ProcStats
	if sc.ServerStats != nil {
		if before, err = sc.ServerStats(); err != nil {
			return err
		}
	}
	local0, err := SelfStats()
	if err != nil {
		return err
	}
	start := time.Now()
	if _, _, err := client.Jobs().Register(job, nil); err != nil {
		return fmt.Errorf("submit job: %w", err)
	}
	res.Submit = time.Since(start)
	res.Submitted = start
	var index uint64
	for {
		sum, meta, err := client.Jobs().Summary(job.ID, &api.QueryOptions{WaitIndex: index, WaitTime: 5 * time.Second})
		if err != nil && !errors.Is(err, drover.ErrNotFound) {
			return fmt.Errorf("job summary: %w", err)
		}
		if sum != nil && res.AllPlaced == 0 && placed(sum) >= sc.Allocs {
			res.AllPlaced = time.Since(start)
		}
		if sum != nil && running(sum) >= sc.Allocs {
			break
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("waiting for %d allocations to run (summary %+v): %w", sc.Allocs, sum, context.Cause(ctx))
		}
		if meta != nil {
			index = meta.LastIndex
		}
	}
	res.AllRunning = time.Since(start)
	sc.Logger.Info("all allocations running", "allocs", sc.Allocs, "took", res.AllRunning)
	local1, err := SelfStats()
	if err != nil {
		return err
	}
	res.LocalCPU = local1.CPU - local0.CPU
	if sc.ServerStats != nil {
		after, err := sc.ServerStats()
		if err != nil {
			return err
		}
		res.RunCPU, res.Server = after.CPU-before.CPU, after
	}
	return nil
}

// placed counts allocations placed: starting, running or done.
func placed(sum *drover.JobSummary) int {
	n := 0
	for _, g := range sum.Summary {
		n += g.Starting + g.Running + g.Complete + g.Failed + g.Lost
	}
	return n
}

// running counts allocations running or (having run) complete.
func running(sum *drover.JobSummary) int {
	n := 0
	for _, g := range sum.Summary {
		n += g.Running + g.Complete
	}
	return n
}
