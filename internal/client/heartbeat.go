package client

import (
	"context"
	"errors"
	"time"

	"github.com/drover-sh/drover"
)

// backoff doubles a wait from min to max; reset starts over.
type backoff struct {
	min, max, cur time.Duration
}

func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	} else if b.cur *= 2; b.cur > b.max {
		b.cur = b.max
	}
	return b.cur
}

func (b *backoff) reset() { b.cur = 0 }

// sleep waits d or until ctx is done; false means ctx is done.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// defaultHeartbeatTTL is assumed when a server answers without a TTL.
const defaultHeartbeatTTL = 10 * time.Second

// heartbeatLoop registers the node (retrying until a server answers), then
// heartbeats at about half the TTL the server gave. A heartbeat answered
// with ErrNotFound (the servers forgot the node) re-registers.
func (c *Client) heartbeatLoop(ctx context.Context) {
	for {
		ttl, ok := c.register(ctx)
		if !ok {
			return
		}
		if !c.heartbeat(ctx, ttl) {
			return
		}
	}
}

// register calls Node.Register until it succeeds; false means ctx ended.
func (c *Client) register(ctx context.Context) (time.Duration, bool) {
	bo := backoff{min: c.cfg.RetryMin, max: c.cfg.RetryMax}
	for {
		node := c.Node()
		var resp drover.NodeUpdateResponse
		err := c.cfg.RPC.RPC(ctx, drover.MethodNodeRegister,
			&drover.NodeRegisterRequest{Node: node, WriteRequest: drover.WriteRequest{Region: c.cfg.Region}}, &resp)
		if err == nil {
			c.contacted()
			c.logger.Info("node registered", "node_id", node.ID, "heartbeat_ttl", resp.HeartbeatTTL)
			c.registeredOnce.Do(func() { close(c.registered) })
			return resp.HeartbeatTTL, true
		}
		if ctx.Err() != nil {
			return 0, false
		}
		wait := bo.next()
		c.logger.Warn("node registration failed; retrying", "error", err, "retry_in", wait)
		if !sleep(ctx, wait) {
			return 0, false
		}
	}
}

// heartbeat sends Node.UpdateStatus before each TTL runs out. It returns
// true when the node must re-register, false when ctx ended.
func (c *Client) heartbeat(ctx context.Context, ttl time.Duration) bool {
	bo := backoff{min: c.cfg.RetryMin, max: c.cfg.RetryMax}
	wait := half(ttl)
	for {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-c.nodeChanged:
			t.Stop()
			c.logger.Info("node fingerprint changed; registering again")
			return true
		case <-ctx.Done():
			t.Stop()
			return false
		}
		node := c.Node()
		var resp drover.NodeUpdateResponse
		err := c.cfg.RPC.RPC(ctx, drover.MethodNodeUpdateStatus, &drover.NodeUpdateStatusRequest{
			NodeID: node.ID, SecretID: node.SecretID, Status: drover.NodeStatusReady,
			WriteRequest: drover.WriteRequest{Region: c.cfg.Region},
		}, &resp)
		switch {
		case err == nil:
			c.contacted()
			bo.reset()
			wait = half(resp.HeartbeatTTL)
		case errors.Is(err, drover.ErrNotFound):
			c.logger.Warn("servers do not know this node; registering again")
			return true
		case ctx.Err() != nil:
			return false
		default:
			wait = min(bo.next(), half(ttl))
			c.logger.Warn("heartbeat failed; retrying", "error", err, "retry_in", wait)
		}
	}
}

func half(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		ttl = defaultHeartbeatTTL
	}
	return ttl / 2
}
