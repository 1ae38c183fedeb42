package client

import (
	"errors"
	"path/filepath"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/allocrunner"
	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/mountinfo"
)

// Recovery after the local state was lost.
//
// The state file (clientstate.Bolt) can be unreadable after a crash, a full
// disk or an operator's mistake; it is then moved aside and the client
// starts with an empty one. The tasks of the earlier agent may still run,
// so starting every allocation the servers assign afresh would run them
// twice. Each task's driver handle is therefore also recorded in a file of
// its own (clientstate.HandleRecords). At start, the handles that no
// restored allocation claimed are set aside here; the first sync with the
// servers then, per allocation:
//   - the servers want it on this node and have not seen it finish: a
//     runner is built in restored mode, its tasks reattached from the
//     handles, their states (restart counts, events) seeded from the
//     servers' copy so that counters never go backwards (adopt);
//   - anything else (stopped, finished, unknown to the servers): its
//     processes are stopped and its records removed (stopUnclaimed).

// unclaimedAlloc is what the records hold for one allocation that no
// restored runner took.
type unclaimedAlloc struct {
	handles map[string]*driver.TaskHandle // by task name
	// alloc is the servers' copy when they sent one; it gives the tasks'
	// kill_timeout and kill_signal.
	alloc *drover.Allocation
}

// collectUnclaimed sets aside the recorded handles of allocations that
// restore did not bring back.
func (c *Client) collectUnclaimed() {
	recs, err := c.state.HandleRecords()
	if err != nil {
		c.logger.Error("reading the task handle records failed; tasks of allocations the local state lost cannot be reattached", "error", err)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	unclaimed := map[string]*unclaimedAlloc{}
	for _, r := range recs {
		if c.runners[r.AllocID] != nil {
			continue
		}
		u := unclaimed[r.AllocID]
		if u == nil {
			u = &unclaimedAlloc{handles: map[string]*driver.TaskHandle{}}
			unclaimed[r.AllocID] = u
		}
		u.handles[r.Task] = r.Handle
	}
	if len(unclaimed) > 0 {
		c.unclaimed = unclaimed
		c.logger.Info("found running tasks of allocations missing from the local state; matching them with the servers' allocations",
			"allocations", len(unclaimed))
	}
}

// adopt builds a restored runner for a, which has no runner, when the
// records hold handles of its tasks and the servers want it here and have
// not seen it finish. It reports whether it took a; an allocation it does
// not take but that has records is left for stopUnclaimed.
func (c *Client) adopt(a *drover.Allocation) bool {
	c.mu.Lock()
	u := c.unclaimed[a.ID]
	if u == nil {
		c.mu.Unlock()
		return false
	}
	u.alloc = a
	tg := (*drover.TaskGroup)(nil)
	if a.Job != nil {
		tg = a.Job.LookupTaskGroup(a.TaskGroup)
	}
	if a.ClientTerminal() || tg == nil {
		c.mu.Unlock()
		return false
	}
	delete(c.unclaimed, a.ID)
	c.mu.Unlock()

	// Write a complete set of records for the allocation, so that Restore
	// reads only these (and no leftover of the lost state).
	for _, t := range tg.Tasks {
		h := u.handles[t.Name]
		s := allocrunner.RestoredTaskState(h, a.TaskStates[t.Name])
		if err := c.state.PutTaskState(a.ID, t.Name, s); err != nil {
			c.logger.Error("recording reattached task state failed", "alloc_id", a.ID, "task", t.Name, "error", err)
		}
		if err := c.state.PutTaskHandle(a.ID, t.Name, h); err != nil {
			c.logger.Error("recording reattached task handle failed", "alloc_id", a.ID, "task", t.Name, "error", err)
		}
	}
	ar, err := c.newRunner(a)
	if err == nil {
		err = ar.Restore()
	}
	if err != nil {
		c.logger.Error("reattaching allocation failed; stopping its tasks", "alloc_id", a.ID, "error", err)
		c.mu.Lock()
		if c.unclaimed == nil {
			c.unclaimed = map[string]*unclaimedAlloc{}
		}
		c.unclaimed[a.ID] = u
		c.mu.Unlock()
		return true // never started afresh beside its running tasks
	}
	c.mu.Lock()
	c.runners[a.ID] = ar
	c.mu.Unlock()
	c.logger.Info("reattached allocation missing from the local state", "alloc_id", a.ID, "job", a.JobID,
		"group", a.TaskGroup, "tasks", len(u.handles))
	return true
}

// stopUnclaimed stops, in the background, the recorded tasks of every
// allocation that adopt did not take, then forgets those allocations: their
// records, local state and directory.
func (c *Client) stopUnclaimed() {
	c.mu.Lock()
	unclaimed := c.unclaimed
	c.unclaimed = nil
	c.mu.Unlock()
	for id, u := range unclaimed {
		c.logger.Warn("stopping tasks of an allocation the servers do not want run here", "alloc_id", id, "tasks", len(u.handles))
		go c.stopOrphan(id, u)
	}
}

// stopOrphan stops one allocation's recorded tasks. When a task cannot be
// stopped its record is kept, so that the next agent tries again.
func (c *Client) stopOrphan(allocID string, u *unclaimedAlloc) {
	var task func(string) *drover.Task
	if a := u.alloc; a != nil && a.Job != nil {
		if tg := a.Job.LookupTaskGroup(a.TaskGroup); tg != nil {
			task = tg.LookupTask
		}
	}
	kept := false
	for name, h := range u.handles {
		timeout, signal := drover.DefaultKillTimeout, ""
		if task != nil {
			if t := task(name); t != nil {
				if t.KillTimeout > 0 {
					timeout = t.KillTimeout
				}
				signal = t.KillSignal
			}
		}
		if !c.stopOrphanTask(allocID, name, h, timeout, signal) {
			kept = true
		}
	}
	if kept {
		return
	}
	if err := c.state.DeleteAlloc(allocID); err != nil {
		c.logger.Error("forgetting orphaned allocation failed", "alloc_id", allocID, "error", err)
	}
	if err := mountinfo.RemoveAll(filepath.Join(c.cfg.AllocDir, allocID)); err != nil {
		c.logger.Error("removing orphaned allocation directory failed", "alloc_id", allocID, "error", err)
	}
}

// stopOrphanTask stops one recorded task and removes its record; it
// reports false when the task may still run.
func (c *Client) stopOrphanTask(allocID, name string, h *driver.TaskHandle, timeout time.Duration, signal string) bool {
	log := c.logger.With("alloc_id", allocID, "task", name, "task_id", h.Config.ID)
	drv, ok := c.cfg.Drivers.Get(h.Driver)
	if !ok {
		log.Error("cannot stop orphaned task: its driver is not available on this client; its record is kept", "driver", h.Driver)
		return false
	}
	if h.Pending {
		// The earlier agent died while starting it.
		if cl, ok := drv.(driver.Cleaner); ok {
			if err := cl.CleanupTask(h.Config); err != nil {
				log.Error("cleaning up orphaned task failed; its record is kept", "error", err)
				return false
			}
		}
		if err := c.state.PutTaskHandle(allocID, name, nil); err != nil {
			log.Error("removing orphaned task's record failed", "error", err)
			return false
		}
		return true
	}
	switch err := drv.RecoverTask(h); {
	case errors.Is(err, driver.ErrTaskNotFound):
		log.Info("orphaned task is no longer running")
	case err != nil:
		log.Warn("orphaned task cannot be reattached; forgetting it", "error", err)
	default:
		log.Warn("stopping orphaned task")
		if err := drv.StopTask(h.Config.ID, timeout, signal); err != nil && !errors.Is(err, driver.ErrTaskNotFound) {
			log.Error("stopping orphaned task failed; its record is kept", "error", err)
			return false
		}
		if err := drv.DestroyTask(h.Config.ID, true); err != nil && !errors.Is(err, driver.ErrTaskNotFound) {
			log.Warn("releasing orphaned task failed", "error", err)
		}
	}
	if err := c.state.PutTaskHandle(allocID, name, nil); err != nil {
		log.Error("removing orphaned task's record failed", "error", err)
		return false
	}
	return true
}
