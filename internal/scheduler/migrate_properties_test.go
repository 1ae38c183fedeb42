package scheduler_test

import (
	"fmt"
	"testing"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

// rackCluster returns a harness with n standard nodes, node i in rack
// "r<i/perRack>".
func rackCluster(t *testing.T, n, perRack int) *schedtest.Harness {
	t.Helper()
	h := schedtest.New()
	for i, node := range schedtest.Nodes(n) {
		node.Meta["rack"] = fmt.Sprintf("r%d", i/perRack)
		h.UpsertNode(node)
	}
	return h
}

// migrateOne drains the node of the job's allocation named name, marks the
// allocation Migrate and runs the drain's evaluation. It returns the
// allocation and its replacement (nil when none was placed).
func migrateOne(t *testing.T, h *schedtest.Harness, job *drover.Job, name string) (old, repl *drover.Allocation) {
	t.Helper()
	for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
		if a.Name == name {
			old = a
		}
	}
	if old == nil {
		t.Fatalf("no live alloc %s", name)
	}
	drainNode(t, h, old.NodeID)
	markMigrate(h, old)
	ev := schedtest.Eval(job)
	ev.TriggeredBy = drover.EvalTriggerNodeDrain
	if got := processEval(t, h, ev); len(got.FailedTGAllocs) > 0 {
		t.Logf("failed placements: %+v", got.FailedTGAllocs["web"])
	}
	for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
		if a.PreviousAllocation == old.ID {
			repl = a
		}
	}
	return old, repl
}

// TestMigrationReplacementNotRefusedByItsPredecessorsProperty: with
// distinct_property on the rack, a migrating allocation keeps running on
// its draining node until its replacement is healthy. The pair is one
// instance of the group, so the replacement may go to the old one's rack
// (the only rack with room): counting the old one there refused every
// node and left the drain stuck until its deadline.
func TestMigrationReplacementNotRefusedByItsPredecessorsProperty(t *testing.T) {
	for _, level := range []string{"job", "group"} {
		t.Run(level, func(t *testing.T) {
			h := rackCluster(t, 4, 2) // r0: node-000, node-001; r1: node-002, node-003
			job := schedtest.Job("web", 2)
			c := []*drover.Constraint{{LTarget: "${meta.rack}", Operand: "distinct_property"}}
			if level == "job" {
				job.Constraints = c
			} else {
				job.TaskGroups[0].Constraints = c
			}
			h.UpsertJob(job)
			if ev := process(t, h, job); len(ev.FailedTGAllocs) > 0 {
				t.Fatalf("initial placement failed: %+v", ev.FailedTGAllocs)
			}
			old, repl := migrateOne(t, h, job, drover.AllocName(job.ID, "web", 0))
			if repl == nil {
				t.Fatalf("no replacement placed for %s on %s", old.Name, old.NodeID)
			}
			oldNode, _ := h.NodeByID(old.NodeID)
			newNode, _ := h.NodeByID(repl.NodeID)
			if newNode.Meta["rack"] != oldNode.Meta["rack"] || newNode.ID == oldNode.ID {
				t.Errorf("replacement on %s (rack %s), want the other node of rack %s",
					newNode.ID, newNode.Meta["rack"], oldNode.Meta["rack"])
			}
		})
	}
}

// TestMigrationPredecessorStillCountsWhenItsReplacementFails: the
// predecessor is left out of the counts only for its own replacement. When
// that replacement cannot be placed the predecessor runs on alone, and a
// second group under the job-level distinct_property must still find its
// rack taken.
func TestMigrationPredecessorStillCountsWhenItsReplacementFails(t *testing.T) {
	h := rackCluster(t, 3, 2) // r0: node-000, node-001; r1: node-002
	// node-001 is the smallest node, so bin packing prefers it.
	small, _ := h.NodeByID("node-001")
	small = small.Copy()
	small.NodeResources.Memory.MemoryMB = 1024
	h.UpsertNode(small)
	job := schedtest.Job("web", 1)
	job.Constraints = []*drover.Constraint{{LTarget: "${meta.rack}", Operand: "distinct_property"}}
	job.TaskGroups[0].Constraints = []*drover.Constraint{{LTarget: "${node.unique.id}", RTarget: "node-000"}}
	h.UpsertJob(job)
	if ev := process(t, h, job); len(ev.FailedTGAllocs) > 0 {
		t.Fatalf("initial placement failed: %+v", ev.FailedTGAllocs)
	}
	// The new version's web fits nowhere, and it adds a group "api".
	next := job.Copy()
	api := schedtest.Job(job.ID, 1).TaskGroups[0]
	api.Name = "api"
	next.TaskGroups[0].Constraints = []*drover.Constraint{{LTarget: "${meta.rack}", RTarget: "r9"}}
	next.TaskGroups = append(next.TaskGroups, api)
	next.Version++
	h.UpsertJob(next)
	old, repl := migrateOne(t, h, next, drover.AllocName(job.ID, "web", 0))
	if repl != nil {
		t.Fatalf("replacement placed on %s; the test needs it to fail", repl.NodeID)
	}
	var placed bool
	for _, a := range h.LiveAllocs(next.Namespace, next.ID) {
		if a.TaskGroup != "api" {
			continue
		}
		placed = true
		if a.NodeID != "node-002" {
			t.Errorf("api placed on %s, in the rack of the running %s; want node-002", a.NodeID, old.Name)
		}
	}
	if !placed {
		t.Errorf("api was not placed")
	}
}

// TestMigrationReplacementSpreadCountsThePairOnce: with an even spread over
// racks, the replacement of a migrating allocation goes back to its rack,
// which without the old one is below its share. Counting the old one there
// made both racks look full and let bin packing choose the other rack's
// smaller node, unbalancing the spread once the old one stops.
func TestMigrationReplacementSpreadCountsThePairOnce(t *testing.T) {
	h := rackCluster(t, 4, 2) // r0: node-000, node-001; r1: node-002, node-003
	setNode := func(id string, change func(*drover.Node)) {
		n, _ := h.NodeByID(id)
		n = n.Copy()
		change(n)
		h.UpsertNode(n)
	}
	// The first placements go to node-000 and node-002, the only eligible
	// nodes then.
	for _, id := range []string{"node-001", "node-003"} {
		setNode(id, func(n *drover.Node) { n.SchedulingEligibility = drover.NodeIneligible })
	}
	job := schedtest.Job("web", 2)
	job.TaskGroups[0].Spreads = []*drover.Spread{{Attribute: "${meta.rack}", Weight: 100}}
	job.TaskGroups[0].Constraints = []*drover.Constraint{{Operand: "distinct_hosts"}}
	h.UpsertJob(job)
	if ev := process(t, h, job); len(ev.FailedTGAllocs) > 0 {
		t.Fatalf("initial placement failed: %+v", ev.FailedTGAllocs)
	}
	// node-003 is small, so bin packing prefers it to node-001.
	setNode("node-001", func(n *drover.Node) { n.SchedulingEligibility = drover.NodeEligible })
	setNode("node-003", func(n *drover.Node) {
		n.SchedulingEligibility = drover.NodeEligible
		n.NodeResources.Cpu.CpuShares, n.NodeResources.Memory.MemoryMB = 600, 600
	})
	var first string
	for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
		if a.NodeID == "node-000" {
			first = a.Name
		}
	}
	old, repl := migrateOne(t, h, job, first)
	if repl == nil {
		t.Fatalf("no replacement placed for %s", old.Name)
	}
	if repl.NodeID != "node-001" {
		t.Errorf("replacement on %s, want node-001 in the old one's rack r0 (scores %v)", repl.NodeID,
			repl.Metrics.ScoreMetaData[0].Scores)
	}
}

// TestMigrationReplacementUnderDistinctHosts: the old allocation runs on
// its draining node, which takes no new work, so distinct_hosts (job or
// group level) neither refuses the replacement for it nor lets it share a
// node with the job's other allocation.
func TestMigrationReplacementUnderDistinctHosts(t *testing.T) {
	for _, level := range []string{"job", "group"} {
		t.Run(level, func(t *testing.T) {
			h := cluster(t, 3)
			job := schedtest.Job("web", 2)
			c := []*drover.Constraint{{Operand: "distinct_hosts"}}
			if level == "job" {
				job.Constraints = c
			} else {
				job.TaskGroups[0].Constraints = c
			}
			h.UpsertJob(job)
			if ev := process(t, h, job); len(ev.FailedTGAllocs) > 0 {
				t.Fatalf("initial placement failed: %+v", ev.FailedTGAllocs)
			}
			used := map[string]bool{}
			for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
				used[a.NodeID] = true
			}
			old, repl := migrateOne(t, h, job, drover.AllocName(job.ID, "web", 0))
			if repl == nil {
				t.Fatalf("no replacement for %s", old.Name)
			}
			if used[repl.NodeID] {
				t.Errorf("replacement on %s, which already held an allocation of the job", repl.NodeID)
			}
		})
	}
}

// TestMigrationTriedAfterAnotherPlacementOfItsGroupFailed: a migration's
// replacement may fit where an earlier placement of its group did not, since
// its predecessor's value is free for it alone; it must be tried, not
// counted as failed with the earlier one.
func TestMigrationTriedAfterAnotherPlacementOfItsGroupFailed(t *testing.T) {
	h := schedtest.New()
	for i, n := range schedtest.Nodes(4) {
		n.Meta["rack"] = []string{"r0", "r0", "r1", "r2"}[i]
		if i == 1 {
			n.SchedulingEligibility = drover.NodeIneligible
		}
		h.UpsertNode(n)
	}
	setNode := func(id string, change func(*drover.Node)) {
		n, _ := h.NodeByID(id)
		n = n.Copy()
		change(n)
		h.UpsertNode(n)
	}
	job := schedtest.Job("web", 3)
	job.Constraints = []*drover.Constraint{{LTarget: "${meta.rack}", Operand: "distinct_property"}}
	h.UpsertJob(job)
	if ev := process(t, h, job); len(ev.FailedTGAllocs) > 0 {
		t.Fatalf("initial placement failed: %+v", ev.FailedTGAllocs)
	}
	setNode("node-001", func(n *drover.Node) { n.SchedulingEligibility = drover.NodeEligible })
	// node-003, r2's only node, goes down: its allocation's replacement
	// fits nowhere (r0 and r1 are taken), and comes first in the plan.
	setNode("node-003", func(n *drover.Node) { n.Status = drover.NodeStatusDown })
	var first string
	for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
		if a.NodeID == "node-000" {
			first = a.Name
		}
	}
	old, repl := migrateOne(t, h, job, first)
	if repl == nil || repl.NodeID != "node-001" {
		t.Fatalf("replacement of %s: %+v, want it on node-001", old.Name, repl)
	}
}

// TestMigrationPairCountsOnceInLaterEvaluations: while a migrating
// allocation waits for its replacement to be healthy, both run; any other
// evaluation of the job meanwhile must count the pair once. Counted twice,
// the old one's rack looked full under distinct_property value 2 and a
// scale-up found no room.
func TestMigrationPairCountsOnceInLaterEvaluations(t *testing.T) {
	h := schedtest.New()
	for i, n := range schedtest.Nodes(4) {
		n.Meta["rack"] = []string{"r0", "r0", "r0", "r1"}[i]
		if i == 1 || i == 2 {
			n.SchedulingEligibility = drover.NodeIneligible
		}
		h.UpsertNode(n)
	}
	setNode := func(id string, change func(*drover.Node)) {
		n, _ := h.NodeByID(id)
		n = n.Copy()
		change(n)
		h.UpsertNode(n)
	}
	job := schedtest.Job("web", 2)
	job.TaskGroups[0].Constraints = []*drover.Constraint{{Operand: "distinct_hosts"},
		{LTarget: "${meta.rack}", Operand: "distinct_property", RTarget: "2"}}
	h.UpsertJob(job)
	if ev := process(t, h, job); len(ev.FailedTGAllocs) > 0 {
		t.Fatalf("initial placement failed: %+v", ev.FailedTGAllocs)
	}
	// web on node-000 (r0) and node-003 (r1); now only r0's others take work.
	for _, id := range []string{"node-001", "node-002"} {
		setNode(id, func(n *drover.Node) { n.SchedulingEligibility = drover.NodeEligible })
	}
	setNode("node-003", func(n *drover.Node) { n.SchedulingEligibility = drover.NodeIneligible })
	var first string
	for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
		if a.NodeID == "node-000" {
			first = a.Name
		}
	}
	old, repl := migrateOne(t, h, job, first)
	if repl == nil {
		t.Fatalf("no replacement for %s", old.Name)
	}
	// Before the replacement is healthy, the job scales to 3: r0 holds one
	// instance (the pair), so it has room for one more.
	next := job.Copy()
	next.TaskGroups[0].Count = 3
	next.Version++
	h.UpsertJob(next)
	if ev := process(t, h, next); len(ev.FailedTGAllocs) > 0 {
		t.Fatalf("scale-up failed: %+v", ev.FailedTGAllocs["web"])
	}
	if n := len(h.LiveAllocs(next.Namespace, next.ID)); n != 4 {
		t.Errorf("%d live allocations, want 4: the pair, web[1] and the new one", n)
	}
}
