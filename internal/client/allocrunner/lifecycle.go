package allocrunner

import (
	"fmt"

	"github.com/drover-sh/drover"
)

// The tasks of a group start in phases, as their lifecycle blocks say:
//
//	prestart   prestart tasks; the ones that are not sidecars must finish
//	           successfully, and the sidecars must be running, before ...
//	main       the main tasks (no lifecycle block) start; once none of them
//	           is still waiting for its first start ...
//	poststart  poststart tasks start; once every other task is dead ...
//	poststop   poststop tasks start.
//
// A phase, once reached, is never left, and a task waits for its phase only
// before its first start: restarts are its own business. While the
// allocation stops, only the step to poststop is taken, so a stop request
// never starts a main or poststart task but still runs the poststop tasks.
type phase int

const (
	phasePrestart phase = iota
	phaseMain
	phasePoststart
	phasePoststop
)

// phaseOf returns the phase in which t may first start.
func phaseOf(t *drover.Task) phase {
	switch t.LifecycleHook() {
	case drover.TaskLifecycleHookPrestart:
		return phasePrestart
	case drover.TaskLifecycleHookPoststart:
		return phasePoststart
	case drover.TaskLifecycleHookPoststop:
		return phasePoststop
	}
	return phaseMain
}

// nextPhase returns the phase the allocation reaches from cur given its
// tasks' states; stopping forbids every step but the one to poststop.
func nextPhase(cur phase, stopping bool, tasks []*drover.Task, states map[string]*drover.TaskState) phase {
	for {
		next := cur
		switch {
		case cur < phasePoststop && allDeadButPoststop(tasks, states):
			next = phasePoststop
		case stopping:
		case cur == phasePrestart && prestartDone(tasks, states):
			next = phaseMain
		case cur == phaseMain && mainStarted(tasks, states):
			next = phasePoststart
		}
		if next == cur {
			return cur
		}
		cur = next
	}
}

// prestartDone: every prestart task that is not a sidecar finished
// successfully and every prestart sidecar is running.
func prestartDone(tasks []*drover.Task, states map[string]*drover.TaskState) bool {
	for _, t := range tasks {
		if phaseOf(t) != phasePrestart {
			continue
		}
		s := states[t.Name]
		if t.IsSidecar() && s.State != drover.TaskStateRunning {
			return false
		}
		if !t.IsSidecar() && (s.State != drover.TaskStateDead || s.Failed) {
			return false
		}
	}
	return true
}

// mainStarted: no main task is still waiting to start.
func mainStarted(tasks []*drover.Task, states map[string]*drover.TaskState) bool {
	for _, t := range tasks {
		if phaseOf(t) == phaseMain && states[t.Name].State == drover.TaskStatePending {
			return false
		}
	}
	return true
}

func allDeadButPoststop(tasks []*drover.Task, states map[string]*drover.TaskState) bool {
	for _, t := range tasks {
		if phaseOf(t) != phasePoststop && states[t.Name].State != drover.TaskStateDead {
			return false
		}
	}
	return true
}

// stopCause is why the allocation stops its tasks by itself.
type stopCause struct {
	event  string // task event given to the tasks being stopped; "" for none
	msg    string // that event's message
	reason string // the kill reason on their Killing and Killed events
}

// selfStopCause says whether the tasks' states call for stopping the other
// tasks, and why: a task failed for good (its siblings are stopped), the
// leader finished (everything is stopped), or only sidecars are left (they
// served main tasks that are gone). Poststop tasks neither cause a stop nor
// are stopped by one. It reports false while nothing is left to stop.
func selfStopCause(tasks []*drover.Task, states map[string]*drover.TaskState) (stopCause, bool) {
	var failed, leader string
	live, liveMain := 0, 0
	for _, t := range tasks {
		if phaseOf(t) == phasePoststop {
			continue
		}
		s := states[t.Name]
		switch {
		case s.State != drover.TaskStateDead:
			live++
			if !t.IsSidecar() {
				liveMain++
			}
		case s.Failed && failed == "":
			failed = t.Name
		case !s.Failed && t.Leader:
			leader = t.Name
		}
	}
	switch {
	case live == 0:
		return stopCause{}, false
	case failed != "":
		return stopCause{event: drover.TaskSiblingFailed, msg: fmt.Sprintf("Task's sibling %q failed", failed),
			reason: drover.TaskSiblingFailed + ": " + failed}, true
	case leader != "":
		return stopCause{event: drover.TaskLeaderDead, msg: "Leader task in group is dead",
			reason: "leader task " + leader + " is dead"}, true
	case liveMain == 0:
		return stopCause{event: drover.TaskMainDead, msg: "Main tasks in the group are dead",
			reason: "main tasks are dead"}, true
	}
	return stopCause{}, false
}

// stopTiers orders the tasks the allocation stops: the leader first (the
// others may depend on it shutting down cleanly), then the other tasks, and
// the sidecars last, so that they serve the main tasks until those are
// gone. Poststop tasks are not stopped: they run once the others are dead.
func stopTiers(tasks []*drover.Task) [][]string {
	var leader, others, sidecars []string
	for _, t := range tasks {
		switch {
		case phaseOf(t) == phasePoststop:
		case t.Leader:
			leader = append(leader, t.Name)
		case t.IsSidecar():
			sidecars = append(sidecars, t.Name)
		default:
			others = append(others, t.Name)
		}
	}
	return [][]string{leader, others, sidecars}
}
