package allocrunner

import "github.com/drover-sh/drover/internal/driver"

// RunningTask is a task of the allocation that a driver runs now: what the
// client needs to read its resource usage.
type RunningTask struct {
	// Name is the task's name in the group.
	Name string
	// TaskID is the driver's ID of this run of the task; it changes when the
	// task restarts.
	TaskID string
	// Driver runs the task.
	Driver driver.Driver
}

// RunningTasks lists the tasks a driver runs now, in group order. A task
// between runs (restarting, not yet started, dead) is absent.
func (ar *AllocRunner) RunningTasks() []RunningTask {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	var out []RunningTask
	for _, name := range ar.order {
		tr := ar.tasks[name]
		h := tr.handle.Load()
		if h == nil || h.Config == nil || tr.drv == nil {
			continue
		}
		out = append(out, RunningTask{Name: name, TaskID: h.Config.ID, Driver: tr.drv})
	}
	return out
}
