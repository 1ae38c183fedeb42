package client

import (
	"context"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/allocrunner"
)

// minSyncInterval spaces blocking queries that returned without news, so a
// server that answers at once cannot make the client spin.
const minSyncInterval = 50 * time.Millisecond

// syncLoop follows the node's allocations with a blocking query on
// Node.GetClientAllocs, fetches the ones whose AllocModifyIndex changed, and
// starts, updates or destroys alloc runners to match.
func (c *Client) syncLoop(ctx context.Context) {
	select {
	case <-c.registered:
	case <-ctx.Done():
		return
	}
	bo := backoff{min: c.cfg.RetryMin, max: c.cfg.RetryMax}
	var index uint64
	swept := false
	for {
		started := time.Now()
		node := c.Node()
		var resp drover.NodeClientAllocsResponse
		err := c.cfg.RPC.RPC(ctx, drover.MethodNodeGetClientAllocs, &drover.NodeSpecificRequest{
			NodeID: node.ID, SecretID: node.SecretID,
			QueryOptions: drover.QueryOptions{Region: c.cfg.Region, MinQueryIndex: index, MaxQueryTime: c.cfg.MaxQueryTime},
		}, &resp)
		if err == nil {
			err = c.applyAllocs(ctx, resp.Allocs)
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			wait := bo.next()
			c.logger.Warn("allocation sync failed; retrying", "error", err, "retry_in", wait)
			if !sleep(ctx, wait) {
				return
			}
			continue
		}
		bo.reset()
		if !swept {
			// Every allocation the servers want here now has its
			// runner: what is left of the recorded tasks is not wanted.
			c.stopUnclaimed()
			swept = true
		}
		if resp.Index <= index {
			if !sleep(ctx, minSyncInterval-time.Since(started)) {
				return
			}
		}
		index = resp.Index
	}
}

// applyAllocs reconciles the runners with the server's list (allocation ID
// → AllocModifyIndex).
func (c *Client) applyAllocs(ctx context.Context, server map[string]uint64) error {
	var pull []string
	var newest uint64
	var gone []*allocrunner.AllocRunner
	c.mu.Lock()
	for id, idx := range server {
		if known, ok := c.indexes[id]; !ok || known < idx {
			pull = append(pull, id)
			newest = max(newest, idx)
		}
	}
	for id := range c.indexes {
		if _, ok := server[id]; !ok {
			if ar := c.runners[id]; ar != nil {
				gone = append(gone, ar)
			}
			delete(c.runners, id)
			delete(c.indexes, id)
			delete(c.collected, id)
		}
	}
	c.mu.Unlock()
	for _, ar := range gone {
		c.logger.Info("allocation removed by the servers; destroying it", "alloc_id", ar.ID())
		go func() {
			if err := ar.Destroy(); err != nil {
				c.logger.Error("destroying allocation failed", "alloc_id", ar.ID(), "error", err)
			}
		}()
	}
	if len(pull) == 0 {
		return nil
	}
	// A stale read is fine once it holds the changes the list announced.
	req := &drover.AllocsGetRequest{AllocIDs: pull, QueryOptions: drover.QueryOptions{
		Region: c.cfg.Region, AllowStale: true, MaxQueryTime: c.cfg.MaxQueryTime}}
	if newest > 0 {
		req.MinQueryIndex = newest - 1
	}
	var resp drover.AllocsGetResponse
	err := c.cfg.RPC.RPC(ctx, drover.MethodAllocGetAllocs, req, &resp)
	if err != nil {
		return err
	}
	for _, a := range resp.Allocs {
		if a != nil {
			c.applyAlloc(a)
		}
	}
	return nil
}

// applyAlloc starts a runner for a new allocation or updates an existing
// one. A new allocation that is already terminal is only remembered.
func (c *Client) applyAlloc(a *drover.Allocation) {
	c.mu.Lock()
	ar := c.runners[a.ID]
	c.indexes[a.ID] = a.AllocModifyIndex
	collected := c.collected[a.ID]
	c.mu.Unlock()
	if ar != nil {
		ar.Update(a)
		return
	}
	if !collected && c.adopt(a) {
		return
	}
	if a.Terminal() || a.Job == nil || collected {
		return
	}
	ar, err := c.newRunner(a)
	if err != nil {
		c.logger.Error("cannot run allocation", "alloc_id", a.ID, "error", err)
		return
	}
	c.mu.Lock()
	c.runners[a.ID] = ar
	over := len(c.runners) > c.cfg.GC.MaxAllocs
	c.mu.Unlock()
	if over {
		c.kickGC() // make room now rather than at the next interval
	}
	c.logger.Info("running allocation", "alloc_id", a.ID, "job", a.JobID, "group", a.TaskGroup)
	ar.Run()
}
