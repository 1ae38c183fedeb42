package scheduler_test

import (
	"testing"
	"time"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/reconcile"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

// stopOnClientJob is a service job of count allocations whose group sets
// disconnect { stop_on_client_after = 30s } and whose task's kill_timeout
// is 5s: a lost allocation's replacement waits 35s.
func stopOnClientJob(count int) *drover.Job {
	j := schedtest.Job("web", count)
	after := 30 * time.Second
	j.TaskGroups[0].Disconnect = &drover.DisconnectStrategy{StopOnClientAfter: &after}
	j.TaskGroups[0].Tasks[0].KillTimeout = 5 * time.Second
	j.Canonicalize()
	return j
}

// downNodeOf marks the node of alloc a down and runs the node-update eval
// at now; it returns the evals the scheduler created meanwhile.
func downNodeOf(t *testing.T, h *schedtest.Harness, job *drover.Job, a *drover.Allocation, now time.Time) []*drover.Evaluation {
	t.Helper()
	n, _ := h.NodeByID(a.NodeID)
	d := *n
	d.Status = drover.NodeStatusDown
	h.UpsertNode(&d)
	created := len(h.CreatedEvals)
	ev := schedtest.Eval(job)
	ev.TriggeredBy = drover.EvalTriggerNodeUpdate
	processAt(t, h, ev, now)
	return h.CreatedEvals[created:]
}

// TestLostAllocWaitsForClientStop: an allocation lost with its node is
// marked lost at once, but with stop_on_client_after its replacement waits
// until its client has stopped it (stop_on_client_after plus kill_timeout
// after the node was found down): evaluations before then place nothing
// and keep the index held, the follow-up evaluation at that time places
// the replacement under the same name on another node.
func TestLostAllocWaitsForClientStop(t *testing.T) {
	h := cluster(t, 3)
	job := stopOnClientJob(2)
	h.UpsertJob(job)
	processAt(t, h, schedtest.Eval(job), t0)
	allocs := h.LiveAllocs(job.Namespace, job.ID)
	if len(allocs) != 2 {
		t.Fatalf("%d allocs placed, want 2", len(allocs))
	}
	lost := allocs[0]

	created := downNodeOf(t, h, job, lost, t0)
	plan := h.Plans[len(h.Plans)-1]
	if len(plan.NodeAllocation) != 0 {
		t.Fatalf("replacement placed at once: %v", plan.NodeAllocation)
	}
	stops := plan.NodeUpdate[lost.NodeID]
	if len(stops) != 1 || stops[0].ID != lost.ID || stops[0].ClientStatus != drover.AllocClientStatusLost ||
		stops[0].DesiredDescription != reconcile.DescLost {
		t.Fatalf("stops = %+v, want the lost alloc marked lost", stops)
	}
	if len(created) != 1 {
		t.Fatalf("%d evals created, want one follow-up", len(created))
	}
	fu := created[0]
	if want := t0.Add(35 * time.Second); fu.Status != drover.EvalStatusPending || !fu.WaitUntil.Equal(want) {
		t.Fatalf("follow-up %s due %v, want pending at %v", fu.Status, fu.WaitUntil, want)
	}
	if ev := h.UpdatedEvals[len(h.UpdatedEvals)-1]; ev.BlockedEval != "" || len(ev.FailedTGAllocs) != 0 {
		t.Fatalf("eval blocked or failed: %+v", ev)
	}

	// A job evaluation during the wait (here, a registration) places
	// nothing: the lost allocation still holds its index. It asks again for
	// an evaluation at the same time.
	before := len(h.CreatedEvals)
	processAt(t, h, schedtest.Eval(job), fu.WaitUntil.Add(-time.Millisecond))
	if live := h.LiveAllocs(job.Namespace, job.ID); len(live) != 1 {
		t.Fatalf("%d live allocs during the wait, want 1", len(live))
	}
	if again := h.CreatedEvals[before:]; len(again) != 1 || !again[0].WaitUntil.Equal(fu.WaitUntil) {
		t.Fatalf("evals created during the wait: %v, want one due at %v", again, fu.WaitUntil)
	}

	before = len(h.CreatedEvals)
	processAt(t, h, fu, fu.WaitUntil)
	live := h.LiveAllocs(job.Namespace, job.ID)
	if len(live) != 2 {
		t.Fatalf("%d live allocs after the wait, want 2", len(live))
	}
	var repl *drover.Allocation
	for _, a := range live {
		if a.ID != allocs[1].ID {
			repl = a
		}
	}
	if repl.Name != lost.Name || repl.NodeID == lost.NodeID {
		t.Fatalf("replacement %s on %s, want %s on another node than %s", repl.Name, repl.NodeID, lost.Name, lost.NodeID)
	}
	if len(h.CreatedEvals) != before {
		t.Fatalf("%d more evals created after the wait", len(h.CreatedEvals)-before)
	}
}

// TestLostAllocReplacedOnceClientReports: a lost allocation whose client
// comes back and reports it complete (its tasks stopped) is replaced then,
// without waiting out the rest of the time.
func TestLostAllocReplacedOnceClientReports(t *testing.T) {
	h := cluster(t, 3)
	job := stopOnClientJob(1)
	h.UpsertJob(job)
	processAt(t, h, schedtest.Eval(job), t0)
	lost := only(t, h, job)
	downNodeOf(t, h, job, lost, t0)
	if live := h.LiveAllocs(job.Namespace, job.ID); len(live) != 0 {
		t.Fatalf("%d live allocs, want the lost one waiting", len(live))
	}

	// Still running on its client (reconnected early): still waiting.
	var stored *drover.Allocation
	all, _ := h.AllocsByJob(job.Namespace, job.ID)
	for _, a := range all {
		if a.ID == lost.ID {
			stored = a.Copy()
		}
	}
	stored.ClientStatus = drover.AllocClientStatusRunning
	h.UpsertAllocs(stored)
	processAt(t, h, schedtest.Eval(job), t0.Add(5*time.Second))
	if live := h.LiveAllocs(job.Namespace, job.ID); len(live) != 0 {
		t.Fatalf("replaced while its client still runs it: %d live", len(live))
	}

	done := stored.Copy()
	done.ClientStatus = drover.AllocClientStatusComplete
	h.UpsertAllocs(done)
	processAt(t, h, schedtest.Eval(job), t0.Add(6*time.Second))
	if repl := only(t, h, job); repl.Name != lost.Name {
		t.Fatalf("replacement %s, want %s", repl.Name, lost.Name)
	}
}

// TestLostAllocWaitingScaledDown: scaling a group down while a lost
// allocation waits releases the waiting one first, and asks for no
// follow-up for it.
func TestLostAllocWaitingScaledDown(t *testing.T) {
	h := cluster(t, 3)
	job := stopOnClientJob(2)
	h.UpsertJob(job)
	processAt(t, h, schedtest.Eval(job), t0)
	allocs := h.LiveAllocs(job.Namespace, job.ID)
	downNodeOf(t, h, job, allocs[1], t0)

	smaller := stopOnClientJob(1)
	smaller.Version, smaller.JobModifyIndex = job.Version, job.JobModifyIndex
	h.UpsertJob(smaller)
	before := len(h.CreatedEvals)
	processAt(t, h, schedtest.Eval(smaller), t0.Add(time.Second))
	if live := h.LiveAllocs(job.Namespace, job.ID); len(live) != 1 || live[0].ID != allocs[0].ID {
		t.Fatalf("live %v, want only %s", live, allocs[0].Name)
	}
	if n := len(h.CreatedEvals) - before; n != 0 {
		t.Fatalf("%d follow-ups created for a released allocation", n)
	}
}

// TestClientStopWait: the wait is stop_on_client_after (or the older
// stop_after_client_disconnect) plus the group's shutdown_delay and the
// longest task shutdown_delay plus kill_timeout; none without the setting.
func TestClientStopWait(t *testing.T) {
	d := func(v time.Duration) *time.Duration { return &v }
	tasks := []*drover.Task{{KillTimeout: 5 * time.Second}, {KillTimeout: 2 * time.Second, ShutdownDelay: 10 * time.Second}}
	for _, tc := range []struct {
		name string
		tg   *drover.TaskGroup
		want time.Duration
		ok   bool
	}{
		{"none", &drover.TaskGroup{Tasks: tasks}, 0, false},
		{"zero", &drover.TaskGroup{Tasks: tasks, Disconnect: &drover.DisconnectStrategy{StopOnClientAfter: d(0)}}, 0, false},
		{"block", &drover.TaskGroup{Tasks: tasks, Disconnect: &drover.DisconnectStrategy{StopOnClientAfter: d(time.Minute)}}, time.Minute + 12*time.Second, true},
		{"older field", &drover.TaskGroup{Tasks: tasks, StopAfterClientDisconnect: d(time.Minute)}, time.Minute + 12*time.Second, true},
		{"group delay", &drover.TaskGroup{Tasks: tasks, ShutdownDelay: d(3 * time.Second), StopAfterClientDisconnect: d(time.Minute)}, time.Minute + 15*time.Second, true},
	} {
		got, ok := reconcile.ClientStopWait(tc.tg)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: %v %v, want %v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
