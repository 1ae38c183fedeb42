package compat_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"
)

// shapeStatus returns the HTTP status of an error Nomad's client returned
// for a non-2xx answer (0 when err carries none).
func shapeStatus(err error) int {
	var ue nomad.UnexpectedResponseError
	if errors.As(err, &ue) && ue.HasStatusCode() {
		return ue.StatusCode()
	}
	var uep *nomad.UnexpectedResponseError
	if errors.As(err, &uep) && uep.HasStatusCode() {
		return uep.StatusCode()
	}
	return 0
}

// shapeWantError fails unless err is an answer with status code whose text
// contains every one of words.
func shapeWantError(t *testing.T, what string, err error, code int, words ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want status %d", what, code)
	}
	if got := shapeStatus(err); got != code {
		t.Fatalf("%s: status %d (%v), want %d", what, got, err, code)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("%s: error %q does not say %q", what, err, w)
		}
	}
}

// shapeMockJob returns a one-group service job whose task runs on the mock
// driver for an hour, built with Nomad's own job types as its users do.
func shapeMockJob(id string) *nomad.Job {
	job := nomad.NewServiceJob(id, id, "global", 50)
	job.Datacenters = []string{"dc1"}
	task := nomad.NewTask("main", "mock").SetConfig("run_for", "1h")
	cpu, mem := 100, 32
	task.Require(&nomad.Resources{CPU: &cpu, MemoryMB: &mem})
	job.AddTaskGroup(nomad.NewTaskGroup("web", 1).AddTask(task))
	return job
}

// shapeRunJob registers job and waits until its allocation runs; it
// returns the registration's evaluation ID and the allocation.
func shapeRunJob(t *testing.T, d *devAgent, job *nomad.Job) (string, *nomad.AllocationListStub) {
	t.Helper()
	resp, _, err := d.api.Jobs().Register(job, nil)
	if err != nil {
		t.Fatalf("register %s: %v", *job.ID, err)
	}
	var last []*nomad.AllocationListStub
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		allocs, _, err := d.api.Jobs().Allocations(*job.ID, false, nil)
		if err != nil {
			t.Fatalf("job allocations: %v", err)
		}
		for _, a := range allocs {
			if a.ClientStatus == "running" {
				return resp.EvalID, a
			}
		}
		last = allocs
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("job %s: no running allocation within 30s (last: %d allocations)", *job.ID, len(last))
	return "", nil
}

// TestShapesQueryMeta: every read carries X-Nomad-Index,
// X-Nomad-KnownLeader and X-Nomad-LastContact, which Nomad's client decodes
// into QueryMeta: the index of what was read, a known leader, and no
// contact delay on the leader itself.
func TestShapesQueryMeta(t *testing.T) {
	d := startDevAgent(t)
	nodeID := d.agent.Client().NodeID()
	nodes, qm, err := d.api.Nodes().List(nil)
	if err != nil {
		t.Fatal(err)
	}
	if qm.LastIndex == 0 || qm.LastIndex < nodes[0].ModifyIndex || !qm.KnownLeader || qm.LastContact != 0 {
		t.Fatalf("Nodes().List() QueryMeta = %+v, want an index >= %d, a known leader, LastContact 0", qm, nodes[0].ModifyIndex)
	}
	reads := map[string]func() (*nomad.QueryMeta, error){
		"Nodes().Info":        func() (*nomad.QueryMeta, error) { _, qm, err := d.api.Nodes().Info(nodeID, nil); return qm, err },
		"Nodes().Allocations": func() (*nomad.QueryMeta, error) { _, qm, err := d.api.Nodes().Allocations(nodeID, nil); return qm, err },
		"Evaluations().List":  func() (*nomad.QueryMeta, error) { _, qm, err := d.api.Evaluations().List(nil); return qm, err },
		"Allocations().List":  func() (*nomad.QueryMeta, error) { _, qm, err := d.api.Allocations().List(nil); return qm, err },
		"Jobs().List":         func() (*nomad.QueryMeta, error) { _, qm, err := d.api.Jobs().List(nil); return qm, err },
		"Operator().SchedulerGetConfiguration": func() (*nomad.QueryMeta, error) {
			_, qm, err := d.api.Operator().SchedulerGetConfiguration(nil)
			return qm, err
		},
	}
	for name, read := range reads {
		qm, err := read()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if qm.LastIndex == 0 || !qm.KnownLeader {
			t.Errorf("%s: QueryMeta %+v, want an index and a known leader", name, qm)
		}
	}
}

// TestShapesBlockingQuery: a read with WaitIndex blocks until what it reads
// changes past that index, then answers the new state and index; with
// nothing changing it answers the same index when WaitTime runs out.
func TestShapesBlockingQuery(t *testing.T) {
	d := startDevAgent(t)
	nodeID := d.agent.Client().NodeID()
	_, qm, err := d.api.Nodes().List(nil)
	if err != nil {
		t.Fatal(err)
	}
	start := qm.LastIndex

	// Nothing changes: the wait runs out and the index is the same. (Should
	// the client write something meanwhile, the answer comes early, at a
	// newer index.)
	const wait = 50 * time.Millisecond
	began := time.Now()
	_, qm, err = d.api.Nodes().List(&nomad.QueryOptions{WaitIndex: start, WaitTime: wait})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); qm.LastIndex < start || (qm.LastIndex == start && took < wait) {
		t.Fatalf("List(WaitIndex %d, WaitTime %v) answered index %d after %v: want the same index after the wait, or a newer one",
			start, wait, qm.LastIndex, took)
	}
	start = qm.LastIndex

	type answer struct {
		nodes []*nomad.NodeListStub
		node  *nomad.Node
		qm    *nomad.QueryMeta
		err   error
	}
	list, info := make(chan answer, 1), make(chan answer, 1)
	go func() {
		nodes, qm, err := d.api.Nodes().List(&nomad.QueryOptions{WaitIndex: start, WaitTime: time.Minute})
		list <- answer{nodes: nodes, qm: qm, err: err}
	}()
	go func() {
		node, qm, err := d.api.Nodes().Info(nodeID, &nomad.QueryOptions{WaitIndex: start, WaitTime: time.Minute})
		info <- answer{node: node, qm: qm, err: err}
	}()
	resp, err := d.api.Nodes().ToggleEligibility(nodeID, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The answers show the change: had they not blocked, they would show
	// the node eligible at the start index.
	for _, c := range []chan answer{list, info} {
		select {
		case a := <-c:
			if a.err != nil {
				t.Fatal(a.err)
			}
			if a.qm.LastIndex < resp.NodeModifyIndex {
				t.Fatalf("blocking read answered at index %d, before the change at %d", a.qm.LastIndex, resp.NodeModifyIndex)
			}
			eligibility := ""
			if a.node != nil {
				eligibility = a.node.SchedulingEligibility
			} else if len(a.nodes) == 1 {
				eligibility = a.nodes[0].SchedulingEligibility
			}
			if eligibility != "ineligible" {
				t.Fatalf("blocking read answered eligibility %q, want the change (ineligible)", eligibility)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("blocking read did not wake within 30s of the change")
		}
	}
}

// TestShapesStaleRegionNamespace: stale reads, the agent's own region and
// any namespace are accepted; another region is refused, not answered from
// this one. Namespaces need no creating: objects without one (nodes) ignore
// it, a namespace with no jobs lists none.
func TestShapesStaleRegionNamespace(t *testing.T) {
	d := startDevAgent(t)
	nodeID := d.agent.Client().NodeID()
	shapeRunJob(t, d, shapeMockJob("ns-web"))

	for _, q := range []*nomad.QueryOptions{
		{AllowStale: true},
		{Region: "global"},
		{Namespace: "default"},
		{Namespace: "other"},
		{AllowStale: true, Region: "global", Namespace: "default"},
	} {
		nodes, _, err := d.api.Nodes().List(q)
		if err != nil || len(nodes) != 1 || nodes[0].ID != nodeID {
			t.Fatalf("Nodes().List(%+v) = %v, %v; want the node", q, nodes, err)
		}
	}
	jobs, _, err := d.api.Jobs().List(&nomad.QueryOptions{Namespace: "default", AllowStale: true})
	if err != nil || len(jobs) != 1 || jobs[0].ID != "ns-web" {
		t.Fatalf("Jobs().List(default) = %v, %v; want ns-web", jobs, err)
	}
	jobs, _, err = d.api.Jobs().List(&nomad.QueryOptions{Namespace: "other"})
	if err != nil || len(jobs) != 0 {
		t.Fatalf("Jobs().List(other) = %v, %v; want none", jobs, err)
	}

	_, _, err = d.api.Nodes().List(&nomad.QueryOptions{Region: "mars"})
	shapeWantError(t, "Nodes().List(region mars)", err, http.StatusBadRequest, "mars", "does not federate")
	_, err = d.api.Nodes().ToggleEligibility(nodeID, false, &nomad.WriteOptions{Region: "mars"})
	shapeWantError(t, "ToggleEligibility(region mars)", err, http.StatusBadRequest, "mars")
	// A token is accepted (drover has no ACLs: it is ignored).
	withToken, err := nomad.NewClient(&nomad.Config{Address: d.addr, SecretID: "c0ffee00-0000-0000-0000-000000000000"})
	if err != nil {
		t.Fatal(err)
	}
	if nodes, _, err := withToken.Nodes().List(nil); err != nil || len(nodes) != 1 {
		t.Fatalf("Nodes().List() with a token = %v, %v; want the node", nodes, err)
	}
	// A client configured for another region is refused the same way.
	mars, err := nomad.NewClient(&nomad.Config{Address: d.addr, Region: "mars"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = mars.Evaluations().List(nil)
	shapeWantError(t, "a client of region mars", err, http.StatusBadRequest, "mars")
}

// TestShapesErrorStatuses: the client reports errors by their HTTP status,
// with drover's message: 404 for an unknown ID or path, 400 for bad input,
// 403 for what the cluster refuses, 405 for a wrong method.
func TestShapesErrorStatuses(t *testing.T) {
	d := startDevAgent(t)
	nodeID := d.agent.Client().NodeID()
	const unknown = "00000000-0000-0000-0000-000000000000"

	_, _, err := d.api.Nodes().Info(unknown, nil)
	shapeWantError(t, "unknown node", err, http.StatusNotFound, "node not found")
	// The body is the message itself, as from Nomad's agents, so the
	// client's error reads as Nomad's would.
	if err == nil || err.Error() != "Unexpected response code: 404 (node not found)" {
		t.Errorf("unknown node: error %q, want %q", err, "Unexpected response code: 404 (node not found)")
	}
	_, _, err = d.api.Evaluations().Info(unknown, nil)
	shapeWantError(t, "unknown evaluation", err, http.StatusNotFound, "not found")
	_, err = d.api.Raw().Query("/v1/no/such/thing", nil, nil)
	shapeWantError(t, "unknown path", err, http.StatusNotFound, "no such API path", "/v1/no/such/thing")

	for _, p := range []map[string]string{{"index": "soon"}, {"wait": "forever"}, {"stale": "perhaps"}} {
		_, _, err = d.api.Nodes().List(&nomad.QueryOptions{Params: p})
		shapeWantError(t, "bad query parameter", err, http.StatusBadRequest)
	}
	_, err = d.api.Raw().Write("/v1/node/"+nodeID+"/eligibility", map[string]string{"Eligibility": "maybe"}, nil, nil)
	shapeWantError(t, "bad eligibility", err, http.StatusBadRequest, "maybe")

	_, err = d.api.Raw().Delete("/v1/nodes", nil, nil)
	shapeWantError(t, "DELETE /v1/nodes", err, http.StatusMethodNotAllowed, "DELETE")

	if _, _, err := d.api.Operator().SchedulerSetConfiguration(&nomad.SchedulerConfiguration{
		SchedulerAlgorithm: nomad.SchedulerAlgorithmBinpack, RejectJobRegistration: true,
	}, nil); err != nil {
		t.Fatal(err)
	}
	_, _, err = d.api.Jobs().Register(shapeMockJob("refused"), nil)
	shapeWantError(t, "registration while refused", err, http.StatusForbidden, "RejectJobRegistration")
}
