package scheduler_test

import (
	"log/slog"
	"testing"
	"time"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler"
	"github.com/drover-sh/drover/internal/scheduler/reconcile"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

// drainNode starts a drain without deadline on the harness's node id.
func drainNode(t *testing.T, h *schedtest.Harness, id string) {
	t.Helper()
	n, err := h.NodeByID(id)
	if err != nil || n == nil {
		t.Fatalf("node %s: %v", id, err)
	}
	c := n.Copy()
	c.Drain, c.SchedulingEligibility = true, drover.NodeIneligible
	c.DrainStrategy = &drover.DrainStrategy{StartedAt: time.Now()}
	h.UpsertNode(c)
}

// markMigrate sets DesiredTransition.Migrate on allocs, as the drainer does.
func markMigrate(h *schedtest.Harness, allocs ...*drover.Allocation) {
	yes := true
	for _, a := range allocs {
		c := a.Copy()
		c.DesiredTransition.Migrate = &yes
		h.UpsertAllocs(c)
	}
}

func processWithClock(t *testing.T, h *schedtest.Harness, eval *drover.Evaluation, now time.Time) *drover.Evaluation {
	t.Helper()
	s, err := scheduler.NewWithClock(eval.Type, slog.New(slog.DiscardHandler), h, h, func() time.Time { return now })
	if err != nil {
		t.Fatalf("NewWithClock: %v", err)
	}
	if err := s.Process(eval); err != nil {
		t.Fatalf("Process: %v", err)
	}
	return h.Eval(eval.ID)
}

// TestServiceMigrationPlacesElsewhereThenStops: a marked allocation gets a
// replacement on another node and keeps running until the replacement has
// run for min_healthy_time, judged by the scheduler's clock.
func TestServiceMigrationPlacesElsewhereThenStops(t *testing.T) {
	h := cluster(t, 2)
	job := schedtest.Job("web", 1)
	h.UpsertJob(job)
	process(t, h, job)
	old := only(t, h, job)
	drainNode(t, h, old.NodeID)
	markMigrate(h, old)

	start := time.Now()
	ev := schedtest.Eval(job)
	ev.TriggeredBy = drover.EvalTriggerNodeDrain
	ev.AnnotatePlan = true
	processWithClock(t, h, ev, start)
	live := h.LiveAllocs(job.Namespace, job.ID)
	if len(live) != 2 {
		t.Fatalf("%d live allocs after the first evaluation, want the old and its replacement", len(live))
	}
	var repl *drover.Allocation
	for _, a := range live {
		if a.ID != old.ID {
			repl = a
		}
	}
	if repl.NodeID == old.NodeID || repl.PreviousAllocation != old.ID || repl.Name != old.Name {
		t.Fatalf("replacement on %s previous %q name %s", repl.NodeID, repl.PreviousAllocation, repl.Name)
	}
	if u := h.Plans[len(h.Plans)-1].Annotations.DesiredTGUpdates["web"]; u.Migrate != 1 || u.Place != 0 {
		t.Errorf("annotations %+v, want one migration", u)
	}

	// The replacement runs: not yet healthy, then healthy 10s (the default
	// min_healthy_time) later.
	c := repl.Copy()
	c.ClientStatus = drover.AllocClientStatusRunning
	c.TaskStates = map[string]*drover.TaskState{"server": {State: drover.TaskStateRunning, StartedAt: start}}
	h.UpsertAllocs(c)
	processWithClock(t, h, schedtest.Eval(job), start.Add(9*time.Second))
	if n := len(h.LiveAllocs(job.Namespace, job.ID)); n != 2 {
		t.Fatalf("%d live allocs before the replacement was healthy, want 2", n)
	}
	processWithClock(t, h, schedtest.Eval(job), start.Add(10*time.Second))
	if got := only(t, h, job); got.ID != repl.ID {
		t.Fatalf("live alloc %s, want the replacement %s", got.ID, repl.ID)
	}
	stopped, _ := h.AllocsByNode(old.NodeID)
	if len(stopped) != 1 || stopped[0].DesiredDescription != reconcile.DescMigrating {
		t.Errorf("old alloc description %q", stopped[0].DesiredDescription)
	}
}

// TestSystemMigrateStopsMarkedOnly: on a draining node a system allocation
// marked Migrate is stopped and not replaced there; an unmarked one (the
// drain ignores system jobs, or its turn has not come) is left alone.
func TestSystemMigrateStopsMarkedOnly(t *testing.T) {
	h := cluster(t, 3)
	job := systemJob("sys", drover.JobTypeSystem)
	h.UpsertJob(job)
	process(t, h, job)
	before := byNode(h, job)
	drainNode(t, h, "node-000")
	drainNode(t, h, "node-001")
	markMigrate(h, before["node-000"][0])

	processEval(t, h, nodeEval(job, "node-000"))
	after := byNode(h, job)
	if len(after["node-000"]) != 0 {
		t.Errorf("marked system alloc on the draining node still live: %v", after["node-000"])
	}
	if len(after["node-001"]) != 1 || after["node-001"][0].ID != before["node-001"][0].ID {
		t.Errorf("unmarked system alloc on a draining node was touched: %v", after["node-001"])
	}
	if len(after["node-002"]) != 1 || after["node-002"][0].ID != before["node-002"][0].ID {
		t.Errorf("alloc on the ready node changed: %v", after["node-002"])
	}
	all, _ := h.AllocsByNode("node-000")
	if len(all) != 1 || all[0].DesiredDescription != reconcile.DescMigrating {
		t.Errorf("node-000 allocs %d, description %q", len(all), all[0].DesiredDescription)
	}
}
