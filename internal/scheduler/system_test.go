package scheduler_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/feasible"
	"github.com/drover-sh/drover/internal/scheduler/reconcile"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

// systemJob is schedtest.Job as a system (or sysbatch) job.
func systemJob(id, typ string) *drover.Job {
	j := schedtest.Job(id, 1)
	j.Type = typ
	return j
}

// byNode maps node ID to the job's live allocations there.
func byNode(h *schedtest.Harness, job *drover.Job) map[string][]*drover.Allocation {
	out := map[string][]*drover.Allocation{}
	for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
		out[a.NodeID] = append(out[a.NodeID], a)
	}
	return out
}

func nodeEval(job *drover.Job, nodeID string) *drover.Evaluation {
	e := schedtest.Eval(job)
	e.TriggeredBy, e.NodeID = drover.EvalTriggerNodeUpdate, nodeID
	return e
}

func TestSystemPlacesOnEveryReadyNode(t *testing.T) {
	h := schedtest.New()
	nodes := schedtest.Nodes(6)
	nodes[1].Drain = true
	nodes[2].SchedulingEligibility = drover.NodeIneligible
	nodes[3].Status = drover.NodeStatusDown
	nodes[4].Datacenter = "dc2"
	for _, n := range nodes {
		h.UpsertNode(n)
	}
	job := systemJob("sys", drover.JobTypeSystem)
	job.Datacenters = []string{"dc1"}
	h.UpsertJob(job)
	ev := process(t, h, job)
	got := byNode(h, job)
	if len(got) != 2 || len(got["node-000"]) != 1 || len(got["node-005"]) != 1 {
		t.Fatalf("allocs by node = %v, want one on node-000 and node-005 only", got)
	}
	if a := got["node-000"][0]; a.Name != "sys.web[0]" || a.ClientStatus != drover.AllocClientStatusPending {
		t.Errorf("alloc %s %s", a.Name, a.ClientStatus)
	}
	if ev.Status != drover.EvalStatusComplete || len(ev.FailedTGAllocs) != 0 || len(h.CreatedEvals) != 0 {
		t.Errorf("eval %s failed=%v created=%d", ev.Status, ev.FailedTGAllocs, len(h.CreatedEvals))
	}

	// Steady: nothing to do.
	plans := len(h.Plans)
	process(t, h, job)
	if len(h.Plans) != plans {
		t.Errorf("a steady system job submitted a plan")
	}
}

func TestSystemNewNodeGetsOneAndDownNodeIsNotReplaced(t *testing.T) {
	h := cluster(t, 2)
	job := systemJob("sys", drover.JobTypeSystem)
	h.UpsertJob(job)
	process(t, h, job)
	before := byNode(h, job)

	h.UpsertNode(schedtest.Node("late"))
	processEval(t, h, nodeEval(job, "late"))
	after := byNode(h, job)
	if len(after) != 3 || len(after["late"]) != 1 {
		t.Fatalf("after a node joined: %v", after)
	}
	for id, as := range before {
		if after[id][0].ID != as[0].ID {
			t.Errorf("node %s: alloc replaced", id)
		}
	}

	down := schedtest.Node("late")
	down.Status = drover.NodeStatusDown
	h.UpsertNode(down)
	processEval(t, h, nodeEval(job, "late"))
	after = byNode(h, job)
	if len(after) != 2 || after["late"] != nil {
		t.Fatalf("after the node went down: %v", after)
	}
	all, _ := h.AllocsByNode("late")
	if len(all) != 1 || all[0].ClientStatus != drover.AllocClientStatusLost || all[0].DesiredDescription != reconcile.DescLost {
		t.Fatalf("alloc on the down node: %+v", all[0])
	}
	if n := len(h.Plans[len(h.Plans)-1].NodeAllocation); n != 0 {
		t.Errorf("the lost alloc was replaced on %d nodes", n)
	}
}

func TestSystemConstraintFilteringCounted(t *testing.T) {
	h := cluster(t, 4)
	job := systemJob("sys", drover.JobTypeSystem)
	job.Constraints = []*drover.Constraint{{LTarget: "${node.unique.id}", RTarget: "node-00[01]", Operand: "regexp"}}
	h.UpsertJob(job)
	ev := process(t, h, job)
	if got := byNode(h, job); len(got) != 2 || got["node-000"] == nil || got["node-001"] == nil {
		t.Fatalf("allocs by node = %v", got)
	}
	// Nodes that filter the group out are not failures while it runs
	// somewhere (as in Nomad).
	if len(ev.FailedTGAllocs) != 0 || ev.QueuedAllocations["web"] != 0 {
		t.Errorf("failed=%v queued=%v", ev.FailedTGAllocs, ev.QueuedAllocations)
	}

	none := systemJob("none", drover.JobTypeSystem)
	none.Constraints = []*drover.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "windows", Operand: "="}}
	h.UpsertJob(none)
	ev = process(t, h, none)
	m := ev.FailedTGAllocs["web"]
	if m == nil {
		t.Fatalf("no failure recorded for a group no node accepts")
	}
	if m.NodesEvaluated != 4 || m.NodesFiltered != 4 || m.ConstraintFiltered["${attr.kernel.name} = windows"] != 4 || m.NodesInPool != 4 {
		t.Errorf("metric %+v", m)
	}
	if len(h.CreatedEvals) != 0 {
		t.Errorf("filtered nodes created a blocked eval")
	}
}

func TestSystemExhaustedNodeBlocks(t *testing.T) {
	h := schedtest.New()
	nodes := schedtest.Nodes(3)
	nodes[2].NodeResources.Memory.MemoryMB = 100
	for _, n := range nodes {
		h.UpsertNode(n)
	}
	job := systemJob("sys", drover.JobTypeSystem)
	h.UpsertJob(job)
	ev := process(t, h, job)
	if got := byNode(h, job); len(got) != 2 || got["node-002"] != nil {
		t.Fatalf("allocs by node = %v", got)
	}
	m := ev.FailedTGAllocs["web"]
	if m == nil || m.NodesExhausted != 1 || m.DimensionExhausted[feasible.DimMemory] != 1 || ev.QueuedAllocations["web"] != 1 {
		t.Fatalf("failed=%+v queued=%v", m, ev.QueuedAllocations)
	}
	if len(h.CreatedEvals) != 1 || h.CreatedEvals[0].Status != drover.EvalStatusBlocked || ev.BlockedEval != h.CreatedEvals[0].ID {
		t.Fatalf("created evals %v, want one blocked eval", h.CreatedEvals)
	}
	// Only capacity on the node that lacked memory can help: the blocked
	// evaluation names it.
	if got := h.CreatedEvals[0].BlockedNodes; len(got) != 1 || got[0] != "node-002" {
		t.Fatalf("blocked nodes %v, want [node-002]", got)
	}
}

func TestSystemUpdateInPlaceThenDestructive(t *testing.T) {
	h := cluster(t, 3)
	job := systemJob("sys", drover.JobTypeSystem)
	h.UpsertJob(job)
	process(t, h, job)
	orig := byNode(h, job)

	// Only services changed: the allocations keep running, new version.
	v1 := *job
	v1.Version = 1
	v1.TaskGroups = []*drover.TaskGroup{ptrCopy(job.TaskGroups[0])}
	v1.TaskGroups[0].Services = []*drover.Service{{Name: "web"}}
	h.UpsertJob(&v1)
	process(t, h, &v1)
	for id, as := range byNode(h, job) {
		if len(as) != 1 || as[0].ID != orig[id][0].ID || as[0].Job.Version != 1 {
			t.Errorf("node %s after in-place update: %d allocs, version %d", id, len(as), as[0].Job.Version)
		}
	}

	// The task changed: each node's allocation is replaced on that node.
	v2 := v1
	v2.Version = 2
	v2.Meta = map[string]string{"v": "2"}
	h.UpsertJob(&v2)
	process(t, h, &v2)
	now := byNode(h, job)
	if len(now) != 3 {
		t.Fatalf("%d nodes hold allocs, want 3", len(now))
	}
	for id, as := range now {
		a := as[0]
		if len(as) != 1 || a.ID == orig[id][0].ID || a.PreviousAllocation != orig[id][0].ID || a.Job.Version != 2 {
			t.Errorf("node %s after destructive update: %+v", id, a)
		}
	}
}

func TestSystemStopStopsAll(t *testing.T) {
	h := cluster(t, 3)
	job := systemJob("sys", drover.JobTypeSystem)
	h.UpsertJob(job)
	process(t, h, job)
	stopped := *job
	stopped.Stop = true
	h.UpsertJob(&stopped)
	process(t, h, &stopped)
	if got := byNode(h, job); len(got) != 0 {
		t.Fatalf("live after stop: %v", got)
	}
}

func TestSysbatchCompletedIsNotPlacedAgain(t *testing.T) {
	h := cluster(t, 3)
	job := systemJob("once", drover.JobTypeSysBatch)
	h.UpsertJob(job)
	process(t, h, job)
	got := byNode(h, job)
	done := *got["node-000"][0]
	done.ClientStatus = drover.AllocClientStatusComplete
	failed := *got["node-001"][0]
	failed.ClientStatus = drover.AllocClientStatusFailed
	h.UpsertAllocs(&done, &failed)
	plans := len(h.Plans)
	process(t, h, job)
	if len(h.Plans) != plans {
		t.Fatalf("a completed or failed sysbatch alloc was replaced: %+v", h.Plans[len(h.Plans)-1].NodeAllocation)
	}

	// A new version runs again where the old one completed.
	v1 := *job
	v1.Version = 1
	v1.Meta = map[string]string{"run": "2"}
	h.UpsertJob(&v1)
	process(t, h, &v1)
	var fresh int
	for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
		if a.NodeID == "node-000" && a.Job.Version == 1 && a.ClientStatus == drover.AllocClientStatusPending {
			fresh++
		}
	}
	if fresh != 1 {
		t.Fatalf("node-000 got %d new allocs for the new version, want 1", fresh)
	}
}

// TestPropertySystemOneAllocPerNode runs system jobs through random node
// arrivals, departures, drains and job updates, and checks after every
// evaluation that no node holds two live allocations of one group, no node is
// oversubscribed, and every ready node either holds the group or reported why
// it could not.
func TestPropertySystemOneAllocPerNode(t *testing.T) {
	iterations := 100
	if testing.Short() {
		iterations = 20
	}
	placed, exhausted := 0, 0
	defer func() {
		// The mix must exercise both outcomes, or it proves nothing.
		if placed == 0 || exhausted == 0 {
			t.Errorf("placed %d, exhausted %d: the random mix is too easy or too hard", placed, exhausted)
		}
	}()
	for it := range iterations {
		rng := rand.New(rand.NewPCG(uint64(it), 7))
		h := schedtest.New()
		var nodes []*drover.Node
		addNode := func(i int) {
			n := schedtest.Node(fmt.Sprintf("n%02d", i))
			n.NodeResources.Memory.MemoryMB = int64(256 + rng.IntN(2048))
			n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 20000, 20000+rng.IntN(10)
			n.ReservedResources = &drover.NodeReservedResources{Networks: drover.NodeReservedNetworkResources{ReservedHostPorts: "20001,8080"}}
			nodes = append(nodes, n)
			h.UpsertNode(n)
		}
		for i := range 1 + rng.IntN(5) {
			addNode(i)
		}
		var jobs []*drover.Job
		for j := range 1 + rng.IntN(3) {
			job := randomJob(rng, fmt.Sprintf("sys%d", j))
			job.Type = drover.JobTypeSystem
			if rng.IntN(3) == 0 {
				job.Type = drover.JobTypeSysBatch
			}
			job.TaskGroups[0].Count = 1
			jobs = append(jobs, job)
			h.UpsertJob(job)
		}
		for step := range 8 {
			switch rng.IntN(4) {
			case 0:
				addNode(len(nodes))
			case 1:
				c := *nodes[rng.IntN(len(nodes))]
				c.Drain = !c.Drain
				h.UpsertNode(&c)
			case 2:
				c := *nodes[rng.IntN(len(nodes))]
				c.Status = drover.NodeStatusDown
				h.UpsertNode(&c)
			case 3:
				i := rng.IntN(len(jobs))
				next := randomJob(rng, jobs[i].ID)
				next.Type, next.Version = jobs[i].Type, jobs[i].Version+1
				next.TaskGroups[0].Count = 1
				jobs[i] = next
				h.UpsertJob(next)
			}
			for _, job := range jobs {
				ev := process(t, h, job)
				checkOnePerNode(t, it, step, h, job, ev)
				if m := ev.FailedTGAllocs["web"]; m != nil {
					exhausted += m.NodesExhausted
				}
			}
			placed += checkInvariants(t, it, h, nodes)
			if t.Failed() {
				return
			}
		}
	}
}

func checkOnePerNode(t *testing.T, it, step int, h *schedtest.Harness, job *drover.Job, ev *drover.Evaluation) {
	t.Helper()
	held := map[string]int{}
	for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
		if a.ClientTerminal() {
			continue
		}
		held[a.NodeID]++
		if held[a.NodeID] > 1 {
			t.Errorf("iteration %d step %d: job %s has two allocs on node %s", it, step, job.ID, a.NodeID)
		}
	}
	nodes, _ := h.Nodes()
	missing := 0
	for _, n := range nodes {
		if n.Ready() && held[n.ID] == 0 {
			missing++
		}
	}
	// The random mix has no constraints: a ready node without the group
	// must have lacked resources for it.
	if m := ev.FailedTGAllocs["web"]; missing > 0 && (m == nil || m.NodesExhausted < missing) {
		t.Errorf("iteration %d step %d: job %s misses %d ready nodes unexplained", it, step, job.ID, missing)
	}
}
