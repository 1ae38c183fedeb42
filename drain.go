package drover

import "time"

// DeadlinePassed reports whether the drain must be forced at now: it has a
// deadline and the deadline has come (a negative Deadline forces at once).
// A nil strategy has no deadline.
func (d *DrainStrategy) DeadlinePassed(now time.Time) bool {
	ok, at := d.DeadlineTime()
	if !ok {
		return false
	}
	return at.IsZero() || !now.Before(at)
}

// MigrateStrategyOrDefault returns the group's migrate strategy, or
// DefaultMigrateStrategy when it has none (a group of a batch or system
// job, or one not canonicalized). The result must not be modified.
func (tg *TaskGroup) MigrateStrategyOrDefault() *MigrateStrategy {
	if tg == nil || tg.Migrate == nil {
		return DefaultMigrateStrategy()
	}
	return tg.Migrate
}

// HealthyAt returns when the allocation counts as healthy for a migration
// with the given min_healthy_time: minHealthy after the last of its tasks
// started, provided the allocation is running and every task is running
// (a prestart or poststart task that is not a sidecar may instead have
// finished successfully). ok is false when the allocation is not in that
// state: it is not healthy, whatever the time. A task state missing for a
// task of the allocation's group counts as not running.
func (a *Allocation) HealthyAt(minHealthy time.Duration) (at time.Time, ok bool) {
	if a.ClientStatus != AllocClientStatusRunning || len(a.TaskStates) == 0 {
		return time.Time{}, false
	}
	var tasks map[string]*Task
	if a.Job != nil {
		if tg := a.Job.LookupTaskGroup(a.TaskGroup); tg != nil {
			tasks = make(map[string]*Task, len(tg.Tasks))
			for _, t := range tg.Tasks {
				tasks[t.Name] = t
				if a.TaskStates[t.Name] == nil {
					return time.Time{}, false
				}
			}
		}
	}
	var last time.Time
	for name, ts := range a.TaskStates {
		switch {
		case ts.State == TaskStateRunning:
			if ts.StartedAt.IsZero() {
				return time.Time{}, false
			}
			if ts.StartedAt.After(last) {
				last = ts.StartedAt
			}
		case ts.State == TaskStateDead && !ts.Failed && finishesEarly(tasks[name]):
			// A setup task that did its work: the main tasks decide.
		case ts.State == TaskStatePending && tasks[name].LifecycleHook() == TaskLifecycleHookPoststop:
			// A poststop task runs once the others are dead: it has no
			// say in whether they are healthy.
		default:
			return time.Time{}, false
		}
	}
	if last.IsZero() {
		return time.Time{}, false
	}
	return last.Add(minHealthy), true
}

// HealthyFor reports whether the allocation is healthy at now for a
// migration with the given min_healthy_time (see HealthyAt).
func (a *Allocation) HealthyFor(now time.Time, minHealthy time.Duration) bool {
	at, ok := a.HealthyAt(minHealthy)
	return ok && !now.Before(at)
}

// finishesEarly reports whether t is a lifecycle task that is meant to exit
// while the main tasks run: a prestart or poststart task that is not a
// sidecar.
func finishesEarly(t *Task) bool {
	if t == nil || t.Lifecycle == nil || t.Lifecycle.Sidecar {
		return false
	}
	return t.Lifecycle.Hook == TaskLifecycleHookPrestart || t.Lifecycle.Hook == TaskLifecycleHookPoststart
}
