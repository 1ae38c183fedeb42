package drover

// Task event types about a task's logs.
const (
	// TaskLogDiskFull: the file system holding the task's logs is full; what
	// the task writes to stdout and stderr meanwhile is lost.
	TaskLogDiskFull = "Log Disk Full"
	// TaskLogDiskSpace: the file system holding the task's logs has space
	// again after being full; the task's output is kept again.
	TaskLogDiskSpace = "Log Disk Space"
)
