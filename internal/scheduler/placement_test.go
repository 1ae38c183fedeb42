package scheduler_test

import (
	"fmt"
	"testing"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler"
	"github.com/drover-sh/drover/internal/scheduler/reconcile"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

func TestConstraintsPickMatchingNodes(t *testing.T) {
	// Node i has kernel.version 4.i.0, meta rack r<i%2>, class c<i>.
	mk := func() *schedtest.Harness {
		h := schedtest.New()
		for i, n := range schedtest.Nodes(4) {
			n.Attributes["kernel.version"] = fmt.Sprintf("4.%d.0", i)
			n.Attributes["features"] = "sse,avx"
			if i == 3 {
				n.Attributes["features"] = "sse"
				n.Attributes["gpu"] = "yes"
			}
			n.Meta["rack"] = fmt.Sprintf("r%d", i%2)
			n.NodeClass = fmt.Sprintf("c%d", i)
			h.UpsertNode(n)
		}
		return h
	}
	tests := []struct {
		c    drover.Constraint
		want []string // node IDs that may be chosen
	}{
		{drover.Constraint{LTarget: "${meta.rack}", Operand: "=", RTarget: "r1"}, []string{"node-001", "node-003"}},
		{drover.Constraint{LTarget: "${meta.rack}", Operand: "==", RTarget: "r0"}, []string{"node-000", "node-002"}},
		{drover.Constraint{LTarget: "${node.class}", Operand: "is", RTarget: "c2"}, []string{"node-002"}},
		{drover.Constraint{LTarget: "${node.unique.id}", Operand: "!=", RTarget: "node-000"}, []string{"node-001", "node-002", "node-003"}},
		{drover.Constraint{LTarget: "${node.unique.name}", Operand: "regexp", RTarget: "node-00[12]$"}, []string{"node-001", "node-002"}},
		{drover.Constraint{LTarget: "${attr.kernel.version}", Operand: "version", RTarget: ">= 4.2, < 5"}, []string{"node-002", "node-003"}},
		{drover.Constraint{LTarget: "${attr.gpu}", Operand: "is_set"}, []string{"node-003"}},
		{drover.Constraint{LTarget: "${attr.gpu}", Operand: "is_not_set"}, []string{"node-000", "node-001", "node-002"}},
		{drover.Constraint{LTarget: "${attr.features}", Operand: "set_contains", RTarget: "avx,sse"}, []string{"node-000", "node-001", "node-002"}},
		{drover.Constraint{LTarget: "${node.datacenter}", Operand: "=", RTarget: "dc1"}, []string{"node-000", "node-001", "node-002", "node-003"}},
		{drover.Constraint{LTarget: "${node.pool}", Operand: "=", RTarget: "default"}, []string{"node-000", "node-001", "node-002", "node-003"}},
	}
	for _, tt := range tests {
		t.Run(tt.c.String(), func(t *testing.T) {
			h := mk()
			job := schedtest.Job("web", len(tt.want))
			c := tt.c
			job.Constraints = []*drover.Constraint{&c}
			h.UpsertJob(job)
			ev := process(t, h, job)
			allowed := map[string]bool{}
			for _, id := range tt.want {
				allowed[id] = true
			}
			allocs := h.LiveAllocs(job.Namespace, job.ID)
			if len(allocs) != len(tt.want) {
				t.Fatalf("placed %d, want %d (failed: %+v)", len(allocs), len(tt.want), ev.FailedTGAllocs["web"])
			}
			for _, a := range allocs {
				if !allowed[a.NodeID] {
					t.Errorf("%s placed on %s, want one of %v", a.Name, a.NodeID, tt.want)
				}
			}
		})
	}
}

func TestConstraintReasonInFailure(t *testing.T) {
	h := cluster(t, 3)
	job := schedtest.Job("win", 1)
	job.Constraints = []*drover.Constraint{{LTarget: "${attr.kernel.name}", Operand: "=", RTarget: "windows"}}
	h.UpsertJob(job)
	ev := process(t, h, job)
	if m := ev.FailedTGAllocs["web"]; m == nil || m.ConstraintFiltered["${attr.kernel.name} = windows"] != 3 {
		t.Fatalf("metric = %+v", m)
	}
}

func TestStaticPortCollisionAndDynamicPorts(t *testing.T) {
	h := cluster(t, 2)
	n0, _ := h.NodeByID("node-000")
	n0.ReservedResources = &drover.NodeReservedResources{Networks: drover.NodeReservedNetworkResources{ReservedHostPorts: "22,8000-8100"}}
	job := schedtest.Job("web", 3)
	job.TaskGroups[0].Networks = []*drover.NetworkResource{{
		ReservedPorts: []drover.Port{{Label: "http", Value: 8080}},
		DynamicPorts:  []drover.Port{{Label: "a"}, {Label: "b", To: 9000}},
	}}
	h.UpsertJob(job)
	ev := process(t, h, job)
	allocs := h.LiveAllocs(job.Namespace, job.ID)
	// node-000 reserves 8080 and node-001 can hold one 8080: one placement.
	if len(allocs) != 1 || allocs[0].NodeID != "node-001" {
		t.Fatalf("placed %d (%v), want 1 on node-001", len(allocs), names(allocs))
	}
	m := ev.FailedTGAllocs["web"]
	if m == nil || m.DimensionExhausted["network: reserved port collision"] != 2 || m.CoalescedFailures != 1 {
		t.Fatalf("metric = %+v", m)
	}
	sh := allocs[0].AllocatedResources.Shared
	if len(sh.Networks) != 1 || sh.Networks[0].IP != "10.0.0.1" || len(sh.Ports) != 3 {
		t.Fatalf("shared = %+v", sh)
	}
	for _, p := range sh.Networks[0].DynamicPorts {
		if p.Value < drover.DefaultMinDynamicPort || p.Value > drover.DefaultMaxDynamicPort {
			t.Errorf("dynamic port %v out of range", p)
		}
	}

	// Dynamic ports only: many allocs on few nodes never share a port.
	h2 := cluster(t, 2)
	for _, n := range schedtest.Nodes(2) {
		n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 30000, 30011
		h2.UpsertNode(n)
	}
	dyn := schedtest.Job("dyn", 6)
	dyn.TaskGroups[0].Tasks[0].Resources.CPU = 100
	dyn.TaskGroups[0].Tasks[0].Resources.Networks = []*drover.NetworkResource{{DynamicPorts: []drover.Port{{Label: "x"}, {Label: "y"}}}}
	dyn.TaskGroups[0].Networks = []*drover.NetworkResource{{DynamicPorts: []drover.Port{{Label: "z"}}}}
	h2.UpsertJob(dyn)
	ev = process(t, h2, dyn)
	allocs = h2.LiveAllocs(dyn.Namespace, dyn.ID)
	// 12 ports per node, 3 per alloc: 4 allocs per node fit.
	if len(allocs) != 6 {
		t.Fatalf("placed %d, failed %+v", len(allocs), ev.FailedTGAllocs)
	}
	seen := map[string]bool{}
	for _, a := range allocs {
		var ports []int
		for _, n := range a.AllocatedResources.Tasks["server"].Networks {
			for _, p := range n.DynamicPorts {
				ports = append(ports, p.Value)
			}
		}
		for _, p := range a.AllocatedResources.Shared.Ports {
			ports = append(ports, p.Value)
		}
		if len(ports) != 3 {
			t.Fatalf("%s has ports %v, want 3", a.Name, ports)
		}
		for _, p := range ports {
			k := fmt.Sprintf("%s:%d", a.NodeID, p)
			if seen[k] || p < 30000 || p > 30011 {
				t.Errorf("port %s reused or out of range", k)
			}
			seen[k] = true
		}
	}
	// Room is left for exactly two more: the ninth fails on both nodes.
	more := *dyn
	more.TaskGroups = []*drover.TaskGroup{ptrCopy(dyn.TaskGroups[0])}
	more.TaskGroups[0].Count = 9
	keepVersion(h2, dyn, &more)
	ev = process(t, h2, &more)
	if n := len(h2.LiveAllocs(dyn.Namespace, dyn.ID)); n != 8 {
		t.Fatalf("placed %d in all, want 8", n)
	}
	if m := ev.FailedTGAllocs["web"]; m == nil || m.DimensionExhausted["network: dynamic port selection failed"] != 2 {
		t.Fatalf("metric = %+v", ev.FailedTGAllocs["web"])
	}
}

func TestNetworkWithoutPortsGetsTheNodeIP(t *testing.T) {
	h := cluster(t, 1)
	job := schedtest.Job("web", 1)
	job.TaskGroups[0].Tasks[0].Resources.Networks = []*drover.NetworkResource{{Mode: "host", MBits: 10}}
	h.UpsertJob(job)
	process(t, h, job)
	allocs := h.LiveAllocs(job.Namespace, job.ID)
	if len(allocs) != 1 {
		t.Fatalf("placed %d", len(allocs))
	}
	nets := allocs[0].AllocatedResources.Tasks["server"].Networks
	if len(nets) != 1 || nets[0].IP != "10.0.0.0" || nets[0].Mode != "host" || nets[0].MBits != 10 {
		t.Fatalf("task networks = %+v", nets)
	}
}

func TestLostAllocsAreReplaced(t *testing.T) {
	h := cluster(t, 4)
	job := schedtest.Job("web", 4)
	h.UpsertJob(job)
	process(t, h, job)
	allocs := h.LiveAllocs(job.Namespace, job.ID)
	down, _ := h.NodeByID(allocs[0].NodeID)
	d := *down
	d.Status = drover.NodeStatusDown
	h.UpsertNode(&d)
	h.DeleteNode(allocs[1].NodeID) // gone entirely
	lost := map[string]string{allocs[0].ID: allocs[0].Name, allocs[1].ID: allocs[1].Name}

	ev := schedtest.Eval(job)
	ev.TriggeredBy = drover.EvalTriggerNodeUpdate
	processEval(t, h, ev)
	plan := h.Plans[len(h.Plans)-1]
	stops := 0
	for _, as := range plan.NodeUpdate {
		for _, a := range as {
			stops++
			if a.ClientStatus != drover.AllocClientStatusLost || a.DesiredDescription != reconcile.DescLost || a.NextAllocation == "" {
				t.Errorf("stop of %s: client %s desc %q next %q", a.Name, a.ClientStatus, a.DesiredDescription, a.NextAllocation)
			}
		}
	}
	if stops != 2 {
		t.Fatalf("%d stops, want 2", stops)
	}
	live := h.LiveAllocs(job.Namespace, job.ID)
	if len(live) != 4 {
		t.Fatalf("%d live, want 4", len(live))
	}
	replaced := 0
	for _, a := range live {
		if name, ok := lost[a.PreviousAllocation]; ok {
			replaced++
			if name != a.Name || a.NodeID == d.ID || a.NodeID == allocs[1].NodeID {
				t.Errorf("replacement %s on %s for %s", a.Name, a.NodeID, name)
			}
		}
	}
	if replaced != 2 {
		t.Errorf("%d replacements, want 2", replaced)
	}
}

func TestPartialCommitIsReplanned(t *testing.T) {
	h := cluster(t, 5)
	job := schedtest.Job("web", 4)
	h.UpsertJob(job)
	// The first plan commits only one allocation.
	h.InjectPartialCommit(func(plan *drover.Plan, attempt int) *drover.PlanResult {
		if attempt != 1 {
			return nil
		}
		for node, as := range plan.NodeAllocation {
			return &drover.PlanResult{NodeAllocation: map[string][]*drover.Allocation{node: as[:1]}}
		}
		return nil
	})
	ev := process(t, h, job)
	if len(h.Plans) != 2 || ev.Status != drover.EvalStatusComplete {
		t.Fatalf("%d plans, status %s; want 2 plans, complete", len(h.Plans), ev.Status)
	}
	second := 0
	for _, as := range h.Plans[1].NodeAllocation {
		second += len(as)
	}
	if second != 3 {
		t.Errorf("second plan places %d, want the 3 left", second)
	}
	if got := names(h.LiveAllocs(job.Namespace, job.ID)); len(got) != 4 || got[3] != "web.web[3]" {
		t.Errorf("live = %v", got)
	}
}

func TestPlanAttemptsExhaustedFailsEval(t *testing.T) {
	h := cluster(t, 2)
	job := schedtest.Job("web", 2)
	h.UpsertJob(job)
	h.InjectPartialCommit(func(*drover.Plan, int) *drover.PlanResult { return &drover.PlanResult{} })
	ev := process(t, h, job)
	if ev.Status != drover.EvalStatusFailed || ev.StatusDescription == "" || len(h.Plans) != scheduler.MaxPlanAttempts {
		t.Fatalf("status %s %q after %d plans", ev.Status, ev.StatusDescription, len(h.Plans))
	}
}

func TestDrainingAndIneligibleNodesGetNothing(t *testing.T) {
	h := schedtest.New()
	for i, n := range schedtest.Nodes(3) {
		switch i {
		case 0:
			n.Drain = true
		case 1:
			n.SchedulingEligibility = drover.NodeIneligible
		}
		h.UpsertNode(n)
	}
	job := schedtest.Job("web", 2)
	h.UpsertJob(job)
	process(t, h, job)
	for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
		if a.NodeID != "node-002" {
			t.Errorf("%s on %s", a.Name, a.NodeID)
		}
	}
}

func TestUpdateOnFullClusterReusesFreedResources(t *testing.T) {
	h := cluster(t, 2)
	job := schedtest.Job("big", 2)
	job.TaskGroups[0].Tasks[0].Resources.CPU = 3000
	h.UpsertJob(job)
	process(t, h, job)
	v2 := *job
	v2.Version = 1
	h.UpsertJob(&v2)
	ev := process(t, h, &v2)
	if len(ev.FailedTGAllocs) != 0 {
		t.Fatalf("update failed: %+v", ev.FailedTGAllocs["web"])
	}
	live := h.LiveAllocs(job.Namespace, job.ID)
	if len(live) != 2 || live[0].NodeID == live[1].NodeID || live[0].Job.Version != 1 {
		t.Fatalf("live = %v", names(live))
	}
}

func TestSeveralGroups(t *testing.T) {
	h := cluster(t, 3)
	job := schedtest.Job("app", 2)
	cache := *job.TaskGroups[0]
	cache.Name, cache.Count = "cache", 1
	job.TaskGroups = append(job.TaskGroups, &cache)
	h.UpsertJob(job)
	ev := process(t, h, job)
	got := names(h.LiveAllocs(job.Namespace, job.ID))
	want := map[string]bool{"app.web[0]": true, "app.web[1]": true, "app.cache[0]": true}
	if len(got) != 3 || ev.QueuedAllocations["cache"] != 0 || ev.QueuedAllocations["web"] != 0 {
		t.Fatalf("names %v queued %v", got, ev.QueuedAllocations)
	}
	for _, n := range got {
		if !want[n] {
			t.Errorf("unexpected alloc %s", n)
		}
	}
	// Removing a group stops its allocations.
	one := *job
	one.TaskGroups = job.TaskGroups[:1]
	keepVersion(h, job, &one)
	process(t, h, &one)
	for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
		if a.TaskGroup == "cache" {
			t.Errorf("%s still live after its group was removed", a.Name)
		}
	}
}
