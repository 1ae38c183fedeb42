package allocrunner

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/driver"
)

type step struct {
	advance  time.Duration // clock moves before the event
	exit     *driver.ExitResult
	startErr error
	want     Decision
}

func TestRestartTracker(t *testing.T) {
	failPolicy := &drover.RestartPolicy{Attempts: 2, Interval: time.Minute, Delay: time.Second, Mode: drover.RestartModeFail}
	delayPolicy := &drover.RestartPolicy{Attempts: 1, Interval: time.Minute, Delay: time.Second, Mode: drover.RestartModeDelay}
	ok := &driver.ExitResult{}
	bad := &driver.ExitResult{ExitCode: 1}
	within := Decision{Restart: true, Delay: time.Second, Reason: ReasonWithinPolicy}
	exhausted := Decision{Failed: true, Reason: ReasonFailExhausted + " (2 in 1m0s)"}
	tests := []struct {
		name    string
		policy  *drover.RestartPolicy
		jobType string
		steps   []step
	}{
		{"batch success is done", failPolicy, drover.JobTypeBatch, []step{
			{exit: ok, want: Decision{Reason: ReasonBatchSucceeded}},
		}},
		{"batch failure restarts then fails", failPolicy, drover.JobTypeBatch, []step{
			{exit: bad, want: within}, {exit: bad, want: within}, {exit: bad, want: exhausted},
		}},
		{"service success restarts", failPolicy, drover.JobTypeService, []step{
			{exit: ok, want: within}, {exit: ok, want: within}, {exit: ok, want: exhausted},
		}},
		{"interval end resets attempts", failPolicy, drover.JobTypeService, []step{
			{exit: bad, want: within}, {exit: bad, want: within},
			{advance: time.Minute, exit: bad, want: within},
			{exit: bad, want: within}, {exit: bad, want: exhausted},
		}},
		{"delay mode waits out the interval and goes on", delayPolicy, drover.JobTypeService, []step{
			{exit: bad, want: Decision{Restart: true, Delay: time.Second, Reason: ReasonWithinPolicy}},
			{advance: 10 * time.Second, exit: bad, want: Decision{Restart: true, Delay: 50 * time.Second, Reason: ReasonDelayExhausted}},
			{advance: 50 * time.Second, exit: bad, want: Decision{Restart: true, Delay: time.Second, Reason: ReasonWithinPolicy}},
			{advance: time.Second, exit: bad, want: Decision{Restart: true, Delay: 59 * time.Second, Reason: ReasonDelayExhausted}},
		}},
		{"recoverable start error restarts", failPolicy, drover.JobTypeService, []step{
			{startErr: fmt.Errorf("busy: %w", driver.ErrRecoverable), want: within},
		}},
		{"unrecoverable start error fails", failPolicy, drover.JobTypeService, []step{
			{startErr: errors.New("command not found"), want: Decision{Failed: true, Reason: ReasonUnrecoverable}},
		}},
		{"zero attempts fail at once", &drover.RestartPolicy{Mode: drover.RestartModeFail, Interval: time.Minute}, drover.JobTypeService, []step{
			{exit: bad, want: Decision{Failed: true, Reason: ReasonFailExhausted + " (0 in 1m0s)"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Unix(1000, 0)
			rt := NewRestartTracker(tt.policy, tt.jobType, func() time.Time { return now })
			for i, s := range tt.steps {
				now = now.Add(s.advance)
				var got Decision
				if s.startErr != nil {
					got = rt.OnStartError(s.startErr)
				} else {
					got = rt.OnExit(s.exit)
				}
				if got != s.want {
					t.Fatalf("step %d: got %+v, want %+v", i, got, s.want)
				}
			}
		})
	}
}
