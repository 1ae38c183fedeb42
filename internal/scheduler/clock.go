package scheduler

import (
	"log/slog"
	"time"
)

// NewWithClock is New with the time read from now instead of the wall
// clock: reschedule delays, migration health and drain deadlines are judged
// by it. A server passes the clock its other components share, so a drain
// deadline or a min_healthy_time means the same to the scheduler as to the
// drainer. A nil now is the wall clock.
func NewWithClock(jobType string, logger *slog.Logger, state State, planner Planner, now func() time.Time) (Scheduler, error) {
	sched, err := New(jobType, logger, state, planner)
	if err != nil || now == nil {
		return sched, err
	}
	switch s := sched.(type) {
	case *genericScheduler:
		s.now = now
	case *systemScheduler:
		s.now = now
	}
	return sched, nil
}
