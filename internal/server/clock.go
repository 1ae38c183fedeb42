package server

import "time"

// Clock is the time source of the server components that compare the
// present with times kept in state: the drainer (drain deadlines, migrate
// min_healthy_time) and the schedulers the workers run (reschedule delays,
// migration health). One clock is shared so that a deadline means the same
// to all of them; tests drive a fake one.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After returns a channel that receives once d has passed on this
	// clock (at once when d <= 0).
	After(d time.Duration) <-chan time.Time
}

// wallClock is the Clock of the real time.
type wallClock struct{}

func (wallClock) Now() time.Time                         { return time.Now() }
func (wallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// clockAt returns a channel that receives once c reaches t. The clock is
// read again after the timer is armed: a clock that passed t between the
// first reading and the arming (a test's clock jumps at any moment) would
// otherwise arm a timer for a moment it has already left behind, and never
// fire.
func clockAt(c Clock, t time.Time) <-chan time.Time {
	ch := c.After(t.Sub(c.Now()))
	if now := c.Now(); !now.Before(t) {
		ready := make(chan time.Time, 1)
		ready <- now
		return ready
	}
	return ch
}
