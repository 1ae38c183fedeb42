// Package client is the client agent: it fingerprints the machine,
// registers the node with the servers and heartbeats within the TTL they
// give, follows the node's allocations with a blocking query, runs each with
// an alloc runner, and sends their status back in batches. Its local state
// (clientstate) lets a restarted agent reattach to tasks that kept running.
package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/allocrunner"
	"github.com/drover-sh/drover/internal/client/clientstate"
	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/logfile"
	"github.com/drover-sh/drover/internal/mountinfo"
)

// Client is a client agent. Create it with New, Run it, and call Shutdown to
// stop it.
type Client struct {
	cfg    Config
	logger *slog.Logger
	state  clientstate.State

	tempAllocDir bool // AllocDir was created by New and is removed at Shutdown

	mu      sync.Mutex
	node    *drover.Node
	runners map[string]*allocrunner.AllocRunner
	// indexes holds the AllocModifyIndex last acted on per allocation,
	// including allocations that were never run (already terminal).
	indexes map[string]uint64
	// collected holds the allocations garbage-collected while the servers
	// still list them: they are never run again.
	collected map[string]bool
	gcKick    chan struct{} // a send asks the gc loop to collect now
	// unclaimed holds, by allocation, the recorded task handles that no
	// restored runner took: the allocations the local state lost. The
	// first sync adopts those the servers still want run and stops the
	// rest (see recover.go).
	unclaimed map[string]*unclaimedAlloc

	destroys *destroyer       // the collector's removals, bounded by GC.ParallelDestroys
	logWatch *logfile.Watcher // wakes log rotation at tasks' writes; nil: intervals only

	driverFPs   map[string]driver.Fingerprint // last seen; owned by driverLoop after New
	nodeChanged chan struct{}                 // a send asks the heartbeat loop to register again

	registered     chan struct{} // closed after the first successful register
	registeredOnce sync.Once
	updates        *batcher
	stats          *statsSampler // resource usage of running tasks

	contact contactTracker // last successful contact with the servers (disconnect.go)

	runStarted atomic.Bool
	stopCh     chan struct{} // closed by Shutdown: Run returns
	runDone    chan struct{}
	shutOnce   sync.Once
}

// New fingerprints the machine and opens the local state. A state file that
// cannot be read is moved aside (see clientstate.OpenBolt); New fails only
// when the state directory or alloc directory cannot be used at all.
func New(cfg Config) (*Client, error) {
	cfg.setDefaults()
	if cfg.RPC == nil {
		return nil, errors.New("client: config has no RPC")
	}
	c := &Client{
		cfg:         cfg,
		logger:      cfg.Logger.With("component", "client"),
		runners:     map[string]*allocrunner.AllocRunner{},
		indexes:     map[string]uint64{},
		registered:  make(chan struct{}),
		stopCh:      make(chan struct{}),
		nodeChanged: make(chan struct{}, 1),
		gcKick:      make(chan struct{}, 1),
		destroys:    newDestroyer(cfg.GC.ParallelDestroys),
		runDone:     make(chan struct{}),
		stats:       newStatsSampler(cfg.Now),
	}
	if c.cfg.AllocDir == "" {
		dir, err := os.MkdirTemp("", "drover-allocs-")
		if err != nil {
			return nil, fmt.Errorf("client: alloc dir: %w", err)
		}
		c.cfg.AllocDir, c.tempAllocDir = dir, true
	} else if err := os.MkdirAll(c.cfg.AllocDir, 0o755); err != nil {
		return nil, fmt.Errorf("client: alloc dir: %w", err)
	}
	if err := c.open(); err != nil {
		if c.state != nil {
			c.state.Close()
		}
		if c.tempAllocDir {
			os.RemoveAll(c.cfg.AllocDir)
		}
		return nil, err
	}
	c.updates = newBatcher(c)
	c.logWatch = newLogWatcher(c.logger)
	return c, nil
}

// open opens the local state and builds the node record.
func (c *Client) open() error {
	if c.cfg.StateDir == "" {
		c.state = clientstate.NewMemory()
	} else {
		st, err := clientstate.OpenBolt(c.cfg.StateDir, c.logger)
		if err != nil {
			return err
		}
		c.state = st
	}
	id, secret, err := identity(c.cfg.StateDir)
	if err != nil {
		return err
	}
	c.node, err = c.buildNode(id, secret)
	return err
}

// NodeID returns the node's ID.
func (c *Client) NodeID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.node.ID
}

// Node returns a copy of the node record the client registers.
func (c *Client) Node() *drover.Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.node.Copy()
}

// Run restores the allocations recorded by an earlier agent, then
// registers, heartbeats and follows the node's allocations until ctx is
// done or Shutdown is called. It returns nil then; it never gives up on
// unreachable servers, it retries with backoff.
func (c *Client) Run(ctx context.Context) error {
	if !c.runStarted.CompareAndSwap(false, true) {
		return errors.New("client: Run called twice")
	}
	defer close(c.runDone)
	select {
	case <-c.stopCh:
		return nil // shut down before it ran
	default:
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.stopCh:
			cancel()
		case <-ctx.Done():
		}
	}()
	c.restore()
	c.collectUnclaimed()
	var wg sync.WaitGroup
	for _, loop := range []func(context.Context){c.heartbeatLoop, c.syncLoop, c.updates.run, c.driverLoop, c.statsLoop, c.gcLoop, c.disconnectLoop} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loop(ctx)
		}()
	}
	wg.Wait()
	return nil
}

// Shutdown stops Run (whether or not its context was cancelled) and waits
// for it to return; it may also be called without Run. In dev mode every
// task is stopped; otherwise tasks keep running for the next agent to
// reattach to. Pending status updates are sent with ctx as the last chance.
// It closes the local state; the Client cannot be run again.
func (c *Client) Shutdown(ctx context.Context) error {
	var err error
	c.shutOnce.Do(func() { err = c.shutdown(ctx) })
	return err
}

func (c *Client) shutdown(ctx context.Context) error {
	close(c.stopCh)
	if c.runStarted.Load() {
		select {
		case <-c.runDone:
		case <-ctx.Done():
			return fmt.Errorf("client: shutdown: waiting for Run to return: %w", ctx.Err())
		}
	}
	c.mu.Lock()
	runners := make([]*allocrunner.AllocRunner, 0, len(c.runners))
	for _, ar := range c.runners {
		runners = append(runners, ar)
	}
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, ar := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c.cfg.DevMode {
				ar.Kill()
			} else {
				ar.Shutdown()
			}
		}()
	}
	wg.Wait()
	select {
	case <-c.registered:
		if err := c.updates.flush(ctx); err != nil {
			c.logger.Warn("final allocation updates not sent", "error", err)
		}
	default:
	}
	err := c.state.Close()
	if c.logWatch != nil {
		c.logWatch.Close()
	}
	if c.tempAllocDir {
		if rerr := mountinfo.RemoveAll(c.cfg.AllocDir); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}
	return err
}

// restore recreates a runner for every allocation in the local state. Dead
// tasks stay dead; running ones are reattached.
func (c *Client) restore() {
	allocs, err := c.state.Allocs()
	if err != nil {
		c.logger.Error("reading local allocations failed; starting without them", "error", err)
		return
	}
	for _, a := range allocs {
		ar, err := c.newRunner(a)
		if err != nil {
			c.logger.Error("restoring allocation failed", "alloc_id", a.ID, "error", err)
			continue
		}
		if err := ar.Restore(); err != nil {
			// Its handles are still recorded apart: the first sync
			// rebuilds it from the servers' copy (see adopt).
			c.logger.Warn("local records of allocation are unreadable; rebuilding it from the servers' copy", "alloc_id", a.ID, "error", err)
			continue
		}
		c.mu.Lock()
		c.runners[a.ID] = ar
		c.indexes[a.ID] = a.AllocModifyIndex
		c.mu.Unlock()
		c.logger.Info("restored allocation", "alloc_id", a.ID)
	}
}

func (c *Client) newRunner(a *drover.Allocation) (*allocrunner.AllocRunner, error) {
	return allocrunner.New(allocrunner.Config{
		Alloc:             a,
		Node:              c.Node(),
		Drivers:           c.cfg.Drivers,
		AllocRoot:         c.cfg.AllocDir,
		State:             c.state,
		OnUpdate:          c.updates.add,
		Logger:            c.logger,
		Path:              os.Getenv("PATH"),
		Now:               c.cfg.Now,
		LogRotateInterval: c.cfg.LogRotateInterval,
		ArtifactLimits:    c.cfg.ArtifactLimits,
		MaxKillTimeout:    c.cfg.MaxKillTimeout,
		LogWatcher:        c.logWatch,
	})
}
