package cli

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/api"
)

// drainMonitor follows a node's drain, as Nomad's CLI does: one watcher
// follows the node with blocking queries until its drain strategy is gone,
// another follows the node's allocations, printing their transitions
// (marked for migration, draining, client status changes), until none of
// them runs (system jobs' aside when the drain leaves those). The drain is
// complete when both are done. Each watcher prints what it saw before it
// asks again, under one lock, so the transcript follows the order in which
// the answers arrived.
type drainMonitor struct {
	env    *Env
	c      *api.Client
	now    func() time.Time
	nodeID string
	// attach is set for -monitor: a node found not draining is then
	// reported as such, instead of as a drain that ended.
	attach bool

	mu         sync.Mutex
	ignoreSys  bool
	seenNode   bool
	lastStatus string
	lastDrain  *drover.DrainStrategy
	allocs     map[string]*drover.Allocation // nil until the first answer
	nodeDone   bool
	allocsDone bool
	result     error // the monitor's outcome, once ended
	ended      chan struct{}
	endOnce    sync.Once
}

// monitorDrain monitors the drain of node nodeID until it completes (nil;
// "Drain complete" is printed), is cancelled (an error), or ctx is
// cancelled (nil: the drain goes on, as the user is told). With attach, a
// node that is not draining ends the monitor at once with nil.
func monitorDrain(ctx context.Context, env *Env, c *api.Client, nodeID string, attach bool) error {
	m := &drainMonitor{env: env, c: c, now: clock(ctx), nodeID: nodeID, attach: attach, ended: make(chan struct{})}
	// The node is read once before the watchers start, so that the
	// allocations are counted knowing whether system jobs stay.
	node, meta, err := c.Nodes().Info(nodeID, (*api.QueryOptions)(nil).WithContext(ctx))
	if err != nil {
		return fmt.Errorf("reading node %q: %w", nodeID, err)
	}
	m.nodeChanged(node)
	select {
	case <-m.ended:
		return m.result
	default:
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	nodeIndex := nextIndex(0, meta)
	watchers := []func(context.Context) error{
		func(ctx context.Context) error { return m.watchNode(ctx, nodeIndex) },
		m.watchAllocs,
	}
	for _, watch := range watchers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := watch(wctx); err != nil && wctx.Err() == nil {
				m.end(err)
			}
		}()
	}
	select {
	case <-m.ended:
	case <-ctx.Done():
	}
	cancel()
	wg.Wait()
	select {
	case <-m.ended:
		if m.result == nil && m.nodeDone && m.allocsDone {
			m.out("Drain complete for node %s", nodeID)
		}
		return m.result
	default: // only ctx ended the monitor
		fmt.Fprintf(env.Stderr, "%s: Monitoring interrupted: the drain of node %q goes on; see it with: %s node status %s\n",
			formatTime(m.now()), nodeID, env.prog(), nodeID)
		return nil
	}
}

// out prints one line of the monitor.
func (m *drainMonitor) out(format string, args ...any) {
	fmt.Fprintf(m.env.Stdout, "%s: %s\n", formatTime(m.now()), fmt.Sprintf(format, args...))
}

// end ends the monitor with result; the first call wins.
func (m *drainMonitor) end(result error) {
	m.endOnce.Do(func() {
		m.result = result
		close(m.ended)
	})
}

// watchNode follows the node until ctx ends or a read fails.
// It starts with a blocking read at index.
func (m *drainMonitor) watchNode(ctx context.Context, index uint64) error {
	for {
		q := (&api.QueryOptions{WaitIndex: index, WaitTime: monitorWait}).WithContext(ctx)
		node, meta, err := m.c.Nodes().Info(m.nodeID, q)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading node %q: %w", m.nodeID, err)
		}
		m.nodeChanged(node)
		index = nextIndex(index, meta)
	}
}

// watchAllocs follows the node's allocations until ctx ends or a read
// fails.
func (m *drainMonitor) watchAllocs(ctx context.Context) error {
	var index uint64
	for {
		q := (&api.QueryOptions{WaitIndex: index, WaitTime: monitorWait}).WithContext(ctx)
		allocs, meta, err := m.c.Nodes().Allocations(m.nodeID, q)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading allocations of node %q: %w", m.nodeID, err)
		}
		m.allocsChanged(allocs)
		index = nextIndex(index, meta)
	}
}

// nextIndex is the index to block on after an answer with meta: never 0,
// so the next read waits for a change instead of spinning.
func nextIndex(index uint64, meta *api.QueryMeta) uint64 {
	if meta != nil {
		index = max(index, meta.LastIndex)
	}
	return max(index, 1)
}

// nodeChanged reports what changed of the node's drain and status.
func (m *drainMonitor) nodeChanged(node *drover.Node) {
	m.mu.Lock()
	defer m.mu.Unlock()
	first := !m.seenNode
	m.seenNode = true
	if node.Status != m.lastStatus && node.Status == drover.NodeStatusDown {
		m.out("Node %q down", m.nodeID)
	}
	m.lastStatus = node.Status
	d := node.DrainStrategy
	if d == nil {
		m.drainEnded(node, first)
		return
	}
	if !first && !sameDrain(m.lastDrain, d) {
		m.out("Node %q drain updated: %s", m.nodeID, describeDrain(d))
	}
	m.lastDrain = d
	if m.ignoreSys != d.IgnoreSystemJobs {
		m.ignoreSys = d.IgnoreSystemJobs
		m.checkAllocsStopped()
	}
}

// drainEnded handles a node without a drain strategy (first: on the
// monitor's first read of it).
func (m *drainMonitor) drainEnded(node *drover.Node, first bool) {
	if m.nodeDone {
		return
	}
	switch {
	case first && m.attach:
		m.out("No drain strategy set for node %s", m.nodeID)
		m.end(nil)
	case node.LastDrain != nil && node.LastDrain.Status == drover.DrainStatusComplete:
		m.out("Node %q has marked all allocations for migration", m.nodeID)
		m.nodeDone = true
		m.endIfComplete()
	default:
		m.out("Node %q drain canceled", m.nodeID)
		m.end(fmt.Errorf("the drain of node %q was canceled before it completed", m.nodeID))
	}
}

// allocsChanged reports the allocations' transitions since the last
// answer and whether any still runs.
func (m *drainMonitor) allocsChanged(allocs []*drover.Allocation) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sort.Slice(allocs, func(i, j int) bool { return allocs[i].ID < allocs[j].ID })
	next := make(map[string]*drover.Allocation, len(allocs))
	first := m.allocs == nil
	for _, a := range allocs {
		// The drainer marks the first allocations as soon as the drain
		// is set, often before this first answer: say so, or the
		// allocations that move first would never be mentioned.
		if first && a.DesiredTransition.ShouldMigrate() && !a.ServerTerminal() {
			m.out("Alloc %q marked for migration", a.ID)
		}
		// Allocations new since the last answer are not reported: a
		// draining node gets no new work, so they are ones a stale first
		// answer missed, as Nomad's monitor reasons.
		if before, ok := m.allocs[a.ID]; ok {
			if msg := allocTransition(before, a); msg != "" {
				m.out("Alloc %q %s", a.ID, msg)
			}
		}
		next[a.ID] = a
	}
	m.allocs = next
	m.checkAllocsStopped()
}

// checkAllocsStopped reports, once, that none of the node's allocations
// the drain moves runs any more.
func (m *drainMonitor) checkAllocsStopped() {
	if m.allocsDone || m.allocs == nil {
		return
	}
	for _, a := range m.allocs {
		if m.ignoreSys && isSystemAlloc(a) {
			continue
		}
		if a.ClientStatus == drover.AllocClientStatusPending || a.ClientStatus == drover.AllocClientStatusRunning {
			return
		}
	}
	m.out("All allocations on node %q have stopped", m.nodeID)
	m.allocsDone = true
	m.endIfComplete()
}

// endIfComplete ends the monitor once the drain is over and the node's
// allocations have stopped.
func (m *drainMonitor) endIfComplete() {
	if m.nodeDone && m.allocsDone {
		m.end(nil)
	}
}

// allocTransition describes what happened to an allocation between two
// answers, as Nomad's monitor does; "" when nothing worth telling did.
func allocTransition(before, after *drover.Allocation) string {
	migrating := after.DesiredTransition.ShouldMigrate()
	switch {
	case before.ClientStatus != after.ClientStatus:
		return fmt.Sprintf("status %s -> %s", before.ClientStatus, after.ClientStatus)
	case migrating && !before.DesiredTransition.ShouldMigrate():
		return "marked for migration"
	case migrating && before.DesiredStatus != after.DesiredStatus && after.DesiredStatus == drover.AllocDesiredStatusStop:
		return "draining"
	}
	return ""
}

// isSystemAlloc reports whether a belongs to a system or sysbatch job, which
// a drain with IgnoreSystemJobs leaves running.
func isSystemAlloc(a *drover.Allocation) bool {
	return a.Job != nil && (a.Job.Type == drover.JobTypeSystem || a.Job.Type == drover.JobTypeSysBatch)
}

// sameDrain reports whether two strategies ask for the same drain.
func sameDrain(a, b *drover.DrainStrategy) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Deadline == b.Deadline && a.IgnoreSystemJobs == b.IgnoreSystemJobs && a.ForceDeadline.Equal(b.ForceDeadline)
}

// describeDrain says what a drain strategy asks for, as node status shows
// it: its deadline, and whether system jobs are left running.
func describeDrain(d *drover.DrainStrategy) string {
	var s string
	switch {
	case d.Deadline < 0:
		s = "force drain"
	case d.Deadline == 0 || d.ForceDeadline.IsZero():
		s = "no deadline"
	default:
		s = formatTime(d.ForceDeadline) + " deadline"
	}
	if d.IgnoreSystemJobs {
		s += "; ignoring system jobs"
	}
	return s
}

// formatDrain is node status's Drain line: "false", or "true" and what the
// drain asks for.
func formatDrain(n *drover.Node) string {
	if n.DrainStrategy == nil {
		return fmt.Sprint(n.Drain)
	}
	return "true; " + describeDrain(n.DrainStrategy)
}

// lastDrainKV is node status's Last Drain line, when the node was ever
// drained: how its most recent drain stands and since when.
func lastDrainKV(n *drover.Node) []kv {
	d := n.LastDrain
	if d == nil {
		return nil
	}
	return []kv{{"Last Drain", fmt.Sprintf("%s (started %s, updated %s)", d.Status, formatTime(d.StartedAt), formatTime(d.UpdatedAt))}}
}
