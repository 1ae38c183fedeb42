package drover

import "time"

// MaxRescheduleEvents bounds the events an unlimited policy's tracker keeps;
// only the latest matter for the next delay.
const MaxRescheduleEvents = 5

// RescheduleTracker is the history of reschedules that led to an
// allocation, oldest first. Each replacement carries its predecessor's
// events plus one for its own reschedule.
type RescheduleTracker struct {
	Events []*RescheduleEvent
}

// RescheduleEvent records one reschedule: when it happened, the failed
// allocation it replaced and the delay that was waited.
type RescheduleEvent struct {
	RescheduleTime int64 // unix nanoseconds
	PrevAllocID    string
	PrevNodeID     string
	Delay          time.Duration
}

// events returns the tracker's events, nil-safe.
func (t *RescheduleTracker) events() []*RescheduleEvent {
	if t == nil {
		return nil
	}
	return t.Events
}

// RescheduleAttempts counts the reschedules of the tracker that count
// against p at now: those within p.Interval before now (all of them for an
// unlimited policy or a zero interval).
func (p *ReschedulePolicy) RescheduleAttempts(t *RescheduleTracker, now time.Time) int {
	evs := t.events()
	if p == nil || p.Unlimited || p.Interval <= 0 {
		return len(evs)
	}
	from := now.Add(-p.Interval).UnixNano()
	n := 0
	for _, e := range evs {
		if e.RescheduleTime > from {
			n++
		}
	}
	return n
}

// RescheduleEligible reports whether an allocation with tracker t may be
// rescheduled at now under p: the policy is unlimited, or fewer than
// p.Attempts reschedules happened within p.Interval. A nil or disabled
// policy never reschedules.
func (p *ReschedulePolicy) RescheduleEligible(t *RescheduleTracker, now time.Time) bool {
	if p.Disabled() {
		return false
	}
	return p.Unlimited || p.RescheduleAttempts(t, now) < p.Attempts
}

// NextDelay returns how long to wait after a failure before the next
// reschedule of an allocation with tracker t: p.Delay for the constant
// function and the first reschedule; the previous delay doubled for
// exponential; the sum of the previous two delays for fibonacci (Delay,
// Delay, 2×Delay, 3×Delay, ...). A positive MaxDelay caps the growing
// functions.
func (p *ReschedulePolicy) NextDelay(t *RescheduleTracker) time.Duration {
	if p == nil {
		return 0
	}
	evs := t.events()
	d := p.Delay
	switch p.DelayFunction {
	case DelayFunctionExponential:
		if n := len(evs); n > 0 && evs[n-1].Delay > 0 {
			d = evs[n-1].Delay * 2
		}
	case DelayFunctionFibonacci:
		if n := len(evs); n >= 2 && evs[n-1].Delay > 0 && evs[n-2].Delay > 0 {
			d = evs[n-1].Delay + evs[n-2].Delay
		}
	default:
		return d
	}
	if p.MaxDelay > 0 && d > p.MaxDelay {
		d = p.MaxDelay
	}
	return d
}

// LastFailure returns when the allocation failed: the latest FinishedAt of
// its tasks, or its ModifyTime when no task recorded one.
func (a *Allocation) LastFailure() time.Time {
	var last time.Time
	for _, ts := range a.TaskStates {
		if ts != nil && ts.FinishedAt.After(last) {
			last = ts.FinishedAt
		}
	}
	if last.IsZero() {
		return time.Unix(0, a.ModifyTime)
	}
	return last
}

// NextRescheduleTime returns when a failed allocation may be rescheduled
// under p and whether it may be at all (see RescheduleEligible): its last
// failure plus NextDelay.
func (a *Allocation) NextRescheduleTime(p *ReschedulePolicy, now time.Time) (time.Time, bool) {
	if a.ClientStatus != AllocClientStatusFailed || !p.RescheduleEligible(a.RescheduleTracker, now) {
		return time.Time{}, false
	}
	return a.LastFailure().Add(p.NextDelay(a.RescheduleTracker)), true
}

// NextRescheduleTracker returns the tracker of the allocation replacing a
// (rescheduled at now after waiting delay): a's events that still count
// under p (bounded to MaxRescheduleEvents for an unlimited policy) plus one
// for this reschedule. a's tracker is not modified.
func (a *Allocation) NextRescheduleTracker(p *ReschedulePolicy, now time.Time, delay time.Duration) *RescheduleTracker {
	var evs []*RescheduleEvent
	old := a.RescheduleTracker.events()
	switch {
	case p != nil && !p.Unlimited && p.Interval > 0:
		from := now.Add(-p.Interval).UnixNano()
		for _, e := range old {
			if e.RescheduleTime > from {
				c := *e
				evs = append(evs, &c)
			}
		}
	default:
		if len(old) > MaxRescheduleEvents-1 {
			old = old[len(old)-(MaxRescheduleEvents-1):]
		}
		for _, e := range old {
			c := *e
			evs = append(evs, &c)
		}
	}
	evs = append(evs, &RescheduleEvent{RescheduleTime: now.UnixNano(), PrevAllocID: a.ID, PrevNodeID: a.NodeID, Delay: delay})
	return &RescheduleTracker{Events: evs}
}
