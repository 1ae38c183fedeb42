package server

import (
	"context"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/fsm"
)

// monitorLeadership starts the leader duties when this server gains
// leadership and stops them when it loses it, until Shutdown.
func (s *Server) monitorLeadership() {
	ch := s.raft.LeaderCh()
	for {
		select {
		case <-s.ctx.Done():
			return
		case isLeader := <-ch:
			if isLeader {
				s.establishLeadership()
			} else {
				s.revokeLeadership()
			}
		}
	}
}

// leaderContext returns the context of the current leadership term, nil
// when not leader.
func (s *Server) leaderContext() context.Context {
	s.leaderMu.Lock()
	defer s.leaderMu.Unlock()
	return s.leaderCtx
}

// establishLeadership waits until the FSM has applied everything committed,
// then enables the broker and the blocked tracker, restores pending and
// blocked evaluations from state, and starts the plan applier, the workers,
// the blocked loop, the drainer, the heartbeat timers and the periodic
// dispatcher (rebuilt from state).
//
// Establishing and revoking are serialized: a Shutdown that revokes while
// leadership is being established waits for it, and an establishment that
// finds the server shutting down starts nothing, so no duty outlives the
// server (heartbeat timers armed after its revocation, goroutines it never
// waits for).
func (s *Server) establishLeadership() {
	s.leadershipMu.Lock()
	defer s.leadershipMu.Unlock()
	s.revokeLocked()
	if s.ctx.Err() != nil {
		return // shutting down
	}
	ctx, cancel := context.WithCancel(s.ctx)
	bctx, bcancel := context.WithTimeout(ctx, 30*time.Second)
	err := s.raft.Barrier(bctx)
	bcancel()
	if err != nil {
		s.logger.Error("leadership: barrier failed; not starting leader duties", "error", err)
		cancel()
		return
	}
	if s.afterBarrier != nil {
		s.afterBarrier()
	}
	if ctx.Err() != nil {
		cancel() // the server began shutting down during the barrier
		return
	}
	s.broker.SetEnabled(true)
	s.blocked.SetEnabled(true)
	if cfg, err := s.State().SchedulerConfig(nil); err != nil {
		s.logger.Error("leadership: reading scheduler configuration", "error", err)
	} else {
		s.broker.SetPaused(cfg.PauseEvalBroker)
	}
	if err := s.restoreEvals(); err != nil {
		s.logger.Error("leadership: restoring evaluations", "error", err)
	}

	s.leaderMu.Lock()
	s.leaderCtx, s.leaderCancel = ctx, cancel
	s.leaderMu.Unlock()

	s.leaderGo(func() { s.planApplyLoop(ctx) })
	s.leaderGo(func() { s.blockedLoop(ctx) })
	s.leaderGo(func() { s.drainLoop(ctx) })
	for i := range s.cfg.NumSchedulers {
		s.leaderGo(func() { s.runWorker(ctx, i) })
	}
	if err := s.heartbeats.initialize(); err != nil {
		s.logger.Error("leadership: starting heartbeat timers", "error", err)
	}
	if err := s.periodic.start(); err != nil {
		s.logger.Error("leadership: restoring periodic jobs", "error", err)
	}
	s.leaderGo(func() { s.periodic.run(ctx) })
	s.logger.Info("leadership established", "workers", s.cfg.NumSchedulers)
}

func (s *Server) leaderGo(fn func()) {
	s.leaderWG.Add(1)
	go func() {
		defer s.leaderWG.Done()
		fn()
	}()
}

// revokeLeadership stops the leader duties, if running, and waits for them.
func (s *Server) revokeLeadership() {
	s.leadershipMu.Lock()
	defer s.leadershipMu.Unlock()
	s.revokeLocked()
}

// revokeLocked is revokeLeadership with leadershipMu held.
func (s *Server) revokeLocked() {
	s.leaderMu.Lock()
	cancel := s.leaderCancel
	s.leaderCtx, s.leaderCancel = nil, nil
	s.leaderMu.Unlock()
	s.broker.SetEnabled(false)
	s.blocked.SetEnabled(false)
	s.heartbeats.clear()
	s.periodic.stop()
	if cancel == nil {
		return
	}
	cancel()
	s.leaderWG.Wait()
	s.logger.Info("leadership revoked")
}

// restoreEvals enqueues the pending and tracks the blocked evaluations in state.
func (s *Server) restoreEvals() error {
	evals, err := s.State().EvalsByIDPrefix(nil, "")
	if err != nil {
		return err
	}
	for _, e := range evals {
		s.routeEval(e)
	}
	return nil
}

// routeEval hands an evaluation to the broker or the blocked tracker by status.
func (s *Server) routeEval(e *drover.Evaluation) {
	switch {
	case e.Status == drover.EvalStatusPending:
		s.blocked.Supersede(e)
		s.broker.Enqueue(e)
	case e.Status == drover.EvalStatusBlocked:
		s.blocked.Block(e)
	case e.Terminal():
		s.blocked.Untrack(e)
	}
}

// onEvalsUpserted is the FSM hook for written evaluations.
func (s *Server) onEvalsUpserted(evals []*drover.Evaluation) {
	for _, e := range evals {
		s.routeEval(e)
	}
}

// onNodeUpserted is the FSM hook for node writes: a ready node may bring
// capacity.
func (s *Server) onNodeUpserted(node *drover.Node) {
	if node.Ready() {
		s.capacityChanged(node.ID)
	}
}

// onAllocsClientUpdated is the FSM hook for client updates: an allocation
// that became terminal frees capacity on its node.
func (s *Server) onAllocsClientUpdated(allocs []*drover.Allocation) {
	seen := map[string]bool{}
	for _, a := range allocs {
		if a.ClientTerminal() && !seen[a.NodeID] {
			seen[a.NodeID] = true
			s.capacityChanged(a.NodeID)
		}
	}
}

// capacityChanged tells the blocked tracker that capacity may have freed
// on nodeID ("" for anywhere).
func (s *Server) capacityChanged(nodeID string) {
	index, err := s.State().LatestIndex()
	if err != nil {
		s.logger.Warn("reading state index", "error", err)
	}
	s.blocked.CapacityChanged(index, nodeID)
}

// blockedLoop writes the blocked tracker's decisions through Raft: released
// evaluations become pending (and so reach the broker through the FSM hook),
// superseded ones are cancelled.
func (s *Server) blockedLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.blocked.Wake():
		}
		unblock, cancel := s.blocked.Take()
		now := time.Now().UnixNano()
		var evals []*drover.Evaluation
		for _, e := range unblock {
			c := e.Copy()
			c.Status, c.StatusDescription, c.ModifyTime = drover.EvalStatusPending, "", now
			evals = append(evals, c)
		}
		for _, e := range cancel {
			c := e.Copy()
			c.Status, c.ModifyTime = drover.EvalStatusCancelled, now
			c.StatusDescription = "superseded by a newer evaluation of the job"
			evals = append(evals, c)
		}
		if len(evals) == 0 {
			continue
		}
		if _, err := s.raftApply(ctx, fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{Evals: evals}); err != nil {
			s.logger.Error("updating blocked evaluations", "error", err, "unblock", len(unblock), "cancel", len(cancel))
		}
	}
}

// evalFailed marks an evaluation that reached the delivery limit failed.
func (s *Server) evalFailed(e *drover.Evaluation) {
	ctx := s.leaderContext()
	if ctx == nil {
		return
	}
	c := e.Copy()
	c.Status = drover.EvalStatusFailed
	c.StatusDescription = "evaluation reached its delivery limit"
	c.ModifyTime = time.Now().UnixNano()
	if _, err := s.raftApply(ctx, fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{Evals: []*drover.Evaluation{c}}); err != nil {
		s.logger.Error("marking evaluation failed", "eval_id", e.ID, "error", err)
	}
}
