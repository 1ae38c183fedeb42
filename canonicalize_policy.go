package drover

import "time"

// Reschedule delay functions.
const (
	DelayFunctionConstant    = "constant"
	DelayFunctionExponential = "exponential"
	DelayFunctionFibonacci   = "fibonacci"
)

// DefaultReschedulePolicy returns Nomad's reschedule policy for a job type:
// service jobs reschedule without limit with an exponential delay, batch jobs
// once a day, and system and sysbatch jobs not at all (nil).
func DefaultReschedulePolicy(jobType string) *ReschedulePolicy {
	switch jobType {
	case JobTypeService:
		return &ReschedulePolicy{Delay: 30 * time.Second, DelayFunction: DelayFunctionExponential, MaxDelay: time.Hour, Unlimited: true}
	case JobTypeBatch:
		return &ReschedulePolicy{Attempts: 1, Interval: 24 * time.Hour, Delay: 5 * time.Second, DelayFunction: DelayFunctionConstant}
	default:
		return nil
	}
}

// DefaultUpdateStrategy returns the update strategy Nomad gives an update
// block's unset fields.
func DefaultUpdateStrategy() *UpdateStrategy {
	return &UpdateStrategy{
		Stagger:          DefaultUpdateStagger,
		MaxParallel:      DefaultUpdateMaxParallel,
		HealthCheck:      UpdateHealthCheckChecks,
		MinHealthyTime:   DefaultUpdateMinHealthyTime,
		HealthyDeadline:  DefaultUpdateHealthyDeadline,
		ProgressDeadline: DefaultUpdateProgressDeadline,
	}
}

// DefaultMigrateStrategy returns the migrate strategy of service groups.
func DefaultMigrateStrategy() *MigrateStrategy {
	return &MigrateStrategy{
		MaxParallel:     1,
		HealthCheck:     UpdateHealthCheckChecks,
		MinHealthyTime:  10 * time.Second,
		HealthyDeadline: 5 * time.Minute,
	}
}

// IsEmpty reports whether every field is zero: the form that turns rolling
// deployments off (max_parallel = 0).
func (u *UpdateStrategy) IsEmpty() bool {
	return u == nil || *u == UpdateStrategy{}
}

// mergeUpdate returns the group's update strategy: a copy of the job's with
// the group's non-zero fields over it. An empty job strategy is not
// inherited (Nomad's rule).
func mergeUpdate(job, group *UpdateStrategy) *UpdateStrategy {
	if job.IsEmpty() {
		return group
	}
	m := *job
	if group == nil {
		return &m
	}
	g := *group
	pick(&m.Stagger, g.Stagger)
	pick(&m.MaxParallel, g.MaxParallel)
	pick(&m.HealthCheck, g.HealthCheck)
	pick(&m.MinHealthyTime, g.MinHealthyTime)
	pick(&m.HealthyDeadline, g.HealthyDeadline)
	pick(&m.ProgressDeadline, g.ProgressDeadline)
	pick(&m.AutoRevert, g.AutoRevert)
	pick(&m.AutoPromote, g.AutoPromote)
	pick(&m.Canary, g.Canary)
	return &m
}

func (u *UpdateStrategy) canonicalize() {
	if u.IsEmpty() {
		return
	}
	d := DefaultUpdateStrategy()
	pickZero(&u.Stagger, d.Stagger)
	pickZero(&u.MaxParallel, d.MaxParallel)
	pickZero(&u.HealthCheck, d.HealthCheck)
	pickZero(&u.MinHealthyTime, d.MinHealthyTime)
	pickZero(&u.HealthyDeadline, d.HealthyDeadline)
	pickZero(&u.ProgressDeadline, d.ProgressDeadline)
}

func mergeMigrate(job, group *MigrateStrategy) *MigrateStrategy {
	if job == nil {
		return group
	}
	m := *job
	if group == nil {
		return &m
	}
	pick(&m.MaxParallel, group.MaxParallel)
	pick(&m.HealthCheck, group.HealthCheck)
	pick(&m.MinHealthyTime, group.MinHealthyTime)
	pick(&m.HealthyDeadline, group.HealthyDeadline)
	return &m
}

func (m *MigrateStrategy) canonicalize() {
	if m == nil {
		return
	}
	d := DefaultMigrateStrategy()
	pickZero(&m.MaxParallel, d.MaxParallel)
	pickZero(&m.HealthCheck, d.HealthCheck)
	pickZero(&m.MinHealthyTime, d.MinHealthyTime)
	pickZero(&m.HealthyDeadline, d.HealthyDeadline)
}

func mergeReschedule(job, group *ReschedulePolicy) *ReschedulePolicy {
	if job == nil {
		return group
	}
	m := *job
	if group == nil {
		return &m
	}
	pick(&m.Attempts, group.Attempts)
	pick(&m.Interval, group.Interval)
	pick(&m.Delay, group.Delay)
	pick(&m.DelayFunction, group.DelayFunction)
	pick(&m.MaxDelay, group.MaxDelay)
	pick(&m.Unlimited, group.Unlimited)
	return &m
}

// Disabled reports whether the policy never reschedules: no attempts and not
// unlimited. Its delays do not matter.
func (p *ReschedulePolicy) Disabled() bool {
	return p == nil || (p.Attempts == 0 && !p.Unlimited)
}

func (p *ReschedulePolicy) canonicalize(jobType string) {
	if *p == (ReschedulePolicy{}) {
		return // attempts = 0, unlimited = false: rescheduling is off
	}
	d := DefaultReschedulePolicy(jobType)
	if d == nil {
		return // system jobs do not reschedule; Validate says so
	}
	if p.Attempts == 0 && p.Interval == 0 {
		pickZero(&p.Unlimited, d.Unlimited)
		if !p.Unlimited {
			pickZero(&p.Attempts, d.Attempts)
		}
	}
	if !p.Unlimited {
		pickZero(&p.Interval, d.Interval)
	}
	pickZero(&p.Delay, d.Delay)
	pickZero(&p.DelayFunction, d.DelayFunction)
	if p.DelayFunction != DelayFunctionConstant {
		pickZero(&p.MaxDelay, d.MaxDelay)
		if p.MaxDelay == 0 {
			p.MaxDelay = time.Hour
		}
	}
}

// pick sets *dst to v when v is not the zero value.
func pick[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}

// pickZero sets *dst to def when *dst is the zero value.
func pickZero[T comparable](dst *T, def T) {
	var zero T
	if *dst == zero {
		*dst = def
	}
}
