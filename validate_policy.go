package drover

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/hashicorp/cronexpr"
)

// Minimums Nomad enforces on reschedule policies.
const (
	MinRescheduleDelay    = 5 * time.Second
	MinRescheduleInterval = 5 * time.Second
)

// Validate checks an update strategy of a group of a job of jobType. An
// empty strategy (max_parallel = 0: no rolling deployments) is valid.
func (u *UpdateStrategy) Validate(jobType string) error {
	if u.IsEmpty() {
		return nil
	}
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if u.MaxParallel < 0 {
		add("max_parallel %d is negative", u.MaxParallel)
	}
	switch u.HealthCheck {
	case UpdateHealthCheckChecks, UpdateHealthCheckTaskStates, UpdateHealthCheckManual:
	default:
		add("health_check %q is unknown: expected checks, task_states or manual", u.HealthCheck)
	}
	if u.Stagger < 0 {
		add("stagger %s is negative", u.Stagger)
	}
	if u.Canary < 0 {
		add("canary %d is negative", u.Canary)
	}
	if u.Canary > 0 && jobType == JobTypeSystem {
		add("canary %d: system jobs cannot have canaries", u.Canary)
	}
	if u.AutoPromote && u.Canary == 0 {
		add("auto_promote needs canary greater than zero")
	}
	if u.MinHealthyTime < 0 {
		add("min_healthy_time %s is negative", u.MinHealthyTime)
	}
	if u.HealthyDeadline <= 0 {
		add("healthy_deadline %s must be positive", u.HealthyDeadline)
	}
	if u.ProgressDeadline < 0 {
		add("progress_deadline %s is negative", u.ProgressDeadline)
	}
	if u.MinHealthyTime >= u.HealthyDeadline {
		add("min_healthy_time %s must be less than healthy_deadline %s", u.MinHealthyTime, u.HealthyDeadline)
	}
	if u.ProgressDeadline != 0 && u.HealthyDeadline >= u.ProgressDeadline {
		add("healthy_deadline %s must be less than progress_deadline %s (or progress_deadline 0: no deadline)", u.HealthyDeadline, u.ProgressDeadline)
	}
	return errors.Join(errs...)
}

// Validate checks a migrate strategy.
func (m *MigrateStrategy) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if m.MaxParallel < 0 {
		add("max_parallel %d is negative", m.MaxParallel)
	}
	switch m.HealthCheck {
	case UpdateHealthCheckChecks, UpdateHealthCheckTaskStates:
	default:
		add("health_check %q is unknown: expected checks or task_states", m.HealthCheck)
	}
	if m.MinHealthyTime < 0 {
		add("min_healthy_time %s is negative", m.MinHealthyTime)
	}
	if m.HealthyDeadline < 0 {
		add("healthy_deadline %s is negative", m.HealthyDeadline)
	}
	if m.MinHealthyTime > m.HealthyDeadline {
		add("min_healthy_time %s must be less than healthy_deadline %s", m.MinHealthyTime, m.HealthyDeadline)
	}
	return errors.Join(errs...)
}

// Validate checks a reschedule policy. A disabled policy (attempts = 0,
// unlimited = false) is valid whatever its delays.
func (r *ReschedulePolicy) Validate() error {
	if r.Disabled() {
		if r != nil && r.Attempts < 0 {
			return fmt.Errorf("attempts %d is negative", r.Attempts)
		}
		return nil
	}
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if r.Attempts < 0 {
		add("attempts %d is negative", r.Attempts)
	}
	if r.Unlimited && (r.Attempts > 0 || r.Interval > 0) {
		add("unlimited = true with attempts %d and interval %s is ambiguous: set unlimited, or attempts and interval", r.Attempts, r.Interval)
	}
	if r.Delay < MinRescheduleDelay {
		add("delay %s is below the minimum %s", r.Delay, MinRescheduleDelay)
	}
	switch r.DelayFunction {
	case DelayFunctionConstant:
	case DelayFunctionExponential, DelayFunctionFibonacci:
		if r.MaxDelay < r.Delay {
			add("max_delay %s must be at least delay %s", r.MaxDelay, r.Delay)
		}
	default:
		add("delay_function %q is unknown: expected constant, exponential or fibonacci", r.DelayFunction)
	}
	if !r.Unlimited && r.Attempts > 0 {
		if r.Interval < MinRescheduleInterval {
			add("interval %s is below the minimum %s (attempts %d need an interval)", r.Interval, MinRescheduleInterval, r.Attempts)
		} else if need := r.minInterval(); need > r.Interval && r.Delay >= MinRescheduleDelay {
			add("%d attempts with delay %s (%s) do not fit in interval %s: raise interval to at least %s or lower attempts",
				r.Attempts, r.Delay, r.DelayFunction, r.Interval, need)
		}
	}
	return errors.Join(errs...)
}

// minInterval is the time the policy's attempts take, delays only.
func (r *ReschedulePolicy) minInterval() time.Duration {
	var total time.Duration
	prev, cur := r.Delay, r.Delay
	for i := 0; i < r.Attempts; i++ {
		d := r.Delay
		switch r.DelayFunction {
		case DelayFunctionExponential:
			d = time.Duration(float64(r.Delay) * math.Pow(2, float64(i)))
		case DelayFunctionFibonacci:
			if i >= 2 {
				prev, cur = cur, prev+cur
			}
			d = cur
		}
		if r.DelayFunction != DelayFunctionConstant && r.MaxDelay > 0 && d > r.MaxDelay {
			d = r.MaxDelay
		}
		total += d
	}
	return total
}

// Validate checks a periodic block: cron specs that parse and a time zone
// that loads.
func (p *PeriodicConfig) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if p.SpecType != PeriodicSpecCron {
		add("spec type %q is unknown: expected cron", p.SpecType)
	}
	specs := p.Specs
	if len(specs) == 0 && p.Spec != "" {
		specs = []string{p.Spec}
	}
	if len(specs) == 0 {
		add("crons is required: at least one cron expression")
	}
	for _, s := range specs {
		if _, err := parseCron(s); err != nil {
			add("cron %q is invalid: %v", s, err)
		}
	}
	if p.TimeZone != "" {
		if _, err := time.LoadLocation(p.TimeZone); err != nil {
			add("time_zone %q is unknown: %v", p.TimeZone, err)
		}
	}
	return errors.Join(errs...)
}

// parseCron parses a cron expression, turning a panic of the parser on
// hostile input into an error.
func parseCron(spec string) (e *cronexpr.Expression, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, err = nil, fmt.Errorf("cannot parse: %v", r)
		}
	}()
	return cronexpr.Parse(spec)
}

// Next returns the first launch time strictly after from, over every spec,
// in the block's time zone; the zero time when no spec ever fires again.
func (p *PeriodicConfig) Next(from time.Time) (time.Time, error) {
	loc := time.UTC
	if p.TimeZone != "" {
		l, err := time.LoadLocation(p.TimeZone)
		if err != nil {
			return time.Time{}, fmt.Errorf("periodic time_zone %q: %w", p.TimeZone, err)
		}
		loc = l
	}
	specs := p.Specs
	if len(specs) == 0 && p.Spec != "" {
		specs = []string{p.Spec}
	}
	var next time.Time
	for _, s := range specs {
		e, err := parseCron(s)
		if err != nil {
			return time.Time{}, fmt.Errorf("periodic cron %q: %w", s, err)
		}
		t := e.Next(from.In(loc))
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next, nil
}

// Validate checks a parameterized block.
func (d *ParameterizedJobConfig) Validate() error {
	var errs []error
	switch d.Payload {
	case DispatchPayloadOptional, DispatchPayloadRequired, DispatchPayloadForbidden:
	default:
		errs = append(errs, fmt.Errorf("payload %q is unknown: expected optional, required or forbidden", d.Payload))
	}
	required := map[string]bool{}
	for _, k := range d.MetaRequired {
		required[k] = true
	}
	for _, k := range d.MetaOptional {
		if required[k] {
			errs = append(errs, fmt.Errorf("meta key %q is both required and optional", k))
		}
	}
	return errors.Join(errs...)
}
