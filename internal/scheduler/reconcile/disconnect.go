package reconcile

import (
	"time"

	drover "github.com/drover-sh/drover"
)

// Lost allocations of a group with disconnect { stop_on_client_after }.
//
// A client that loses contact with the servers stops such an allocation by
// itself once stop_on_client_after has passed since its last heartbeat (see
// internal/client/disconnect.go). The servers, which mark the node down
// only after its heartbeat TTL ran out, must not place the replacement
// before that stop is done, or two copies would run at once. So a lost
// allocation of such a group is stopped (client status lost) at once, but
// its replacement waits until ClientStopWait has passed since then: the
// allocation holds its index and counts towards Count meanwhile, and the
// scheduler asks for a follow-up evaluation at that time (ReplaceLater).
// The time of the stop is the allocation's ModifyTime, which the stop sets.
// Should the client come back and report the allocation complete or failed
// first, its tasks are known to be stopped and the wait ends early.

// ReplaceLater is a lost allocation whose replacement waits for its client
// to have stopped it: the scheduler asks for a follow-up evaluation at At.
type ReplaceLater struct {
	Alloc *drover.Allocation
	At    time.Time
}

// ClientStopWait is how long after an allocation of tg is marked lost its
// replacement waits: the group's stop_on_client_after plus the time its
// client takes to stop the tasks (the group's shutdown_delay, then the
// longest task shutdown_delay plus kill_timeout). ok is false when the
// group does not set stop_on_client_after (or sets it to zero).
func ClientStopWait(tg *drover.TaskGroup) (wait time.Duration, ok bool) {
	wait, ok = tg.StopOnClientAfter()
	if !ok {
		return 0, false
	}
	if tg.ShutdownDelay != nil && *tg.ShutdownDelay > 0 {
		wait += *tg.ShutdownDelay
	}
	var longest time.Duration
	for _, t := range tg.Tasks {
		longest = max(longest, max(t.ShutdownDelay, 0)+max(t.KillTimeout, 0))
	}
	return wait + longest, true
}

// allocGroup is the group an allocation runs, as its own job version says
// (that is the version its client acts on), or else the current one.
func (g *group) allocGroup(a *drover.Allocation) *drover.TaskGroup {
	if a.Job != nil {
		if tg := a.Job.LookupTaskGroup(a.TaskGroup); tg != nil {
			return tg
		}
	}
	return g.tg
}

// replaceLostLater reports whether a, live on a node that is down, is
// stopped as lost now and replaced only later, and when.
func (g *group) replaceLostLater(a *drover.Allocation) (time.Time, bool) {
	if g.in.Now.IsZero() {
		return time.Time{}, false
	}
	wait, ok := ClientStopWait(g.allocGroup(a))
	if !ok {
		return time.Time{}, false
	}
	return g.in.Now.Add(wait), true
}

// waitingForClientStop reports whether a was stopped as lost by an earlier
// evaluation and its replacement still waits (see above), and until when.
func (g *group) waitingForClientStop(a *drover.Allocation) (time.Time, bool) {
	if g.in.Now.IsZero() || a.DesiredStatus != drover.AllocDesiredStatusStop || a.DesiredDescription != DescLost {
		return time.Time{}, false
	}
	switch a.ClientStatus {
	case drover.AllocClientStatusComplete, drover.AllocClientStatusFailed:
		return time.Time{}, false // its client reported the tasks stopped
	}
	wait, ok := ClientStopWait(g.allocGroup(a))
	if !ok || a.ModifyTime == 0 {
		return time.Time{}, false
	}
	at := time.Unix(0, a.ModifyTime).Add(wait)
	return at, g.in.Now.Before(at)
}

// holdForClientStop keeps the waiting allocations' indexes (up to what the
// group's Count leaves room for, highest index released first) and asks for
// an evaluation when each wait ends. It returns the allocations held.
func (g *group) holdForClientStop(waiting []*drover.Allocation, at map[*drover.Allocation]time.Time, excess int) ([]*drover.Allocation, int) {
	for excess > 0 && len(waiting) > 0 {
		waiting = waiting[:len(waiting)-1] // already stopped: only not held
		excess--
	}
	for _, a := range waiting {
		g.res.ReplaceLater = append(g.res.ReplaceLater, ReplaceLater{Alloc: a, At: at[a]})
	}
	return waiting, excess
}
