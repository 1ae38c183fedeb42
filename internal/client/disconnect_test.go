package client

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/internal/fakedriver"
)

// partition stands between a client and its servers and can cut them off:
// while cut, every call fails as an unreachable server's would, calls
// under way are abandoned, and answers that come back anyway are dropped.
type partition struct {
	srv      RPCer
	mu       sync.Mutex
	cut      bool
	cutCh    chan struct{} // closed when cut
	failures atomic.Int64  // heartbeats that failed while cut
}

var errUnreachable = errors.New("dial tcp 10.0.0.1:4647: connect: connection refused")

func newPartition(srv RPCer) *partition { return &partition{srv: srv, cutCh: make(chan struct{})} }

func (p *partition) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cut == p.cut {
		return
	}
	p.cut = cut
	if cut {
		close(p.cutCh)
	} else {
		p.cutCh = make(chan struct{})
	}
}

func (p *partition) state() (bool, chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cut, p.cutCh
}

func (p *partition) RPC(ctx context.Context, method string, args, reply any) error {
	cut, ch := p.state()
	if !cut {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-ch:
				cancel()
			case <-ctx.Done():
			}
		}()
		err := p.srv.RPC(ctx, method, args, reply)
		if cut, _ = p.state(); !cut {
			return err
		}
	}
	if method == drover.MethodNodeUpdateStatus {
		p.failures.Add(1)
	}
	return errUnreachable
}

// The tests below set a long MaxQueryTime, so that the client's blocking
// query does not end on its own while the servers are out of reach.

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// disconnectAlloc is testAlloc with its task named task and, when after is
// set, disconnect { stop_on_client_after = after }.
func disconnectAlloc(nodeID, task string, after *time.Duration) *drover.Allocation {
	a := testAlloc(nodeID, drover.JobTypeService, map[string]any{})
	tg := a.Job.TaskGroups[0]
	tg.Tasks[0].Name = task
	if after != nil {
		tg.Disconnect = &drover.DisconnectStrategy{StopOnClientAfter: after}
	}
	return a
}

func (c *testClient) runnerStatus(id string) string {
	c.mu.Lock()
	ar := c.runners[id]
	c.mu.Unlock()
	if ar == nil {
		return ""
	}
	return ar.Alloc().ClientStatus
}

// TestClientStopsAllocsWithoutServers: while the servers are out of reach
// the client keeps its allocations running; one whose group sets
// stop_on_client_after is stopped once that long has passed since the last
// heartbeat (not before), with a kill reason saying why, and the others
// keep running. When the servers answer again the client reports the
// stopped allocation complete and applies what changed on the servers
// meanwhile (a new allocation placed during the outage runs).
func TestClientStopsAllocsWithoutServers(t *testing.T) {
	srv := newFakeServer()
	net := newPartition(srv)
	drv := fakedriver.New("fake")
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	c := startClient(t, net, drv, func(cfg *Config) { cfg.Now = clock.Now; cfg.MaxQueryTime = time.Minute })
	defer c.stop(t)
	waitFor(t, "register", func() bool { r, _, _ := srv.counts(); return r == 1 })

	after := time.Minute
	stopper := disconnectAlloc(c.NodeID(), "stopper", &after)
	keeper := disconnectAlloc(c.NodeID(), "keeper", nil)
	srv.upsertAlloc(stopper)
	srv.upsertAlloc(keeper)
	waitFor(t, "both running on the servers' view", func() bool {
		return srv.alloc(stopper.ID).ClientStatus == drover.AllocClientStatusRunning &&
			srv.alloc(keeper.ID).ClientStatus == drover.AllocClientStatusRunning
	})

	net.setCut(true)
	waitFor(t, "heartbeats failing", func() bool { return net.failures.Load() >= 3 })
	// Two looks at the allocations later (the first may have begun before
	// the cut): the client's clock did not move, so nothing is due.
	passes := c.contact.passes.Load()
	waitFor(t, "the watch looking", func() bool { return c.contact.passes.Load() >= passes+2 })
	if drv.Running("stopper") != 1 || drv.Running("keeper") != 1 {
		t.Fatalf("running before stop_on_client_after passed: stopper %d keeper %d", drv.Running("stopper"), drv.Running("keeper"))
	}

	// A change on the servers during the outage.
	placed := disconnectAlloc(c.NodeID(), "placed", nil)
	srv.upsertAlloc(placed)

	clock.advance(after + time.Second)
	waitFor(t, "stopper stopped", func() bool { return c.runnerStatus(stopper.ID) == drover.AllocClientStatusComplete })
	if drv.Running("stopper") != 0 {
		t.Fatal("stopper's task still runs")
	}
	if drv.Running("keeper") != 1 || c.runnerStatus(keeper.ID) != drover.AllocClientStatusRunning {
		t.Fatalf("an allocation without stop_on_client_after was stopped: %s", c.runnerStatus(keeper.ID))
	}
	if drv.Starts("placed") != 0 {
		t.Fatal("an allocation placed during the outage ran before the servers answered")
	}
	if got := srv.alloc(stopper.ID).ClientStatus; got != drover.AllocClientStatusRunning {
		t.Fatalf("the servers heard %s during the outage", got)
	}

	net.setCut(false)
	waitFor(t, "the stop reported", func() bool {
		return srv.alloc(stopper.ID).ClientStatus == drover.AllocClientStatusComplete
	})
	var reason string
	for _, e := range srv.alloc(stopper.ID).TaskStates["stopper"].Events {
		if e.Type == drover.TaskKilling {
			reason = e.KillReason
		}
	}
	if !strings.Contains(reason, "no contact with the servers") || !strings.Contains(reason, "stop_on_client_after of 1m0s") {
		t.Errorf("kill reason %q does not say why", reason)
	}
	waitFor(t, "the allocation placed during the outage running", func() bool {
		return srv.alloc(placed.ID).ClientStatus == drover.AllocClientStatusRunning
	})
	if got := srv.alloc(keeper.ID).ClientStatus; got != drover.AllocClientStatusRunning {
		t.Fatalf("keeper %s after the outage", got)
	}
}

// TestClientContactResetsStopOnClientAfter: time without contact is
// counted from the last successful heartbeat, so an allocation outlives
// stop_on_client_after many times over while heartbeats succeed.
func TestClientContactResetsStopOnClientAfter(t *testing.T) {
	srv := newFakeServer()
	drv := fakedriver.New("fake")
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	c := startClient(t, srv, drv, func(cfg *Config) { cfg.Now = clock.Now; cfg.MaxQueryTime = time.Minute })
	defer c.stop(t)
	waitFor(t, "register", func() bool { r, _, _ := srv.counts(); return r == 1 })

	after := time.Minute
	a := disconnectAlloc(c.NodeID(), "web", &after)
	srv.upsertAlloc(a)
	waitFor(t, "running", func() bool { return srv.alloc(a.ID).ClientStatus == drover.AllocClientStatusRunning })
	for range 3 {
		clock.advance(after / 2)
		// The heartbeat counted after hb was sent after the move, and has
		// been answered once the next one is counted.
		_, hb, _ := srv.counts()
		passes := c.contact.passes.Load()
		waitFor(t, "a heartbeat and a look", func() bool {
			_, n, _ := srv.counts()
			return n > hb+1 && c.contact.passes.Load() > passes
		})
	}
	if got := c.runnerStatus(a.ID); got != drover.AllocClientStatusRunning || drv.Running("web") != 1 {
		t.Fatalf("allocation %q with heartbeats succeeding (server view %s, running %d)", got, srv.alloc(a.ID).ClientStatus, drv.Running("web"))
	}
}
