package client

import (
	"context"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/driver"
)

// ExecAlloc runs a command in the named task of an allocation this client
// runs (drover alloc exec), with the streams, terminal and sizes of opts,
// and returns how the command ended. An allocation this client does not
// run is a drover.ErrNotFound; a missing or unknown task a
// drover.ErrInvalid; a task that is not running a drover.ErrConflict; a
// task whose driver cannot exec a drover.ErrNotSupported; a command with
// no program a drover.ErrInvalid. Cancelling ctx kills the command.
func (c *Client) ExecAlloc(ctx context.Context, allocID, task string, opts driver.ExecOptions) (*driver.ExitResult, error) {
	if len(opts.Command) == 0 || opts.Command[0] == "" {
		return nil, drover.Errorf(drover.ErrInvalid, "exec: no command given")
	}
	ar, err := c.runner(allocID)
	if err != nil {
		return nil, err
	}
	return ar.ExecTask(ctx, task, opts)
}
