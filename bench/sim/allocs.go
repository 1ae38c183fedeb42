package sim

import (
	"context"
	"sync"
	"time"

	"github.com/drover-sh/drover"
)

// maxUpdateBatch bounds the allocations of one Node.UpdateAlloc call.
const maxUpdateBatch = 2000

// syncLoop follows the node's allocations with blocking queries on
// Node.GetClientAllocs, as the real client does.
func (s *Simulator) syncLoop(ctx context.Context, n *simNode) {
	var index uint64
	for {
		started := time.Now()
		var resp drover.NodeClientAllocsResponse
		err := n.rpc.RPC(ctx, drover.MethodNodeGetClientAllocs, &drover.NodeSpecificRequest{
			NodeID: n.node.ID, SecretID: n.node.SecretID,
			QueryOptions: drover.QueryOptions{MinQueryIndex: index, MaxQueryTime: s.cfg.MaxQueryTime},
		}, &resp)
		if err == nil {
			err = s.pull(ctx, n, resp.Allocs)
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.syncErrors.Add(1)
			s.logger.Warn("allocation sync failed", "node", n.node.Name, "error", err)
			if !sleep(ctx, time.Second) {
				return
			}
			continue
		}
		if resp.Index <= index && !sleep(ctx, 50*time.Millisecond-time.Since(started)) {
			return
		}
		index = resp.Index
	}
}

// pull fetches the allocations whose AllocModifyIndex changed and acts on
// them.
func (s *Simulator) pull(ctx context.Context, n *simNode, server map[string]uint64) error {
	var ids []string
	var newest uint64
	n.mu.Lock()
	for id, idx := range server {
		if known, ok := n.indexes[id]; !ok || known < idx {
			ids = append(ids, id)
			newest = max(newest, idx)
		}
	}
	for id := range n.indexes {
		if _, ok := server[id]; !ok {
			delete(n.indexes, id)
			delete(n.state, id)
		}
	}
	n.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	req := &drover.AllocsGetRequest{AllocIDs: ids, QueryOptions: drover.QueryOptions{
		AllowStale: true, MinQueryIndex: newest - 1, MaxQueryTime: s.cfg.MaxQueryTime}}
	var resp drover.AllocsGetResponse
	if err := n.rpc.RPC(ctx, drover.MethodAllocGetAllocs, req, &resp); err != nil {
		return err
	}
	for _, a := range resp.Allocs {
		if a != nil {
			s.apply(n, a)
		}
	}
	return nil
}

// apply "runs" one allocation: a new one is reported running (and complete
// after its run_for); one the servers stopped is reported complete.
func (s *Simulator) apply(n *simNode, a *drover.Allocation) {
	n.mu.Lock()
	n.indexes[a.ID] = a.AllocModifyIndex
	prev := n.state[a.ID]
	n.mu.Unlock()
	switch {
	case a.ServerTerminal():
		if prev == drover.AllocClientStatusRunning {
			s.report(n, a, drover.AllocClientStatusComplete)
		}
	case prev == "" && !a.ClientTerminal():
		s.report(n, a, drover.AllocClientStatusRunning)
		if d := runFor(a); d > 0 {
			time.AfterFunc(d, func() { s.report(n, a, drover.AllocClientStatusComplete) })
		}
	}
}

// runFor is the longest run_for of the allocation's mock tasks (0: none).
func runFor(a *drover.Allocation) time.Duration {
	if a.Job == nil {
		return 0
	}
	tg := a.Job.LookupTaskGroup(a.TaskGroup)
	if tg == nil {
		return 0
	}
	var longest time.Duration
	for _, t := range tg.Tasks {
		v, _ := t.Config["run_for"].(string)
		if d, err := time.ParseDuration(v); err == nil {
			longest = max(longest, d)
		}
	}
	return longest
}

// report records the allocation's new client status and queues it for the
// next batched update. A status never goes back from complete.
func (s *Simulator) report(n *simNode, a *drover.Allocation, status string) {
	n.mu.Lock()
	prev, tracked := n.state[a.ID]
	if prev == status || prev == drover.AllocClientStatusComplete || (!tracked && status != drover.AllocClientStatusRunning) {
		n.mu.Unlock()
		return
	}
	n.state[a.ID] = status
	n.mu.Unlock()
	now := time.Now()
	ts := &drover.TaskState{State: drover.TaskStateRunning, StartedAt: now}
	if status == drover.AllocClientStatusComplete {
		ts = &drover.TaskState{State: drover.TaskStateDead, FinishedAt: now}
		s.completed.Add(1)
	} else {
		s.running.Add(1)
		s.firstRunning.CompareAndSwap(0, now.UnixNano())
		s.lastRunning.Store(now.UnixNano())
	}
	states := map[string]*drover.TaskState{}
	if a.Job != nil {
		if tg := a.Job.LookupTaskGroup(a.TaskGroup); tg != nil {
			for _, t := range tg.Tasks {
				c := *ts
				states[t.Name] = &c
			}
		}
	}
	u := &drover.Allocation{ID: a.ID, NodeID: n.node.ID, Namespace: a.Namespace, JobID: a.JobID,
		TaskGroup: a.TaskGroup, ClientStatus: status, TaskStates: states}
	s.mu.Lock()
	s.pending[a.ID] = u
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// updateLoop sends the queued updates of every node together, once per
// UpdateInterval, in calls of at most maxUpdateBatch allocations. A flush
// does not wait for the one before it to be answered: real nodes each batch
// their own updates, independently of each other.
func (s *Simulator) updateLoop(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-s.kick:
		case <-ctx.Done():
			return
		}
		if !sleep(ctx, s.cfg.UpdateInterval) {
			return
		}
		s.mu.Lock()
		batch := s.pending
		s.pending = map[string]*drover.Allocation{}
		s.mu.Unlock()
		var cur []*drover.Allocation
		for _, a := range batch {
			if cur = append(cur, a); len(cur) == maxUpdateBatch {
				chunk := cur
				wg.Go(func() { s.send(ctx, chunk) })
				cur = nil
			}
		}
		if chunk := cur; len(chunk) > 0 {
			wg.Go(func() { s.send(ctx, chunk) })
		}
	}
}

// send makes one Node.UpdateAlloc call; on failure the updates are queued
// again unless newer ones arrived.
func (s *Simulator) send(ctx context.Context, allocs []*drover.Allocation) {
	var resp drover.GenericResponse
	s.updateCalls.Add(1)
	start := time.Now()
	err := s.rpc.RPC(ctx, drover.MethodNodeUpdateAlloc, &drover.AllocUpdateRequest{Alloc: allocs}, &resp)
	s.logger.Debug("sent allocation updates", "count", len(allocs), "took", time.Since(start), "error", err)
	if err == nil || ctx.Err() != nil {
		return
	}
	s.updateErrors.Add(1)
	s.logger.Warn("allocation update failed; retrying", "count", len(allocs), "error", err)
	s.mu.Lock()
	for _, a := range allocs {
		if _, newer := s.pending[a.ID]; !newer {
			s.pending[a.ID] = a
		}
	}
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}
