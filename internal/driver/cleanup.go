package driver

// Cleaner is the optional capability of a driver that can find a task by
// its TaskConfig alone, without the handle StartTask returns. It closes a
// window of an agent's crash: the client records that a start is under way
// (the config, in a pending handle) before it calls StartTask, and when the
// agent died before the handle itself was recorded, the next agent calls
// CleanupTask so that the task, if it started, is not left running beside
// the copy the client starts again.
type Cleaner interface {
	// CleanupTask stops and releases whatever StartTask(cfg) started in an
	// earlier agent process and may have left running. Finding nothing is
	// not an error.
	CleanupTask(cfg *TaskConfig) error
}
