package client

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/allocrunner"
)

// Defaults of GCConfig, as Nomad's client has them.
const (
	DefaultGCInterval            = time.Minute
	DefaultGCMaxAllocs           = 50
	DefaultGCDiskUsageThreshold  = 80.0
	DefaultGCInodeUsageThreshold = 70.0
	DefaultGCParallelDestroys    = 2
)

// GCConfig says when the client removes the directories and local state of
// terminal allocations (those whose tasks have all ended for good). The
// oldest are removed first; a running allocation is never removed.
type GCConfig struct {
	// Interval between collections (default 1m).
	Interval time.Duration
	// MaxAllocs: while the client holds more allocations than this,
	// running or not, terminal ones are removed (default 50).
	MaxAllocs int
	// DiskUsageThreshold and InodeUsageThreshold are percentages of the
	// alloc directory's file system in use above which terminal
	// allocations are removed (defaults 80 and 70).
	DiskUsageThreshold  float64
	InodeUsageThreshold float64
	// ParallelDestroys bounds how many terminal allocations the collector
	// removes at once, across the periodic collection and the ones asked
	// for through the API (default 2). Removing an allocation deletes its
	// directory tree, which is disk-heavy: a low bound keeps a collection
	// of many allocations from starving the running tasks' I/O.
	ParallelDestroys int
	// Usage measures the file system holding dir (default: statfs).
	Usage func(dir string) (DiskUsage, error)
}

func (g *GCConfig) setDefaults() {
	if g.Interval <= 0 {
		g.Interval = DefaultGCInterval
	}
	if g.MaxAllocs <= 0 {
		g.MaxAllocs = DefaultGCMaxAllocs
	}
	if g.DiskUsageThreshold <= 0 {
		g.DiskUsageThreshold = DefaultGCDiskUsageThreshold
	}
	if g.InodeUsageThreshold <= 0 {
		g.InodeUsageThreshold = DefaultGCInodeUsageThreshold
	}
	if g.ParallelDestroys <= 0 {
		g.ParallelDestroys = DefaultGCParallelDestroys
	}
	if g.Usage == nil {
		g.Usage = StatfsUsage
	}
}

// destroyer carries out the collector's removals, at most cap(sem) at
// once.
type destroyer struct {
	sem chan struct{}
	// destroy removes one allocation (AllocRunner.Destroy); tests replace
	// it to watch the removals.
	destroy func(*allocrunner.AllocRunner) error
}

func newDestroyer(parallel int) *destroyer {
	return &destroyer{sem: make(chan struct{}, parallel), destroy: (*allocrunner.AllocRunner).Destroy}
}

// destroyAll removes each of ars, as many at once as the bound allows, and
// returns their errors.
func (c *Client) destroyAll(ars []*allocrunner.AllocRunner, reason string) []string {
	var (
		mu   sync.Mutex
		errs []string
		wg   sync.WaitGroup
	)
	for _, ar := range ars {
		c.destroys.sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-c.destroys.sem; wg.Done() }()
			c.logger.Info("collecting terminal allocation", "alloc_id", ar.ID(), "reason", reason)
			if err := c.destroyCollected(ar); err != nil {
				mu.Lock()
				errs = append(errs, err.Error())
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errs
}

// DiskUsage is how full a file system is, in percent.
type DiskUsage struct {
	UsedPercent       float64
	InodesUsedPercent float64
}

// StatfsUsage measures the file system holding dir as df does: used space
// over used plus available to unprivileged users.
func StatfsUsage(dir string) (DiskUsage, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return DiskUsage{}, fmt.Errorf("statfs %s: %w", dir, err)
	}
	var u DiskUsage
	used := float64(st.Blocks - st.Bfree)
	if avail := used + float64(st.Bavail); avail > 0 {
		u.UsedPercent = 100 * used / avail
	}
	if st.Files > 0 {
		u.InodesUsedPercent = 100 * float64(st.Files-st.Ffree) / float64(st.Files)
	}
	return u, nil
}

// gcLoop collects garbage every GC.Interval, and at once when a new
// allocation takes the client over GC.MaxAllocs, until ctx is done.
func (c *Client) gcLoop(ctx context.Context) {
	t := time.NewTicker(c.cfg.GC.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.gcKick:
		}
		if _, err := c.collectGarbage(); err != nil {
			c.logger.Warn("garbage collection of terminal allocations incomplete", "error", err)
		}
	}
}

// kickGC asks the gc loop to collect now; a kick already pending is enough.
func (c *Client) kickGC() {
	select {
	case c.gcKick <- struct{}{}:
	default:
	}
}

// collectGarbage removes the oldest terminal allocations while the client
// holds more than GC.MaxAllocs or its alloc directory's file system is
// fuller than the thresholds. It returns how many it removed.
func (c *Client) collectGarbage() (int, error) {
	cands := c.terminalRunners()
	c.mu.Lock()
	total, limit := len(c.runners), c.cfg.GC.MaxAllocs
	c.mu.Unlock()
	removed := 0
	var errs []string
	destroy := func(n int, reason string) {
		batch := cands[:n]
		cands = cands[n:]
		errs = append(errs, c.destroyAll(batch, reason)...)
		removed += n
		total -= n
	}
	if over := total - limit; over > 0 && len(cands) > 0 {
		destroy(min(over, len(cands)), fmt.Sprintf("more than %d allocations", limit))
	}
	// Over a usage threshold, remove one and measure again: no more is
	// removed than it takes.
	for len(cands) > 0 {
		u, err := c.cfg.GC.Usage(c.cfg.AllocDir)
		if err != nil {
			errs = append(errs, err.Error())
			break
		}
		const n = 1
		switch {
		case u.UsedPercent > c.cfg.GC.DiskUsageThreshold:
			destroy(n, fmt.Sprintf("disk %.1f%% used, over %.1f%%", u.UsedPercent, c.cfg.GC.DiskUsageThreshold))
		case u.InodesUsedPercent > c.cfg.GC.InodeUsageThreshold:
			destroy(n, fmt.Sprintf("inodes %.1f%% used, over %.1f%%", u.InodesUsedPercent, c.cfg.GC.InodeUsageThreshold))
		default:
			cands = nil
		}
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("client gc: %s", strings.Join(errs, "; "))
	}
	return removed, nil
}

// CollectAllGarbage removes every terminal allocation's directory and
// local state at once, as PUT /v1/client/gc asks. Running allocations are
// kept. It returns how many it removed.
func (c *Client) CollectAllGarbage() (int, error) {
	cands := c.terminalRunners()
	if errs := c.destroyAll(cands, "requested"); len(errs) > 0 {
		return len(cands), fmt.Errorf("client gc: %s", strings.Join(errs, "; "))
	}
	return len(cands), nil
}

// CollectAllocGarbage removes one terminal allocation's directory and
// local state now. An allocation the client does not hold is a
// drover.ErrNotFound; one whose tasks have not all ended for good a
// drover.ErrConflict.
func (c *Client) CollectAllocGarbage(allocID string) error {
	c.mu.Lock()
	ar := c.runners[allocID]
	c.mu.Unlock()
	if ar == nil {
		return drover.Errorf(drover.ErrNotFound, "allocation %s is not on this client", allocID)
	}
	if _, why := c.collectable(ar); why != "" {
		return drover.Errorf(drover.ErrConflict, "allocation %s cannot be collected: %s", allocID, why)
	}
	if errs := c.destroyAll([]*allocrunner.AllocRunner{ar}, "requested"); len(errs) > 0 {
		return fmt.Errorf("client gc: %s", strings.Join(errs, "; "))
	}
	return nil
}

// collectable says whether a runner may be collected, with the time its
// allocation finished; why says what keeps it otherwise. Its tasks must
// all have ended for good, and the servers must have its final status, so
// that they never ask a restarted client to run it again.
func (c *Client) collectable(ar *allocrunner.AllocRunner) (finished time.Time, why string) {
	select {
	case <-ar.WaitCh():
	default:
		return time.Time{}, "its tasks are running or restarting"
	}
	a := ar.Alloc()
	if !a.Terminal() {
		return time.Time{}, "it is not terminal"
	}
	if c.updates.unsent(a.ID) {
		return time.Time{}, "its final status has not reached the servers yet"
	}
	for _, ts := range a.TaskStates {
		if ts != nil && ts.FinishedAt.After(finished) {
			finished = ts.FinishedAt
		}
	}
	return finished, ""
}

// terminalRunners returns the collectable runners, the longest finished
// first.
func (c *Client) terminalRunners() []*allocrunner.AllocRunner {
	c.mu.Lock()
	runners := make([]*allocrunner.AllocRunner, 0, len(c.runners))
	for _, ar := range c.runners {
		runners = append(runners, ar)
	}
	c.mu.Unlock()
	type cand struct {
		ar       *allocrunner.AllocRunner
		finished time.Time
	}
	var cands []cand
	for _, ar := range runners {
		if fin, why := c.collectable(ar); why == "" {
			cands = append(cands, cand{ar, fin})
		}
	}
	slices.SortFunc(cands, func(x, y cand) int {
		if d := x.finished.Compare(y.finished); d != 0 {
			return d
		}
		return strings.Compare(x.ar.ID(), y.ar.ID())
	})
	out := make([]*allocrunner.AllocRunner, len(cands))
	for i, k := range cands {
		out[i] = k.ar
	}
	return out
}

// destroyCollected forgets a terminal runner, so the allocation is never
// run again by this client even if the servers still list it, then removes
// its directory and local state.
func (c *Client) destroyCollected(ar *allocrunner.AllocRunner) error {
	c.mu.Lock()
	if c.runners[ar.ID()] != ar {
		c.mu.Unlock()
		return nil // removed meanwhile by the servers
	}
	delete(c.runners, ar.ID())
	if c.collected == nil {
		c.collected = map[string]bool{}
	}
	c.collected[ar.ID()] = true
	c.mu.Unlock()
	if err := c.destroys.destroy(ar); err != nil {
		return fmt.Errorf("alloc %s: %w", ar.ID(), err)
	}
	return nil
}
