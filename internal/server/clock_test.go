package server

import (
	"testing"
	"time"
)

// jumpyClock moves by step each time it is read, as a test's clock moved
// by another goroutine may; its timers never fire.
type jumpyClock struct {
	now  time.Time
	step time.Duration
}

func (c *jumpyClock) Now() time.Time {
	t := c.now
	c.now = c.now.Add(c.step)
	return t
}

func (c *jumpyClock) After(time.Duration) <-chan time.Time { return make(chan time.Time) }

// TestClockAtSeesAJumpWhileArming: a clock that reaches the moment while
// the timer is being armed is seen, so the waiter is not left waiting for
// a timer set past a moment already gone.
func TestClockAtSeesAJumpWhileArming(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := &jumpyClock{now: start, step: 10 * time.Second}
	select {
	case <-clockAt(c, start.Add(10*time.Second)):
	default:
		t.Fatal("the clock reached the moment while the timer was armed, and the channel is not ready")
	}
	c = &jumpyClock{now: start, step: time.Second}
	select {
	case <-clockAt(c, start.Add(10*time.Second)):
		t.Fatal("ready before the moment")
	default:
	}
	// The fake clock of the drainer tests fires at the moment.
	f := newFakeClock()
	ch := clockAt(f, f.Now().Add(time.Minute))
	f.Advance(time.Minute)
	select {
	case <-ch:
	default:
		t.Fatal("the fake clock's timer did not fire at the moment")
	}
}
