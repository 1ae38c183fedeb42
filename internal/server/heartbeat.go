package server

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/fsm"
)

// heartbeats holds the leader's liveness timer of every node. A node whose
// timer fires is marked down and its jobs are re-evaluated.
type heartbeats struct {
	s *Server

	mu     sync.Mutex
	timers map[string]*time.Timer
}

func newHeartbeats(s *Server) *heartbeats {
	return &heartbeats{s: s, timers: map[string]*time.Timer{}}
}

// reset (re)arms nodeID's timer to fire after ttl; only the leader keeps timers.
func (h *heartbeats) reset(nodeID string, ttl time.Duration) {
	if h.s.leaderContext() == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if t, ok := h.timers[nodeID]; ok {
		t.Stop()
	}
	h.timers[nodeID] = time.AfterFunc(ttl, func() { h.expire(nodeID) })
}

// remove drops nodeID's timer.
func (h *heartbeats) remove(nodeID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t, ok := h.timers[nodeID]; ok {
		t.Stop()
		delete(h.timers, nodeID)
	}
}

// clear drops every timer (leadership lost).
func (h *heartbeats) clear() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, t := range h.timers {
		t.Stop()
		delete(h.timers, id)
	}
}

// nextTTL returns the TTL to give a client that heartbeats now. It is at
// least HeartbeatTTL, and grows with the number of nodes so that all of
// them together heartbeat at most MaxHeartbeatsPerSecond (clients heartbeat
// at half their TTL), as a large cluster must not spend its servers on
// liveness. Up to a quarter is added at random, so heartbeats spread out
// instead of arriving in waves.
func (h *heartbeats) nextTTL() time.Duration {
	ttl := h.s.cfg.HeartbeatTTL
	if rate := h.s.cfg.MaxHeartbeatsPerSecond; rate > 0 {
		scaled := time.Duration(float64(2*h.count()) / rate * float64(time.Second))
		ttl = max(ttl, scaled)
	}
	return ttl + rand.N(ttl/4+1)
}

// count returns the number of armed timers.
func (h *heartbeats) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.timers)
}

// initialize arms a timer for every node not down, with the failover grace
// on top, so clients have time to find the new leader.
func (h *heartbeats) initialize() error {
	nodes, err := h.s.State().Nodes(nil)
	if err != nil {
		return err
	}
	ttl := h.s.cfg.HeartbeatTTL + h.s.cfg.HeartbeatGrace + h.s.cfg.FailoverGrace
	for _, n := range nodes {
		if n.Status != drover.NodeStatusDown {
			h.reset(n.ID, ttl)
		}
	}
	return nil
}

// expire marks nodeID down and creates a node-update evaluation for every
// job with allocations on it that may still run.
func (h *heartbeats) expire(nodeID string) {
	h.mu.Lock()
	delete(h.timers, nodeID)
	h.mu.Unlock()
	ctx := h.s.leaderContext()
	if ctx == nil {
		return
	}
	log := h.s.logger.With("node_id", nodeID)
	log.Warn("node missed its heartbeat; marking it down")
	if err := h.s.markNodeDown(ctx, nodeID); err != nil {
		log.Error("marking node down", "error", err)
	}
}

// markNodeDown writes nodeID's status down and its jobs' evaluations.
func (s *Server) markNodeDown(ctx context.Context, nodeID string) error {
	now := time.Now()
	_, err := s.raftApply(ctx, fsm.NodeUpdateStatusRequestType, &fsm.NodeUpdateStatusRequest{
		NodeID: nodeID, Status: drover.NodeStatusDown, UpdatedAt: now.Unix(),
	})
	if err != nil {
		return err
	}
	evals, err := s.nodeEvals(nodeID, now)
	if err != nil || len(evals) == 0 {
		return err
	}
	_, err = s.raftApply(ctx, fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{Evals: evals})
	return err
}

// nodeEvals returns one pending node-update evaluation per job with
// non-terminal allocations on nodeID.
func (s *Server) nodeEvals(nodeID string, now time.Time) ([]*drover.Evaluation, error) {
	st := s.State()
	allocs, err := st.AllocsByNode(nil, nodeID)
	if err != nil {
		return nil, err
	}
	node, err := st.NodeByID(nil, nodeID)
	if err != nil {
		return nil, err
	}
	seen := map[jobKey]bool{}
	var evals []*drover.Evaluation
	for _, a := range allocs {
		k := jobKey{a.Namespace, a.JobID}
		if a.Terminal() || seen[k] {
			continue
		}
		seen[k] = true
		job, err := st.JobByID(nil, a.Namespace, a.JobID)
		if err != nil {
			return nil, err
		}
		if job == nil {
			job = a.Job
		}
		e := &drover.Evaluation{
			ID: drover.GenerateID(), Namespace: a.Namespace, JobID: a.JobID,
			TriggeredBy: drover.EvalTriggerNodeUpdate, NodeID: nodeID,
			Status: drover.EvalStatusPending, CreateTime: now.UnixNano(), ModifyTime: now.UnixNano(),
			Priority: drover.DefaultPriority, Type: drover.JobTypeService,
		}
		if node != nil {
			e.NodeModifyIndex = node.ModifyIndex
		}
		if job != nil {
			e.Priority, e.Type, e.JobModifyIndex = job.Priority, job.Type, job.JobModifyIndex
		}
		evals = append(evals, e)
	}
	return evals, nil
}
