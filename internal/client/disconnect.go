package client

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/allocrunner"
)

// Stopping allocations while the servers are out of reach.
//
// A client that cannot reach any server keeps its allocations running and
// resynchronises when the servers return (the heartbeat and sync loops
// retry without end). An allocation whose group sets
// disconnect { stop_on_client_after } (or the older
// stop_after_client_disconnect) is the exception: once that long has passed
// since the client's last successful heartbeat (or registration, or the
// start of Run, whichever is latest), its tasks are stopped as a stop by
// the servers would stop them (shutdown_delay, kill_signal, kill_timeout,
// poststop tasks), with a kill reason saying why. The allocation ends
// complete, and its status reaches the servers once they answer again. The
// servers meanwhile mark the allocation lost and hold back its replacement
// until it has been stopped (see internal/scheduler/reconcile/disconnect.go),
// so two copies never run at once.

// disconnectPoll bounds how long the watch sleeps, so that it finds
// allocations started meanwhile.
const disconnectPoll = time.Second

// contactTracker records the last successful contact with the servers.
type contactTracker struct {
	mu   sync.Mutex
	last time.Time
	// passes counts the watch's looks at the allocations, so tests can
	// wait for one to have happened.
	passes atomic.Int64
}

func (t *contactTracker) set(at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if at.After(t.last) {
		t.last = at
	}
}

func (t *contactTracker) get() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

// contacted records a successful call to the servers (register or
// heartbeat) at the client's clock.
func (c *Client) contacted() { c.contact.set(c.cfg.Now()) }

// stopOnClientAfter is how long the allocation's group lets it run without
// contact with the servers; false when the group does not say.
func stopOnClientAfter(a *drover.Allocation) (time.Duration, bool) {
	if a.Job == nil {
		return 0, false
	}
	return a.Job.LookupTaskGroup(a.TaskGroup).StopOnClientAfter()
}

// disconnectLoop stops the allocations whose stop_on_client_after has
// passed without contact with the servers, until ctx is done.
func (c *Client) disconnectLoop(ctx context.Context) {
	c.contacted() // the start counts as contact: a restarted agent gets the full time
	stopped := map[string]bool{}
	for {
		wait := c.stopDisconnected(stopped)
		c.contact.passes.Add(1)
		if !sleep(ctx, min(wait, disconnectPoll)) {
			return
		}
	}
}

// stopDisconnected stops each running allocation whose
// stop_on_client_after has passed since the last contact, once (stopped
// records them), and returns how long until the next one is due.
func (c *Client) stopDisconnected(stopped map[string]bool) time.Duration {
	c.mu.Lock()
	runners := make([]*allocrunner.AllocRunner, 0, len(c.runners))
	for id, ar := range c.runners {
		if !stopped[id] {
			runners = append(runners, ar)
		}
	}
	for id := range stopped {
		if c.runners[id] == nil {
			delete(stopped, id) // gone: forget it
		}
	}
	c.mu.Unlock()
	last := c.contact.get()
	now := c.cfg.Now()
	next := disconnectPoll
	for _, ar := range runners {
		a := ar.Alloc()
		after, ok := stopOnClientAfter(a)
		if !ok || a.ServerTerminal() || a.ClientTerminal() {
			continue
		}
		due := last.Add(after)
		if now.Before(due) {
			next = min(next, due.Sub(now))
			continue
		}
		stopped[a.ID] = true
		reason := fmt.Sprintf("no contact with the servers since %s, longer than the group's disconnect stop_on_client_after of %s",
			last.UTC().Format(time.RFC3339), after)
		c.logger.Warn("stopping allocation: servers out of reach", "alloc_id", a.ID, "job", a.JobID, "group", a.TaskGroup,
			"last_contact", last, "stop_on_client_after", after)
		ar.Stop(reason)
	}
	return next
}
