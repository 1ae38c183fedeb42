package server

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/fsm"
)

// nodeRegister registers or re-registers a client node as ready and starts
// its heartbeat timer.
func (s *Server) nodeRegister(ctx context.Context, args *drover.NodeRegisterRequest, reply *drover.NodeUpdateResponse) error {
	if done, err := s.forward(ctx, drover.MethodNodeRegister, args, reply); done {
		return err
	}
	if args.Node == nil || args.Node.ID == "" {
		return drover.Errorf(drover.ErrInvalid, "node register: missing node or node ID")
	}
	existing, err := s.State().NodeByID(nil, args.Node.ID)
	if err != nil {
		return fmt.Errorf("node register: %w", err)
	}
	if err := checkSecret(existing, args.Node.SecretID); err != nil {
		return err
	}
	node := args.Node.Copy()
	if node.Datacenter == "" {
		node.Datacenter = s.cfg.Datacenter
	}
	if node.NodePool == "" {
		node.NodePool = drover.DefaultNodePool
	}
	if node.SchedulingEligibility == "" {
		node.SchedulingEligibility = drover.NodeEligible
	}
	node.Status = drover.NodeStatusReady
	node.StatusUpdatedAt = time.Now().Unix()
	index, err := s.raftApply(ctx, fsm.NodeRegisterRequestType, &fsm.NodeRegisterRequest{Node: node})
	if err != nil {
		return fmt.Errorf("node register %s: %w", node.ID, err)
	}
	if err := s.createSystemEvals(ctx, existing, node.ID); err != nil {
		return fmt.Errorf("node register %s: %w", node.ID, err)
	}
	ttl := s.heartbeats.nextTTL()
	s.heartbeats.reset(node.ID, ttl+s.cfg.HeartbeatGrace)
	reply.HeartbeatTTL, reply.LeaderRPCAddr, reply.Index = ttl, s.Leader(), index
	return nil
}

// checkSecret refuses a node update whose secret does not match the
// registered node's.
func checkSecret(existing *drover.Node, secret string) error {
	if existing != nil && existing.SecretID != "" && existing.SecretID != secret {
		return drover.Errorf(drover.ErrPermission, "node %s: secret ID does not match", existing.ID)
	}
	return nil
}

// nodeUpdateStatus is the heartbeat: it resets the node's timer and writes
// the status only when it changed. An unknown node is ErrNotFound, which
// tells the client to register again.
func (s *Server) nodeUpdateStatus(ctx context.Context, args *drover.NodeUpdateStatusRequest, reply *drover.NodeUpdateResponse) error {
	if done, err := s.forward(ctx, drover.MethodNodeUpdateStatus, args, reply); done {
		return err
	}
	node, err := s.State().NodeByID(nil, args.NodeID)
	if err != nil {
		return fmt.Errorf("node update status: %w", err)
	}
	if node == nil {
		return drover.Errorf(drover.ErrNotFound, "node %s not found: register it again", args.NodeID)
	}
	if err := checkSecret(node, args.SecretID); err != nil {
		return err
	}
	status := args.Status
	if status == "" {
		status = drover.NodeStatusReady
	}
	switch status {
	case drover.NodeStatusReady, drover.NodeStatusInit, drover.NodeStatusDown:
	default:
		return drover.Errorf(drover.ErrInvalid, "node update status: unknown status %q", status)
	}
	index := node.ModifyIndex
	switch {
	case status == node.Status:
	case status == drover.NodeStatusDown:
		if err := s.markNodeDown(ctx, node.ID); err != nil {
			return fmt.Errorf("node update status %s: %w", node.ID, err)
		}
		index, _ = s.State().LatestIndex()
	default:
		index, err = s.raftApply(ctx, fsm.NodeUpdateStatusRequestType, &fsm.NodeUpdateStatusRequest{
			NodeID: node.ID, Status: status, UpdatedAt: time.Now().Unix(),
		})
		if err != nil {
			return fmt.Errorf("node update status %s: %w", node.ID, err)
		}
		if err := s.createSystemEvals(ctx, node, node.ID); err != nil {
			return fmt.Errorf("node update status %s: %w", node.ID, err)
		}
	}
	ttl := s.heartbeats.nextTTL()
	if status == drover.NodeStatusDown {
		s.heartbeats.remove(node.ID)
	} else {
		s.heartbeats.reset(node.ID, ttl+s.cfg.HeartbeatGrace)
	}
	reply.HeartbeatTTL, reply.LeaderRPCAddr, reply.Index = ttl, s.Leader(), index
	return nil
}

// nodeUpdateAlloc records clients' allocation updates, coalesced with other
// callers' into one Raft command per batch window.
func (s *Server) nodeUpdateAlloc(ctx context.Context, args *drover.AllocUpdateRequest, reply *drover.GenericResponse) error {
	if done, err := s.forward(ctx, drover.MethodNodeUpdateAlloc, args, reply); done {
		return err
	}
	if len(args.Alloc) == 0 {
		return nil
	}
	updates := make([]*drover.Allocation, 0, len(args.Alloc))
	for _, a := range args.Alloc {
		if a == nil || a.ID == "" {
			return drover.Errorf(drover.ErrInvalid, "node update alloc: allocation without ID")
		}
		// Only client-side fields travel; the stored alloc keeps the rest.
		updates = append(updates, &drover.Allocation{
			ID: a.ID, NodeID: a.NodeID, JobID: a.JobID, Namespace: a.Namespace, TaskGroup: a.TaskGroup,
			ClientStatus: a.ClientStatus, ClientDescription: a.ClientDescription,
			TaskStates: a.TaskStates, ModifyTime: time.Now().UnixNano(),
		})
	}
	f := s.allocBatch.add(updates)
	select {
	case <-f.done:
		reply.Index = f.index
		return f.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// allocBatcher coalesces client allocation updates.
type allocBatcher struct {
	s      *Server
	window time.Duration

	mu      sync.Mutex
	pending []*drover.Allocation
	future  *batchFuture
	kick    chan struct{}
}

// batchFuture is the outcome of one batch, shared by its callers.
type batchFuture struct {
	done  chan struct{}
	index uint64
	err   error
}

func newAllocBatcher(s *Server, window time.Duration) *allocBatcher {
	return &allocBatcher{s: s, window: window, kick: make(chan struct{}, 1)}
}

// add queues updates for the next batch and returns its future.
func (b *allocBatcher) add(updates []*drover.Allocation) *batchFuture {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending = append(b.pending, updates...)
	if b.future == nil {
		b.future = &batchFuture{done: make(chan struct{})}
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
	return b.future
}

// run commits a batch one window after its first update, until ctx ends.
func (b *allocBatcher) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			b.flush(ctx)
			return
		case <-b.kick:
		}
		select {
		case <-ctx.Done():
		case <-time.After(b.window):
		}
		b.flush(ctx)
	}
}

func (b *allocBatcher) flush(ctx context.Context) {
	b.mu.Lock()
	updates, f := b.pending, b.future
	b.pending, b.future = nil, nil
	b.mu.Unlock()
	if f == nil {
		return
	}
	if ctx.Err() != nil {
		f.err = drover.Errorf(drover.ErrUnavailable, "node update alloc: server shutting down")
	} else {
		actx, cancel := context.WithTimeout(ctx, 30*time.Second)
		f.index, f.err = b.s.raftApply(actx, fsm.AllocClientUpdateRequestType, &fsm.AllocClientUpdateRequest{Allocs: updates, Evals: b.s.allocFailureEvals(updates)})
		cancel()
	}
	close(f.done)
}
