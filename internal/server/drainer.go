package server

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover/internal/fsm"
	"github.com/drover-sh/drover/internal/state"
)

// drainRetry is how long the drainer waits after a failed pass (a Raft
// write refused, a state read failed) before trying again.
const drainRetry = time.Second

// drainer is the leader duty that empties draining nodes. It watches the
// draining nodes, their allocations and those of the jobs migrating off
// them (nothing else: while no node drains, no write wakes it) and, on
// every change, on a
// drain deadline and when a replacement's min_healthy_time is up, makes one
// pass (see pass):
//
//   - service allocations are marked DesiredTransition.Migrate a few at a
//     time: per job and group, at most migrate.max_parallel are in flight
//     across all draining nodes (marked, replacement not yet healthy). The
//     scheduler places each one's replacement and stops it once the
//     replacement has run for migrate.min_healthy_time; the drainer writes
//     the evaluation that lets it see that moment;
//   - batch allocations are left to finish until the deadline;
//   - system and sysbatch allocations are marked last, once no service or
//     batch allocation remains on the node, and never with
//     IgnoreSystemJobs;
//   - at the deadline everything left is marked at once (and the scheduler
//     stops it without waiting for replacements);
//   - a node with nothing left to move has its drain completed: the drain
//     strategy is cleared and the node stays ineligible.
//
// Marks and their evaluations (one per job, triggered by node-drain) are
// one Raft command per pass.
type drainer struct {
	s      *Server
	clock  Clock
	logger *slog.Logger
	// notified holds the migrating allocations whose healthy replacement an
	// evaluation has announced, so that evaluation is written once.
	notified map[string]bool
	// forced holds the nodes whose deadline evaluation was written.
	forced map[string]bool
}

// drainLoop runs the drainer until ctx (the leadership term) ends.
func (s *Server) drainLoop(ctx context.Context) {
	d := &drainer{
		s: s, clock: s.cfg.Clock, logger: s.logger.With("component", "drainer"),
		notified: map[string]bool{}, forced: map[string]bool{},
	}
	for ctx.Err() == nil {
		st := s.State()
		ws := memdb.NewWatchSet()
		ws.Add(st.AbandonCh())
		ws.Add(ctx.Done())
		wake, err := d.pass(ctx, st, ws)
		var timeout <-chan time.Time
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			d.logger.Error("draining nodes", "error", err)
			timeout = time.After(drainRetry)
		case !wake.IsZero():
			timeout = clockAt(d.clock, wake)
		}
		ws.Watch(timeout)
	}
}

// pass reads the draining nodes and their allocations (watching them
// through ws), writes the marks, evaluations and completions they call for,
// and returns when the next pass is due regardless of state changes (zero:
// only on a change).
func (d *drainer) pass(ctx context.Context, st *state.StateStore, ws memdb.WatchSet) (time.Time, error) {
	p, draining, err := decideDrainPass(st, ws, d.clock.Now(), d.forced, d.notified)
	if err != nil {
		return time.Time{}, err
	}
	for id := range d.forced {
		if !draining[id] {
			delete(d.forced, id)
		}
	}
	if err := d.write(ctx, st, p); err != nil {
		return time.Time{}, err
	}
	return p.wake, nil
}

// decideDrainPass decides one pass at now over the draining nodes of st,
// read through ws, without writing: forced holds the nodes whose deadline
// evaluations were written, notified the allocations whose healthy
// replacement was announced (see drainer). It also returns the IDs of the
// draining nodes.
func decideDrainPass(st *state.StateStore, ws memdb.WatchSet, now time.Time, forced, notified map[string]bool) (*drainPass, map[string]bool, error) {
	// Only the draining nodes are read and watched: a cluster where
	// nothing drains wakes the drainer only when a drain starts.
	nodes, err := st.DrainingNodes(ws)
	if err != nil {
		return nil, nil, fmt.Errorf("read draining nodes: %w", err)
	}
	p := newDrainPass(now)
	draining := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		draining[n.ID] = true
		allocs, err := st.AllocsByNode(ws, n.ID)
		if err != nil {
			return nil, nil, fmt.Errorf("read allocations of node %s: %w", n.ID, err)
		}
		p.node(n, allocs, forced[n.ID])
	}
	if err := p.migrateServices(st, ws, notified); err != nil {
		return nil, nil, err
	}
	return p, draining, nil
}

// write commits a pass: the marks with their evaluations, then each
// completed drain. What was announced is remembered only once committed.
func (d *drainer) write(ctx context.Context, st *state.StateStore, p *drainPass) error {
	if len(p.transitions) > 0 || len(p.evalJobs) > 0 {
		evals, err := p.evals(st)
		if err != nil {
			return err
		}
		req := &fsm.AllocUpdateDesiredTransitionRequest{Allocs: p.transitions, Evals: evals}
		if _, err := d.s.raftApply(ctx, fsm.AllocUpdateDesiredTransitionRequestType, req); err != nil {
			return fmt.Errorf("mark allocations to migrate: %w", err)
		}
		d.logger.Debug("marked allocations to migrate", "allocs", len(p.transitions), "evals", len(evals))
	}
	d.notified = p.notified
	for _, id := range p.forcedNodes {
		d.forced[id] = true
	}
	for _, id := range p.complete {
		req := &fsm.NodeUpdateDrainRequest{NodeID: id, Complete: true, UpdatedAt: p.now.UnixNano()}
		if _, err := d.s.raftApply(ctx, fsm.NodeUpdateDrainRequestType, req); err != nil {
			return fmt.Errorf("complete drain of node %s: %w", id, err)
		}
		d.logger.Info("node drain complete", "node_id", id)
	}
	return nil
}
