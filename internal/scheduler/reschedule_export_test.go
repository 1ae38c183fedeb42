package scheduler

import (
	"log/slog"
	"time"
)

// NewGenericWithClock returns the service or batch scheduler reading the
// time from now, for tests of reschedule timing.
func NewGenericWithClock(batch bool, state State, planner Planner, now func() time.Time) Scheduler {
	s := newGeneric(batch, slog.New(slog.DiscardHandler), state, planner)
	s.now = now
	return s
}
