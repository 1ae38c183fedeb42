// Package sim simulates many drover client nodes in one process, to measure
// a real server at scale. Each simulated node registers, heartbeats before
// its TTL runs out, follows its allocations with a blocking query and "runs"
// them: it reports them running, and complete after the mock driver's
// run_for when the task sets one. No task is ever started.
//
// The simulator talks to the servers over the internal RPC (port 4647), the
// same wire and methods the real client uses (Node.Register,
// Node.UpdateStatus, Node.GetClientAllocs, Alloc.GetAllocs,
// Node.UpdateAlloc): drover, like Nomad, has no HTTP endpoint for node
// registration. All nodes share one RPC client, so one yamux session per
// server carries every call.
package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/rpc"
)

// RPCer calls the internal RPC; *rpc.Client implements it.
type RPCer interface {
	RPC(ctx context.Context, method string, args, reply any) error
}

// Config configures a Simulator. Zero values take the defaults named.
type Config struct {
	// Servers are the servers' RPC addresses; used when RPC is nil.
	Servers []string
	// RPC, when set, carries every call instead of a client for Servers.
	RPC RPCer
	// Nodes is the number of simulated nodes.
	Nodes int
	// Datacenter of every node (default "dc1").
	Datacenter string
	// CPUMHz, MemoryMB and DiskMB are each node's resources (defaults 4000,
	// 8192, 100000).
	CPUMHz, MemoryMB, DiskMB int64
	// HeartbeatInterval is how often each node heartbeats; 0 means half the
	// TTL the server returns, as the real client does. Each node starts at
	// a random offset within the interval, so heartbeats spread over time.
	HeartbeatInterval time.Duration
	// UpdateInterval batches allocation status updates of every node into
	// one Node.UpdateAlloc call per interval (default 200ms).
	UpdateInterval time.Duration
	// MaxQueryTime bounds each blocking query (default 5m).
	MaxQueryTime time.Duration
	// Connections is the number of RPC clients (each one yamux session per
	// server) the nodes are spread over, round robin (default 1: every node
	// shares one connection). A real client has its own: Connections =
	// Nodes models that. Ignored when RPC is set.
	Connections int
	// RegisterParallelism bounds concurrent registrations (default 64).
	RegisterParallelism int
	// Logger receives warnings; nil discards them.
	Logger *slog.Logger
}

func (c *Config) defaults() {
	if c.Datacenter == "" {
		c.Datacenter = "dc1"
	}
	if c.CPUMHz == 0 {
		c.CPUMHz = 4000
	}
	if c.MemoryMB == 0 {
		c.MemoryMB = 8192
	}
	if c.DiskMB == 0 {
		c.DiskMB = 100000
	}
	if c.UpdateInterval <= 0 {
		c.UpdateInterval = 200 * time.Millisecond
	}
	if c.MaxQueryTime <= 0 {
		c.MaxQueryTime = 5 * time.Minute
	}
	if c.Connections <= 0 {
		c.Connections = 1
	}
	if c.RegisterParallelism <= 0 {
		c.RegisterParallelism = 64
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Stats are counters of what the simulator did so far.
type Stats struct {
	Registered      int64
	Heartbeats      int64
	HeartbeatErrors int64
	SyncErrors      int64
	UpdateCalls     int64
	UpdateErrors    int64
	// Running and Completed count allocations reported in those states.
	Running   int64
	Completed int64
	// FirstRunning and LastRunning are when the first and the latest
	// allocation was seen and reported running (zero: none yet).
	FirstRunning, LastRunning time.Time
}

// Simulator is a set of simulated nodes. Create it with New, call Register,
// then Run until the context ends.
type Simulator struct {
	cfg    Config
	rpc    RPCer
	own    []*rpc.Client
	nodes  []*simNode
	logger *slog.Logger

	mu      sync.Mutex
	pending map[string]*drover.Allocation
	kick    chan struct{}

	registered, heartbeats, hbErrors, syncErrors  atomic.Int64
	updateCalls, updateErrors, running, completed atomic.Int64
	firstRunning, lastRunning                     atomic.Int64 // unix nanoseconds
}

// simNode is one simulated node and what it knows of its allocations.
type simNode struct {
	node *drover.Node
	rpc  RPCer
	ttl  time.Duration

	mu      sync.Mutex
	indexes map[string]uint64 // alloc ID → AllocModifyIndex seen
	state   map[string]string // alloc ID → client status reported
}

// New builds the node records; nothing is sent until Register.
func New(cfg Config) (*Simulator, error) {
	cfg.defaults()
	if cfg.Nodes <= 0 {
		return nil, fmt.Errorf("sim: Nodes must be positive, got %d", cfg.Nodes)
	}
	s := &Simulator{cfg: cfg, rpc: cfg.RPC, logger: cfg.Logger.With("component", "sim"),
		pending: map[string]*drover.Allocation{}, kick: make(chan struct{}, 1)}
	if s.rpc == nil {
		if len(cfg.Servers) == 0 {
			return nil, fmt.Errorf("sim: no servers and no RPC")
		}
		for range min(cfg.Connections, cfg.Nodes) {
			s.own = append(s.own, rpc.NewClient(cfg.Logger, rpc.ClientConfig{Servers: cfg.Servers}))
		}
		s.rpc = s.own[0]
	}
	for i := range cfg.Nodes {
		n := &simNode{node: s.buildNode(i), rpc: s.rpc, indexes: map[string]uint64{}, state: map[string]string{}}
		if len(s.own) > 0 {
			n.rpc = s.own[i%len(s.own)]
		}
		s.nodes = append(s.nodes, n)
	}
	return s, nil
}

// buildNode returns the record of node i: fixed resources, the mock driver.
func (s *Simulator) buildNode(i int) *drover.Node {
	name := fmt.Sprintf("sim-%05d", i)
	ip := fmt.Sprintf("10.%d.%d.%d", (i>>16)&0xff, (i>>8)&0xff, i&0xff)
	return &drover.Node{
		ID: drover.GenerateID(), SecretID: drover.GenerateID(), Name: name, Datacenter: s.cfg.Datacenter,
		NodePool: drover.DefaultNodePool,
		Attributes: map[string]string{
			"kernel.name": "linux", "os.name": "simulated", "arch": "amd64",
			"cpu.numcores": "4", "cpu.frequency": strconv.FormatInt(s.cfg.CPUMHz/4, 10),
			"memory.totalbytes": strconv.FormatInt(s.cfg.MemoryMB<<20, 10),
			"unique.hostname":   name, "unique.network.ip-address": ip,
			"driver.mock": "1", "drover.version": "sim",
		},
		Meta: map[string]string{"sim": "true"},
		NodeResources: &drover.NodeResources{
			Cpu:            drover.NodeCpuResources{CpuShares: s.cfg.CPUMHz, TotalCpuCores: 4},
			Memory:         drover.NodeMemoryResources{MemoryMB: s.cfg.MemoryMB},
			Disk:           drover.NodeDiskResources{DiskMB: s.cfg.DiskMB},
			Networks:       []*drover.NetworkResource{{Mode: "host", Device: "eth0", IP: ip, CIDR: ip + "/32"}},
			MinDynamicPort: drover.DefaultMinDynamicPort, MaxDynamicPort: drover.DefaultMaxDynamicPort,
		},
		Drivers: map[string]*drover.DriverInfo{"mock": {Detected: true, Healthy: true,
			HealthDescription: "healthy", UpdateTime: time.Now()}},
		Status: drover.NodeStatusReady, SchedulingEligibility: drover.NodeEligible,
	}
}

// Nodes returns copies of the node records, in creation order.
func (s *Simulator) Nodes() []*drover.Node {
	out := make([]*drover.Node, len(s.nodes))
	for i, n := range s.nodes {
		out[i] = n.node.Copy()
	}
	return out
}

// Stats returns the counters so far.
func (s *Simulator) Stats() Stats {
	return Stats{Registered: s.registered.Load(), Heartbeats: s.heartbeats.Load(),
		HeartbeatErrors: s.hbErrors.Load(), SyncErrors: s.syncErrors.Load(),
		UpdateCalls: s.updateCalls.Load(), UpdateErrors: s.updateErrors.Load(),
		Running: s.running.Load(), Completed: s.completed.Load(),
		FirstRunning: unixNano(s.firstRunning.Load()), LastRunning: unixNano(s.lastRunning.Load())}
}

func unixNano(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// Register registers every node, RegisterParallelism at a time. It returns
// the first error; nodes registered before it stay registered.
func (s *Simulator) Register(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, s.cfg.RegisterParallelism)
	var wg sync.WaitGroup
	for _, n := range s.nodes {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			var resp drover.NodeUpdateResponse
			err := n.rpc.RPC(ctx, drover.MethodNodeRegister, &drover.NodeRegisterRequest{Node: n.node}, &resp)
			if err != nil {
				cancel(fmt.Errorf("sim: register %s: %w", n.node.Name, err))
				return
			}
			n.ttl = resp.HeartbeatTTL
			s.registered.Add(1)
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && ctx.Err() != nil {
		return err
	}
	return nil
}

// Run heartbeats every node, follows and runs their allocations, and sends
// status updates, until ctx ends. Call it after Register.
func (s *Simulator) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { s.updateLoop(ctx) })
	for _, n := range s.nodes {
		wg.Go(func() { s.heartbeatLoop(ctx, n) })
		wg.Go(func() { s.syncLoop(ctx, n) })
	}
	wg.Wait()
}

// Close releases the RPC clients the simulator made.
func (s *Simulator) Close() error {
	var errs []error
	for _, c := range s.own {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// heartbeatLoop sends Node.UpdateStatus every interval, the first one at a
// random offset within it.
func (s *Simulator) heartbeatLoop(ctx context.Context, n *simNode) {
	interval := s.cfg.HeartbeatInterval
	if interval <= 0 {
		interval = max(n.ttl/2, 100*time.Millisecond)
	}
	wait := rand.N(interval)
	for {
		if !sleep(ctx, wait) {
			return
		}
		var resp drover.NodeUpdateResponse
		err := n.rpc.RPC(ctx, drover.MethodNodeUpdateStatus, &drover.NodeUpdateStatusRequest{
			NodeID: n.node.ID, SecretID: n.node.SecretID, Status: drover.NodeStatusReady}, &resp)
		if ctx.Err() != nil {
			return
		}
		wait = interval
		if err != nil {
			s.hbErrors.Add(1)
			s.logger.Warn("heartbeat failed", "node", n.node.Name, "error", err)
			wait = time.Second
			continue
		}
		s.heartbeats.Add(1)
		if s.cfg.HeartbeatInterval <= 0 && resp.HeartbeatTTL > 0 {
			interval = resp.HeartbeatTTL / 2
		}
	}
}

// sleep waits d or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
