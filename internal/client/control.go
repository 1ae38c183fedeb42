package client

import (
	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/allocrunner"
)

// RestartAlloc restarts tasks of a running allocation in place, without
// counting against their restart policy: the named task, or every running
// task when task is empty. allTasks restarts the whole allocation instead:
// every task, those that already ran to their end (prestart tasks ...)
// included, in lifecycle order (see AllocRunner.RestartAll); it cannot be
// combined with a task name. An allocation this client does not run is a
// drover.ErrNotFound; an unknown task or a task name with allTasks a
// drover.ErrInvalid; a task that is not running, or an allocation that is
// stopping, a drover.ErrConflict. It returns once the tasks have been
// stopped; they start again right after.
func (c *Client) RestartAlloc(allocID, task string, allTasks bool) error {
	if task != "" && allTasks {
		return drover.Errorf(drover.ErrInvalid, "a task name and all tasks are mutually exclusive: name one task or ask for all")
	}
	ar, err := c.runner(allocID)
	if err != nil {
		return err
	}
	if allTasks {
		return ar.RestartAll()
	}
	if task == "" {
		return ar.RestartRunning()
	}
	return ar.RestartTask(task)
}

// SignalAlloc sends signal to the named task of a running allocation, or
// to every running task when task is empty. An allocation this client does
// not run is a drover.ErrNotFound; an unknown task or signal a
// drover.ErrInvalid; a task that is not running a drover.ErrConflict.
func (c *Client) SignalAlloc(allocID, task, signal string) error {
	ar, err := c.runner(allocID)
	if err != nil {
		return err
	}
	return ar.SignalTask(task, signal)
}

// runner returns the runner of an allocation this client runs.
func (c *Client) runner(allocID string) (*allocrunner.AllocRunner, error) {
	c.mu.Lock()
	ar := c.runners[allocID]
	c.mu.Unlock()
	if ar == nil {
		return nil, drover.Errorf(drover.ErrNotFound, "allocation %s is not on this client", allocID)
	}
	return ar, nil
}
