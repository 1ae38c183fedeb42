package allocrunner

import (
	"errors"
	"fmt"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/driver"
)

// Restart reasons, as task events show them.
const (
	ReasonWithinPolicy   = "Restart within policy"
	ReasonDelayExhausted = "Exceeded allowed attempts, applying a delay"
	ReasonFailExhausted  = "Exceeded allowed attempts"
	ReasonUnrecoverable  = "Error was unrecoverable"
	ReasonBatchSucceeded = "Restart unnecessary as task terminated successfully"
)

// Decision is what a RestartTracker says to do after a task exits or fails
// to start.
type Decision struct {
	// Restart: start the task again after Delay. Otherwise the task is done,
	// and Failed says whether it failed.
	Restart bool
	Delay   time.Duration
	Failed  bool
	Reason  string
}

// RestartTracker applies a restart policy. It is pure: time comes from the
// now function, so tests drive it with a fake clock. It is not safe for
// concurrent use; one task runner owns it.
type RestartTracker struct {
	policy   drover.RestartPolicy
	batch    bool
	now      func() time.Time
	count    int       // restarts within the current interval
	interval time.Time // start of the current interval; zero before the first restart
}

// NewRestartTracker returns a tracker for policy (nil: the job type's
// default) of a job of jobType. now nil means time.Now.
func NewRestartTracker(policy *drover.RestartPolicy, jobType string, now func() time.Time) *RestartTracker {
	if policy == nil {
		policy = drover.DefaultRestartPolicy(jobType)
	}
	if now == nil {
		now = time.Now
	}
	return &RestartTracker{
		policy: *policy,
		batch:  jobType == drover.JobTypeBatch || jobType == drover.JobTypeSysBatch,
		now:    now,
	}
}

// OnExit decides after the task exited with res. A batch task that exits
// successfully is done; anything else is restarted per the policy.
func (t *RestartTracker) OnExit(res *driver.ExitResult) Decision {
	if t.batch && res != nil && res.Successful() {
		return Decision{Reason: ReasonBatchSucceeded}
	}
	return t.next()
}

// OnStartError decides after the driver failed to start the task. Only an
// error wrapping driver.ErrRecoverable is retried.
func (t *RestartTracker) OnStartError(err error) Decision {
	if !errors.Is(err, driver.ErrRecoverable) {
		return Decision{Failed: true, Reason: ReasonUnrecoverable}
	}
	return t.next()
}

// next counts one more restart within the interval and applies the mode
// once the attempts are used up.
func (t *RestartTracker) next() Decision {
	now := t.now()
	if t.interval.IsZero() || (t.policy.Interval > 0 && !now.Before(t.interval.Add(t.policy.Interval))) {
		t.interval, t.count = now, 0
	}
	t.count++
	if t.count <= t.policy.Attempts {
		return Decision{Restart: true, Delay: t.policy.Delay, Reason: ReasonWithinPolicy}
	}
	if t.policy.Mode != drover.RestartModeDelay {
		return Decision{Failed: true, Reason: fmt.Sprintf("%s (%d in %s)", ReasonFailExhausted, t.policy.Attempts, t.policy.Interval)}
	}
	// Delay mode: wait out the rest of the interval, then start afresh with
	// a new interval beginning when the wait ends.
	wait := t.interval.Add(t.policy.Interval).Sub(now)
	if wait < t.policy.Delay {
		wait = t.policy.Delay
	}
	t.interval, t.count = now.Add(wait), 0
	return Decision{Restart: true, Delay: wait, Reason: ReasonDelayExhausted}
}
