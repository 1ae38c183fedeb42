package compat_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"
)

// TestNodesListAndInfo: the node list, by prefix too, and one node's
// record decode with the values drover holds, driver fingerprint times as
// RFC 3339 instants included.
func TestNodesListAndInfo(t *testing.T) {
	d := startDevAgent(t)
	nodeID := d.agent.Client().NodeID()
	start := time.Now()

	nodes, qm, err := d.api.Nodes().List(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 1 {
		t.Fatalf("Nodes().List() = %d nodes, want 1", len(nodes))
	}
	n := nodes[0]
	if n.ID != nodeID || n.Datacenter != "dc1" || n.Status != "ready" || n.SchedulingEligibility != "eligible" || n.Drain {
		t.Fatalf("node stub = %+v, want ID %s in dc1, ready, eligible, not draining", n, nodeID)
	}
	if n.Name == "" || n.Address == "" || n.NodePool == "" {
		t.Fatalf("node stub lacks Name %q, Address %q or NodePool %q", n.Name, n.Address, n.NodePool)
	}
	if n.CreateIndex == 0 || n.ModifyIndex < n.CreateIndex {
		t.Fatalf("node stub indexes Create %d Modify %d", n.CreateIndex, n.ModifyIndex)
	}
	mock := n.Drivers["mock"]
	if mock == nil || !mock.Detected || !mock.Healthy {
		t.Fatalf("node stub Drivers[mock] = %+v, want detected and healthy", mock)
	}
	if age := start.Sub(mock.UpdateTime); mock.UpdateTime.IsZero() || age > time.Hour || age < -time.Hour {
		t.Fatalf("Drivers[mock].UpdateTime = %v, want about now (%v)", mock.UpdateTime, start)
	}
	if qm.LastIndex < n.ModifyIndex || !qm.KnownLeader {
		t.Fatalf("QueryMeta = %+v, want LastIndex >= %d and a known leader", qm, n.ModifyIndex)
	}

	if n.NodeResources != nil || n.Attributes != nil {
		t.Fatalf("plain list stub carries NodeResources %+v, Attributes %v", n.NodeResources, n.Attributes)
	}
	full, _, err := d.api.Nodes().List(&nomad.QueryOptions{Params: map[string]string{"resources": "true", "os": "true"}})
	if err != nil || len(full) != 1 {
		t.Fatalf("List(resources, os) = %v, %v", full, err)
	}
	if r := full[0].NodeResources; r == nil || r.Cpu.CpuShares <= 0 || r.Memory.MemoryMB <= 0 {
		t.Fatalf("List(resources=true) stub NodeResources = %+v", r)
	}
	if full[0].Attributes["os.name"] == "" || len(full[0].Attributes) != 2 {
		t.Fatalf("List(os=true) stub Attributes = %v, want os.name and os.version", full[0].Attributes)
	}

	byPrefix, _, err := d.api.Nodes().PrefixList(nodeID[:4])
	if err != nil || len(byPrefix) != 1 || byPrefix[0].ID != nodeID {
		t.Fatalf("PrefixList(%q) = %v, %v; want the node", nodeID[:4], byPrefix, err)
	}
	other := "0"
	if strings.HasPrefix(nodeID, "0") {
		other = "1"
	}
	none, _, err := d.api.Nodes().PrefixList(other)
	if err != nil || len(none) != 0 {
		t.Fatalf("PrefixList(%q) = %v, %v; want no nodes", other, none, err)
	}

	node, qm, err := d.api.Nodes().Info(nodeID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if node.ID != nodeID || node.Name != n.Name || node.Datacenter != "dc1" || node.Status != "ready" || node.HTTPAddr == "" {
		t.Fatalf("Info() = %+v", node)
	}
	if node.Attributes["kernel.name"] == "" || node.Attributes["driver.mock"] != "1" {
		t.Fatalf("Info().Attributes lack kernel.name or driver.mock: %v", node.Attributes)
	}
	if r := node.NodeResources; r == nil || r.Cpu.CpuShares <= 0 || r.Memory.MemoryMB <= 0 || r.MinDynamicPort == 0 || r.MaxDynamicPort <= r.MinDynamicPort {
		t.Fatalf("Info().NodeResources = %+v", node.NodeResources)
	}
	if at := time.Unix(node.StatusUpdatedAt, 0); start.Sub(at) > time.Hour || at.Sub(start) > time.Hour {
		t.Fatalf("Info().StatusUpdatedAt = %d (%v), want unix seconds of about now", node.StatusUpdatedAt, at)
	}
	if d := node.Drivers["mock"]; d == nil || d.UpdateTime.IsZero() {
		t.Fatalf("Info().Drivers[mock] = %+v", d)
	}
	if node.DrainStrategy != nil || node.LastDrain != nil {
		t.Fatalf("a node never drained has DrainStrategy %+v, LastDrain %+v", node.DrainStrategy, node.LastDrain)
	}
	if qm.LastIndex != node.ModifyIndex {
		t.Fatalf("Info() LastIndex %d, want the node's ModifyIndex %d", qm.LastIndex, node.ModifyIndex)
	}

	_, _, err = d.api.Nodes().Info("00000000-0000-0000-0000-000000000000", nil)
	shapeWantError(t, "Info(unknown node)", err, http.StatusNotFound, "node not found")
}

// TestNodesAllocations: a node's allocations decode as Nomad's full
// Allocation records.
func TestNodesAllocations(t *testing.T) {
	d := startDevAgent(t)
	nodeID := d.agent.Client().NodeID()
	evalID, stub := shapeRunJob(t, d, shapeMockJob("node-allocs"))

	allocs, qm, err := d.api.Nodes().Allocations(nodeID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(allocs) != 1 {
		t.Fatalf("Nodes().Allocations() = %d allocations, want 1", len(allocs))
	}
	a := allocs[0]
	if a.ID != stub.ID || a.NodeID != nodeID || a.JobID != "node-allocs" || a.EvalID != evalID || a.TaskGroup != "web" {
		t.Fatalf("allocation = ID %s Node %s Job %s Eval %s Group %s; want %s on %s of node-allocs by %s",
			a.ID, a.NodeID, a.JobID, a.EvalID, a.TaskGroup, stub.ID, nodeID, evalID)
	}
	if a.Job == nil || *a.Job.ID != "node-allocs" {
		t.Fatalf("allocation's Job = %+v", a.Job)
	}
	if qm.LastIndex < a.ModifyIndex {
		t.Fatalf("LastIndex %d below the allocation's ModifyIndex %d", qm.LastIndex, a.ModifyIndex)
	}

	none, _, err := d.api.Nodes().Allocations("00000000-0000-0000-0000-000000000000", nil)
	if err != nil || len(none) != 0 {
		t.Fatalf("Allocations(unknown node) = %v, %v; want an empty list", none, err)
	}
}

// TestNodesDrain: a drain with a DrainSpec and meta shows in the node as
// Nomad's DrainStrategy (Deadline in nanoseconds, times as instants) and
// LastDrain; cancelling it with MarkEligible makes the node eligible again.
// A batch allocation, left alone until the deadline, keeps the drain going.
func TestNodesDrain(t *testing.T) {
	d := startDevAgent(t)
	nodeID := d.agent.Client().NodeID()
	job := shapeMockJob("drain-batch")
	batch := "batch"
	job.Type = &batch
	shapeRunJob(t, d, job)
	before := time.Now()

	resp, err := d.api.Nodes().UpdateDrainOpts(nodeID, &nomad.DrainOptions{
		DrainSpec: &nomad.DrainSpec{Deadline: time.Hour, IgnoreSystemJobs: true},
		Meta:      map[string]string{"reason": "kernel upgrade"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.NodeModifyIndex == 0 || resp.LastIndex < resp.NodeModifyIndex {
		t.Fatalf("drain response = %+v, want NodeModifyIndex and the write's index", resp)
	}
	node, _, err := d.api.Nodes().Info(nodeID, nil)
	if err != nil {
		t.Fatal(err)
	}
	ds := node.DrainStrategy
	if !node.Drain || ds == nil || node.SchedulingEligibility != "ineligible" {
		t.Fatalf("draining node: Drain %v, DrainStrategy %+v, eligibility %q", node.Drain, ds, node.SchedulingEligibility)
	}
	if ds.Deadline != time.Hour || !ds.IgnoreSystemJobs {
		t.Fatalf("DrainStrategy = %+v, want Deadline 1h and IgnoreSystemJobs", ds)
	}
	if ds.StartedAt.Before(before.Add(-time.Minute)) || ds.ForceDeadline.Sub(ds.StartedAt) != time.Hour {
		t.Fatalf("DrainStrategy StartedAt %v ForceDeadline %v, want a start about now and the deadline an hour later", ds.StartedAt, ds.ForceDeadline)
	}
	if ld := node.LastDrain; ld == nil || ld.Status != nomad.DrainStatusDraining || ld.Meta["reason"] != "kernel upgrade" || ld.StartedAt.IsZero() {
		t.Fatalf("LastDrain = %+v, want draining with the meta", node.LastDrain)
	}
	stubs, _, err := d.api.Nodes().List(nil)
	if err != nil || len(stubs) != 1 || !stubs[0].Drain || stubs[0].SchedulingEligibility != "ineligible" {
		t.Fatalf("List() while draining = %v, %v", stubs, err)
	}
	if ld := stubs[0].LastDrain; ld == nil || ld.Status != nomad.DrainStatusDraining {
		t.Fatalf("List() stub LastDrain = %+v, want draining", ld)
	}

	if _, err := d.api.Nodes().UpdateDrainOpts(nodeID, &nomad.DrainOptions{
		MarkEligible: true, Meta: map[string]string{"reason": "done"},
	}, nil); err != nil {
		t.Fatal(err)
	}
	node, _, err = d.api.Nodes().Info(nodeID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if node.Drain || node.DrainStrategy != nil || node.SchedulingEligibility != "eligible" {
		t.Fatalf("after cancel: Drain %v, DrainStrategy %+v, eligibility %q", node.Drain, node.DrainStrategy, node.SchedulingEligibility)
	}
	if ld := node.LastDrain; ld == nil || ld.Status != nomad.DrainStatusCanceled || ld.Meta["reason"] != "done" {
		t.Fatalf("LastDrain after cancel = %+v, want canceled with the new meta", node.LastDrain)
	}

	// With nothing left on the node, a drain completes at once: the
	// strategy is cleared, the node stays ineligible.
	if _, _, err := d.api.Jobs().Deregister("drain-batch", true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := d.api.Nodes().UpdateDrain(nodeID, &nomad.DrainSpec{Deadline: time.Minute}, false, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		node, _, err = d.api.Nodes().Info(nodeID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ld := node.LastDrain; ld != nil && ld.Status == nomad.DrainStatusComplete {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("drain of an empty node not complete within 30s: LastDrain %+v", node.LastDrain)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if node.Drain || node.DrainStrategy != nil || node.SchedulingEligibility != "ineligible" {
		t.Fatalf("after a completed drain: Drain %v, DrainStrategy %+v, eligibility %q; want no drain, ineligible",
			node.Drain, node.DrainStrategy, node.SchedulingEligibility)
	}

	_, err = d.api.Nodes().UpdateDrain("00000000-0000-0000-0000-000000000000", &nomad.DrainSpec{Deadline: time.Minute}, false, nil)
	shapeWantError(t, "UpdateDrain(unknown node)", err, http.StatusNotFound, "not found")
}

// TestNodesEligibility: toggling eligibility shows in the node, and an
// unknown node is a 404.
func TestNodesEligibility(t *testing.T) {
	d := startDevAgent(t)
	nodeID := d.agent.Client().NodeID()
	for _, eligible := range []bool{false, true} {
		resp, err := d.api.Nodes().ToggleEligibility(nodeID, eligible, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.NodeModifyIndex == 0 || resp.LastIndex == 0 {
			t.Fatalf("ToggleEligibility(%v) = %+v, want indexes", eligible, resp)
		}
		node, _, err := d.api.Nodes().Info(nodeID, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := map[bool]string{true: "eligible", false: "ineligible"}[eligible]
		if node.SchedulingEligibility != want || node.ModifyIndex != resp.NodeModifyIndex {
			t.Fatalf("after ToggleEligibility(%v): eligibility %q ModifyIndex %d, want %q at %d",
				eligible, node.SchedulingEligibility, node.ModifyIndex, want, resp.NodeModifyIndex)
		}
	}
	_, err := d.api.Nodes().ToggleEligibility("00000000-0000-0000-0000-000000000000", false, nil)
	shapeWantError(t, "ToggleEligibility(unknown node)", err, http.StatusNotFound, "not found")
}

// TestNodesMonitorDrain: Nomad's drain monitor, which the `node drain`
// command runs, follows a forced drain through blocking reads of the node
// and its allocations to its end.
func TestNodesMonitorDrain(t *testing.T) {
	d := startDevAgent(t)
	nodeID := d.agent.Client().NodeID()
	_, alloc := shapeRunJob(t, d, shapeMockJob("monitored"))

	resp, err := d.api.Nodes().UpdateDrain(nodeID, &nomad.DrainSpec{Deadline: -1}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var msgs []string
	for m := range d.api.Nodes().MonitorDrain(ctx, nodeID, resp.LastIndex, false) {
		if m.Level == nomad.MonitorMsgLevelError {
			t.Fatalf("MonitorDrain: %s", m)
		}
		msgs = append(msgs, m.String())
	}
	if ctx.Err() != nil {
		t.Fatalf("MonitorDrain did not end within 30s; messages: %q", msgs)
	}
	for _, want := range []string{
		"Drain complete for node " + nodeID,
		"All allocations on node \"" + nodeID + "\" have stopped",
	} {
		found := false
		for _, m := range msgs {
			found = found || m == want
		}
		if !found {
			t.Fatalf("MonitorDrain messages %q lack %q", msgs, want)
		}
	}
	a, _, err := d.api.Allocations().Info(alloc.ID, nil)
	if err != nil || a.DesiredStatus != "stop" {
		t.Fatalf("drained allocation: %+v, %v; want desired stop", a, err)
	}
}
