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
	policy drover.RestartPolicy
	// doneOnSuccess: a successful exit ends the task (batch jobs and
	// lifecycle tasks that run once).
	doneOnSuccess bool
	now           func() time.Time
	count         int       // restarts within the current interval
	interval      time.Time // start of the current interval; zero before the first restart
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
		policy:        *policy,
		doneOnSuccess: jobType == drover.JobTypeBatch || jobType == drover.JobTypeSysBatch,
		now:           now,
	}
}

// ForLifecycle adapts the tracker to the task's lifecycle block (nil: a
// main task, no change) and returns it. A prestart, poststart or poststop
// task that is not a sidecar runs once: a successful exit ends it, even in
// a service job. A sidecar runs as long as the main tasks do, so it is
// restarted after a successful exit, even in a batch job.
func (t *RestartTracker) ForLifecycle(lc *drover.TaskLifecycleConfig) *RestartTracker {
	if lc != nil {
		t.doneOnSuccess = !lc.Sidecar || lc.Hook == drover.TaskLifecycleHookPoststop
	}
	return t
}

// OnExit decides after the task exited with res. A batch task (or a
// lifecycle task that runs once) that exits successfully is done; anything
// else is restarted per the policy.
func (t *RestartTracker) OnExit(res *driver.ExitResult) Decision {
	if t.doneOnSuccess && res != nil && res.Successful() {
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
