package drover

// Task event types of a group's lifecycle and shutdown, as Nomad names them.
const (
	// TaskLeaderDead is given to the tasks that are stopped because the
	// group's leader task finished.
	TaskLeaderDead = "Leader Task Dead"
	// TaskMainDead is given to the sidecars that are stopped because every
	// main task of the group finished.
	TaskMainDead = "Main Tasks Dead"
	// TaskWaitingShuttingDownDelay says a running task waits out a
	// shutdown_delay before it is sent its kill_signal.
	TaskWaitingShuttingDownDelay = "Waiting for shutdown delay"
)

// LifecycleHook returns the task's lifecycle hook (prestart, poststart,
// poststop), or "" for a main task.
func (t *Task) LifecycleHook() string {
	if t == nil || t.Lifecycle == nil {
		return ""
	}
	return t.Lifecycle.Hook
}

// IsSidecar reports whether the task is a prestart or poststart task meant
// to run beside the main tasks for as long as they run.
func (t *Task) IsSidecar() bool {
	h := t.LifecycleHook()
	return t != nil && t.Lifecycle != nil && t.Lifecycle.Sidecar &&
		(h == TaskLifecycleHookPrestart || h == TaskLifecycleHookPoststart)
}
