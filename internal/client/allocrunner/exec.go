package allocrunner

import (
	"context"
	"errors"
	"fmt"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/driver"
)

// ExecTask runs a command in the named running task through its driver
// (drover alloc exec) and returns how it ended. An unknown task is a
// drover.ErrInvalid naming it; a task whose driver cannot exec a
// drover.ErrNotSupported; a task that is not running a drover.ErrConflict.
// Other errors are the driver's: the command could not start, or ctx ended
// (which kills the command).
func (ar *AllocRunner) ExecTask(ctx context.Context, name string, opts driver.ExecOptions) (*driver.ExitResult, error) {
	tr, err := ar.controlledTask(name)
	if err != nil {
		return nil, err
	}
	ed, ok := tr.drv.(driver.ExecDriver)
	if !ok {
		return nil, drover.Errorf(drover.ErrNotSupported, "task %q runs with the %s driver, which cannot run commands in its tasks",
			tr.task.Name, tr.drv.Name())
	}
	h, err := tr.runningHandle()
	if err != nil {
		return nil, err
	}
	res, err := ed.ExecTask(ctx, h.Config.ID, opts)
	if errors.Is(err, driver.ErrTaskNotFound) {
		return nil, drover.Errorf(drover.ErrConflict, "task %q is not running: %v", tr.task.Name, err)
	}
	if err != nil {
		return nil, fmt.Errorf("task %q: %w", tr.task.Name, err)
	}
	return res, nil
}
