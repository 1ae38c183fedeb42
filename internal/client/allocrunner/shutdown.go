package allocrunner

import (
	"fmt"
	"time"

	"github.com/drover-sh/drover"
)

// beginStop starts stopping the allocation's tasks, once: the first cause
// wins, later ones find the stop under way. cause.event, when set, is given
// to every task still alive. The tasks are stopped in the background, in
// stopTiers order, after the group's shutdown_delay. Before Run or Restore
// created the task runners it does nothing: start stops an allocation the
// servers want stopped once its runners exist.
func (ar *AllocRunner) beginStop(cause stopCause) {
	ar.mu.Lock()
	tasks := ar.taskList
	if ar.stopping || tasks == nil {
		ar.mu.Unlock()
		return
	}
	ar.stopping = true
	runners := make(map[string]*taskRunner, len(ar.tasks))
	for n, tr := range ar.tasks {
		runners[n] = tr
	}
	ar.mu.Unlock()
	ar.logger.Info("stopping tasks", "reason", cause.reason)
	go ar.stopTasks(cause, tasks, runners)
}

// Stop stops the allocation's tasks as a stop by the servers does (the
// group's shutdown_delay, then each task's shutdown_delay, kill_signal and
// kill_timeout, the poststop tasks last), with reason as the kill reason of
// their Killing and Killed events. The client calls it when it stops an
// allocation by itself (servers out of reach for longer than the group's
// stop_on_client_after). Like a stop by the servers it is done once: a
// stop already under way is left to finish. It does not block.
func (ar *AllocRunner) Stop(reason string) { ar.beginStop(stopCause{reason: reason}) }

// stopTasks carries out a stop that beginStop began.
func (ar *AllocRunner) stopTasks(cause stopCause, tasks []*drover.Task, runners map[string]*taskRunner) {
	if cause.event != "" {
		for _, t := range tasks {
			if tr := runners[t.Name]; phaseOf(t) != phasePoststop && !tr.dead() {
				tr.emit(tr.event(cause.event, cause.msg), nil)
			}
		}
	}
	if !ar.groupShutdownDelay(tasks, runners) {
		return // the agent is shutting down: leave the tasks running
	}
	for _, tier := range stopTiers(tasks) {
		for _, name := range tier {
			runners[name].Kill(cause.reason)
		}
		for _, name := range tier {
			<-runners[name].done
		}
	}
}

// groupShutdownDelay waits out the group's shutdown_delay when one of its
// tasks is running, telling each running task why it waits. A Kill or
// Destroy cuts the wait short; it reports false when the runner shut down
// during the wait.
func (ar *AllocRunner) groupShutdownDelay(tasks []*drover.Task, runners map[string]*taskRunner) bool {
	g := ar.group()
	if g == nil || g.ShutdownDelay == nil || *g.ShutdownDelay <= 0 {
		return true
	}
	d := g.ShutdownDelay
	var running []*taskRunner
	for _, t := range tasks {
		if tr := runners[t.Name]; phaseOf(t) != phasePoststop && tr.State().State == drover.TaskStateRunning {
			running = append(running, tr)
		}
	}
	if len(running) == 0 {
		return true
	}
	msg := fmt.Sprintf("Waiting for the group's shutdown_delay of %s before killing the task", *d)
	for _, tr := range running {
		tr.emit(shutdownDelayEvent(tr.event(drover.TaskWaitingShuttingDownDelay, msg), *d), nil)
	}
	return ar.sleep(*d)
}

// sleep waits d on the runner's clock. A Kill or Destroy ends it early
// (true); a Shutdown too (false: the caller must leave the tasks alone).
func (ar *AllocRunner) sleep(d time.Duration) bool {
	select {
	case <-ar.cfg.After(d):
		return true
	case <-ar.forceCh:
		return true
	case <-ar.shutdownCh:
		return false
	}
}

func shutdownDelayEvent(ev *drover.TaskEvent, d time.Duration) *drover.TaskEvent {
	ev.Details["shutdown_delay"] = d.String()
	return ev
}

// killAll kills every task at once, poststop tasks included, and cuts any
// shutdown_delay short: the allocation is destroyed or the client is going
// away, so nothing is left to wait for.
func (ar *AllocRunner) killAll(reason string) {
	ar.mu.Lock()
	ar.stopping = true
	ar.forceOnce.Do(func() { close(ar.forceCh) })
	runners := make([]*taskRunner, 0, len(ar.tasks))
	for _, tr := range ar.tasks {
		runners = append(runners, tr)
	}
	ar.mu.Unlock()
	for _, tr := range runners {
		tr.Kill(reason)
	}
}

// shutdownDelay waits out the task's own shutdown_delay before it is sent
// its kill_signal. It reports false when the runner shut down meanwhile
// (the task is then left running for a later agent).
func (tr *taskRunner) shutdownDelay() bool {
	d := tr.task.ShutdownDelay
	if d <= 0 {
		return true
	}
	msg := fmt.Sprintf("Waiting for shutdown_delay of %s before killing the task", d)
	tr.emit(shutdownDelayEvent(tr.event(drover.TaskWaitingShuttingDownDelay, msg), d), nil)
	select {
	case <-tr.ar.cfg.After(d):
		return true
	case <-tr.ar.forceCh:
		return true
	case <-tr.ctx.Done():
		return false
	}
}
