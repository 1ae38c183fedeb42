package drover

// Task events of the allocation controls (`drover alloc restart` and
// `drover alloc signal`), with Nomad's names.
const (
	// TaskRestartSignal: a user asked for the task to be restarted in
	// place.
	TaskRestartSignal = "Restart Signaled"
	// TaskSignaling: a user had a signal sent to the task.
	TaskSignaling = "Signaling"
)

// TaskRestartReasonUser is the RestartReason of the Restarting event that
// follows a user's restart request. Such a restart does not count against
// the task's restart policy.
const TaskRestartReasonUser = "User requested restart"
