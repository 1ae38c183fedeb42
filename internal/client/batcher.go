package client

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/drover-sh/drover"
)

// batcher coalesces allocation status updates: the latest state of each
// allocation changed within UpdateInterval goes to the servers in one
// Node.UpdateAlloc call. A failed call keeps the updates (unless newer ones
// arrived) and is retried with backoff.
type batcher struct {
	c       *Client
	nodeID  string
	mu      sync.Mutex
	pending map[string]*drover.Allocation
	sending map[string]*drover.Allocation // the batch being sent, if any
	kick    chan struct{}
}

func newBatcher(c *Client) *batcher {
	return &batcher{c: c, nodeID: c.node.ID, pending: map[string]*drover.Allocation{}, kick: make(chan struct{}, 1)}
}

// add queues an allocation's client-side state. It never blocks.
func (b *batcher) add(a *drover.Allocation) {
	u := &drover.Allocation{
		ID: a.ID, NodeID: b.nodeID, Namespace: a.Namespace, JobID: a.JobID, TaskGroup: a.TaskGroup,
		ClientStatus: a.ClientStatus, ClientDescription: a.ClientDescription, TaskStates: copyTaskStates(a.TaskStates),
	}
	b.mu.Lock()
	b.pending[a.ID] = u
	b.mu.Unlock()
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// run sends batches until ctx is done, starting once the node registered.
func (b *batcher) run(ctx context.Context) {
	select {
	case <-b.c.registered:
	case <-ctx.Done():
		return
	}
	bo := backoff{min: b.c.cfg.RetryMin, max: b.c.cfg.RetryMax}
	for {
		select {
		case <-b.kick:
		case <-ctx.Done():
			return
		}
		if !sleep(ctx, b.c.cfg.UpdateInterval) {
			return
		}
		for {
			err := b.flush(ctx)
			if err == nil || ctx.Err() != nil {
				bo.reset()
				break
			}
			wait := bo.next()
			b.c.logger.Warn("sending allocation updates failed; retrying", "error", err, "retry_in", wait)
			if !sleep(ctx, wait) {
				return
			}
		}
	}
}

// flush sends everything pending in one call.
func (b *batcher) flush(ctx context.Context) error {
	b.mu.Lock()
	batch := b.pending
	b.pending = map[string]*drover.Allocation{}
	b.sending = batch
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.sending = nil
		b.mu.Unlock()
	}()
	if len(batch) == 0 {
		return nil
	}
	req := &drover.AllocUpdateRequest{WriteRequest: drover.WriteRequest{Region: b.c.cfg.Region}}
	for _, a := range batch {
		req.Alloc = append(req.Alloc, a)
	}
	var resp drover.GenericResponse
	start := time.Now()
	err := b.c.cfg.RPC.RPC(ctx, drover.MethodNodeUpdateAlloc, req, &resp)
	if err != nil {
		b.mu.Lock()
		for id, a := range batch {
			if _, newer := b.pending[id]; !newer {
				b.pending[id] = a
			}
		}
		b.mu.Unlock()
		return err
	}
	b.c.logger.Debug("sent allocation updates", "count", len(batch), "took", time.Since(start))
	return nil
}

// unsent reports whether an update of the allocation is queued or being
// sent: the servers may not know its latest state yet.
func (b *batcher) unsent(allocID string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, queued := b.pending[allocID]
	_, sending := b.sending[allocID]
	return queued || sending
}

// copyTaskStates deep-copies task states, so that whatever the RPC layer or
// an in-process server does with an update cannot reach the runners' own.
func copyTaskStates(in map[string]*drover.TaskState) map[string]*drover.TaskState {
	out := make(map[string]*drover.TaskState, len(in))
	for name, s := range in {
		c := *s
		c.Events = make([]*drover.TaskEvent, len(s.Events))
		for i, e := range s.Events {
			ec := *e
			ec.Details = maps.Clone(e.Details)
			c.Events[i] = &ec
		}
		out[name] = &c
	}
	return out
}
