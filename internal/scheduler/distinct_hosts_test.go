package scheduler_test

import (
	"testing"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

func distinctHosts() []*drover.Constraint {
	return []*drover.Constraint{{Operand: "distinct_hosts", RTarget: "true"}}
}

// twoGroups returns schedtest.Job with a second group "db" of count db.
func twoGroups(id string, web, db int) *drover.Job {
	job := schedtest.Job(id, web)
	g := *job.TaskGroups[0]
	g.Name, g.Count = "db", db
	job.TaskGroups = append(job.TaskGroups, &g)
	return job
}

// perNode counts live allocations per node.
func perNode(allocs []*drover.Allocation) map[string]int {
	out := map[string]int{}
	for _, a := range allocs {
		out[a.NodeID]++
	}
	return out
}

// TestDistinctHostsJobLevel: on the job, no two allocations of any of its
// groups share a node; with more allocations than nodes the excess fails
// with every node counted under "distinct_hosts".
func TestDistinctHostsJobLevel(t *testing.T) {
	h := cluster(t, 3)
	job := twoGroups("app", 2, 2)
	job.Constraints = distinctHosts()
	h.UpsertJob(job)
	ev := process(t, h, job)
	live := h.LiveAllocs(job.Namespace, job.ID)
	if len(live) != 3 {
		t.Fatalf("placed %v, want 3 (one per node)", names(live))
	}
	for node, n := range perNode(live) {
		if n != 1 {
			t.Errorf("node %s holds %d allocations of the job", node, n)
		}
	}
	failed := 0
	for group, m := range ev.FailedTGAllocs {
		if m.ConstraintFiltered["distinct_hosts"] != 3 || m.NodesFiltered != 3 || m.NodesExhausted != 0 {
			t.Errorf("group %s metric %+v, want 3 nodes filtered by distinct_hosts", group, m)
		}
		failed += 1 + m.CoalescedFailures
	}
	if failed != 1 || ev.QueuedAllocations["web"]+ev.QueuedAllocations["db"] != 1 {
		t.Fatalf("failed %d placements, queued %v; want 1", failed, ev.QueuedAllocations)
	}
}

// TestDistinctHostsGroupLevel: on a group, only that group's allocations
// are kept apart; another group of the job shares the nodes freely.
func TestDistinctHostsGroupLevel(t *testing.T) {
	h := cluster(t, 2)
	job := twoGroups("app", 3, 3)
	job.TaskGroups[0].Constraints = distinctHosts()
	h.UpsertJob(job)
	ev := process(t, h, job)
	var web, db []*drover.Allocation
	for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
		if a.TaskGroup == "web" {
			web = append(web, a)
		} else {
			db = append(db, a)
		}
	}
	if len(web) != 2 || web[0].NodeID == web[1].NodeID {
		t.Fatalf("web placed %v on %v, want one on each of the 2 nodes", names(web), perNode(web))
	}
	if len(db) != 3 {
		t.Fatalf("db placed %v, want all 3 (it has no constraint)", names(db))
	}
	m := ev.FailedTGAllocs["web"]
	if m == nil || m.ConstraintFiltered["distinct_hosts"] != 2 || m.CoalescedFailures != 0 || ev.FailedTGAllocs["db"] != nil {
		t.Fatalf("failures %+v, want web's third filtered on both nodes", ev.FailedTGAllocs)
	}
}

// TestDistinctHostsCountsExistingAllocs: a later evaluation counts the
// allocations already running, not only its own placements.
func TestDistinctHostsCountsExistingAllocs(t *testing.T) {
	h := cluster(t, 3)
	job := schedtest.Job("web", 2)
	job.Constraints = distinctHosts()
	h.UpsertJob(job)
	process(t, h, job)
	first := perNode(h.LiveAllocs(job.Namespace, job.ID))
	if len(first) != 2 {
		t.Fatalf("first placement %v", first)
	}

	up := *job
	up.TaskGroups = []*drover.TaskGroup{ptrCopy(job.TaskGroups[0])}
	up.TaskGroups[0].Count = 4
	keepVersion(h, job, &up)
	ev := process(t, h, &up)
	live := h.LiveAllocs(job.Namespace, job.ID)
	after := perNode(live)
	if len(live) != 3 || len(after) != 3 {
		t.Fatalf("after scaling to 4: %v on %v, want 3 on 3 nodes", names(live), after)
	}
	if m := ev.FailedTGAllocs["web"]; m == nil || m.ConstraintFiltered["distinct_hosts"] != 3 {
		t.Fatalf("metric %+v, want the 4th filtered on all 3 nodes", m)
	}
}

// TestDistinctHostsUpdateReusesStoppedNodes: a destructive update stops the
// old allocations in the same plan, so their nodes are free for the new
// ones even though every node held one.
func TestDistinctHostsUpdateReusesStoppedNodes(t *testing.T) {
	h := cluster(t, 3)
	job := schedtest.Job("web", 3)
	job.Constraints = distinctHosts()
	h.UpsertJob(job)
	process(t, h, job)
	v2 := *job
	v2.Version = 1
	tg := ptrCopy(job.TaskGroups[0])
	task := *tg.Tasks[0]
	task.Resources = &drover.Resources{CPU: 600, MemoryMB: 256}
	tg.Tasks = []*drover.Task{&task}
	v2.TaskGroups = []*drover.TaskGroup{tg}
	h.UpsertJob(&v2)
	ev := process(t, h, &v2)
	if len(ev.FailedTGAllocs) != 0 {
		t.Fatalf("update failed: %+v", ev.FailedTGAllocs["web"])
	}
	last := h.Plans[len(h.Plans)-1]
	stops, places := 0, 0
	for _, as := range last.NodeUpdate {
		stops += len(as)
	}
	for _, as := range last.NodeAllocation {
		places += len(as)
	}
	if stops != 3 || places != 3 {
		t.Fatalf("the update plan stops %d and places %d, want a destructive update of all 3", stops, places)
	}
	live := h.LiveAllocs(job.Namespace, job.ID)
	if len(live) != 3 || len(perNode(live)) != 3 {
		t.Fatalf("live %v on %v, want 3 on 3 nodes", names(live), perNode(live))
	}
	for _, a := range live {
		if a.Job.Version != 1 {
			t.Errorf("%s still runs version %d", a.Name, a.Job.Version)
		}
	}
}
