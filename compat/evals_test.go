package compat_test

import (
	"net/http"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"
)

// TestEvaluationsListInfoAllocations: the evaluation a registration made
// decodes with its job, trigger, status and times (CreateTime and
// ModifyTime in unix nanoseconds), is listed (by prefix too), and lists the
// allocation it placed.
func TestEvaluationsListInfoAllocations(t *testing.T) {
	d := startDevAgent(t)
	before := time.Now()
	evalID, alloc := shapeRunJob(t, d, shapeMockJob("evals"))

	var ev *nomad.Evaluation
	deadline := time.Now().Add(30 * time.Second)
	for {
		var err error
		var qm *nomad.QueryMeta
		ev, qm, err = d.api.Evaluations().Info(evalID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Status == "complete" {
			if qm.LastIndex != ev.ModifyIndex {
				t.Fatalf("Info() LastIndex %d, want the evaluation's ModifyIndex %d", qm.LastIndex, ev.ModifyIndex)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("evaluation %s still %q after 30s", evalID, ev.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if ev.ID != evalID || ev.JobID != "evals" || ev.Namespace != "default" || ev.Type != "service" ||
		ev.TriggeredBy != "job-register" || ev.Priority != 50 {
		t.Fatalf("Info() = %+v", ev)
	}
	if ev.CreateIndex == 0 || ev.ModifyIndex < ev.CreateIndex || ev.JobModifyIndex == 0 {
		t.Fatalf("Info() indexes Create %d Modify %d JobModify %d", ev.CreateIndex, ev.ModifyIndex, ev.JobModifyIndex)
	}
	created, modified := time.Unix(0, ev.CreateTime), time.Unix(0, ev.ModifyTime)
	if created.Before(before.Add(-time.Minute)) || created.After(time.Now().Add(time.Minute)) || modified.Before(created) {
		t.Fatalf("CreateTime %v ModifyTime %v, want unix nanoseconds of about now (%v)", created, modified, before)
	}
	if ev.QueuedAllocations["web"] != 0 {
		t.Fatalf("QueuedAllocations = %v, want web: 0", ev.QueuedAllocations)
	}
	if len(ev.FailedTGAllocs) != 0 {
		t.Fatalf("FailedTGAllocs = %v, want none", ev.FailedTGAllocs)
	}

	list, qm, err := d.api.Evaluations().List(nil)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range list {
		found = found || (e.ID == evalID && e.JobID == "evals" && e.Status == "complete")
	}
	if !found || qm.LastIndex < ev.ModifyIndex || !qm.KnownLeader {
		t.Fatalf("List() = %d evaluations (ours found: %v), QueryMeta %+v", len(list), found, qm)
	}
	byPrefix, _, err := d.api.Evaluations().PrefixList(evalID[:6])
	if err != nil || len(byPrefix) != 1 || byPrefix[0].ID != evalID {
		t.Fatalf("PrefixList(%q) = %v, %v; want our evaluation", evalID[:6], byPrefix, err)
	}

	allocs, _, err := d.api.Evaluations().Allocations(evalID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(allocs) != 1 || allocs[0].ID != alloc.ID || allocs[0].EvalID != evalID || allocs[0].JobID != "evals" {
		t.Fatalf("Allocations(eval) = %v, want the allocation %s", allocs, alloc.ID)
	}

	_, _, err = d.api.Evaluations().Info("00000000-0000-0000-0000-000000000000", nil)
	shapeWantError(t, "Info(unknown evaluation)", err, http.StatusNotFound, "not found")
	_, _, err = d.api.Evaluations().Count(nil)
	shapeWantError(t, "Count()", err, http.StatusNotFound, "no such API path")
	_, err = d.api.Evaluations().Delete([]string{evalID}, nil)
	shapeWantError(t, "Delete()", err, http.StatusMethodNotAllowed, "DELETE")
}

// TestEvaluationsBlockedExplainsFailures: an evaluation that could not
// place everything decodes its FailedTGAllocs (Nomad's AllocationMetric,
// AllocationTime in nanoseconds) and names its blocked follow-up.
func TestEvaluationsBlockedExplainsFailures(t *testing.T) {
	d := startDevAgent(t)
	job := shapeMockJob("too-big")
	huge := 10_000_000
	job.TaskGroups[0].Tasks[0].Resources.MemoryMB = &huge
	resp, _, err := d.api.Jobs().Register(job, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ev *nomad.Evaluation
	deadline := time.Now().Add(30 * time.Second)
	for {
		ev, _, err = d.api.Evaluations().Info(resp.EvalID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Status == "complete" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("evaluation still %q after 30s", ev.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
	m := ev.FailedTGAllocs["web"]
	if m == nil || m.NodesEvaluated != 1 || m.NodesExhausted != 1 || m.DimensionExhausted["memory"] != 1 || m.AllocationTime <= 0 {
		t.Fatalf("FailedTGAllocs[web] = %+v, want one node evaluated and exhausted on memory, a placement time", m)
	}
	if ev.QueuedAllocations["web"] != 1 || ev.BlockedEval == "" {
		t.Fatalf("QueuedAllocations %v BlockedEval %q, want web: 1 and a blocked evaluation", ev.QueuedAllocations, ev.BlockedEval)
	}
	blocked, _, err := d.api.Evaluations().Info(ev.BlockedEval, nil)
	if err != nil || blocked.Status != "blocked" || blocked.PreviousEval != ev.ID || blocked.JobID != "too-big" {
		t.Fatalf("blocked evaluation = %+v, %v", blocked, err)
	}

	// Nomad's client always asks ?related=true: RelatedEvals links the
	// two, both ways. Without it there are none.
	var plain nomad.Evaluation
	if _, err := d.api.Raw().Query("/v1/evaluation/"+ev.ID, &plain, nil); err != nil || plain.ID != ev.ID || plain.RelatedEvals != nil {
		t.Fatalf("evaluation without ?related = %+v, %v; want no RelatedEvals", plain, err)
	}
	for from, to := range map[string]*nomad.Evaluation{ev.ID: blocked, blocked.ID: ev} {
		e, _, err := d.api.Evaluations().Info(from, nil)
		if err != nil {
			t.Fatal(err)
		}
		if e.ID != from || len(e.RelatedEvals) != 1 {
			t.Fatalf("Info(%s, related) = ID %s, RelatedEvals %v; want one related evaluation", from, e.ID, e.RelatedEvals)
		}
		r := e.RelatedEvals[0]
		if r.ID != to.ID || r.Status != to.Status || r.JobID != "too-big" || r.CreateIndex != to.CreateIndex || r.CreateTime != to.CreateTime {
			t.Fatalf("Info(%s, related).RelatedEvals[0] = %+v, want the stub of %s (%s)", from, r, to.ID, to.Status)
		}
	}
}

// TestDeploymentsNotYet: drover has no deployments yet; every deployment
// call of Nomad's client gets a 501 that says so, never an empty answer.
func TestDeploymentsNotYet(t *testing.T) {
	d := startDevAgent(t)
	dep := d.api.Deployments()
	const id = "00000000-0000-0000-0000-000000000000"
	calls := map[string]func() error{
		"List":           func() error { _, _, err := dep.List(nil); return err },
		"PrefixList":     func() error { _, _, err := dep.PrefixList("ab"); return err },
		"Info":           func() error { _, _, err := dep.Info(id, nil); return err },
		"Allocations":    func() error { _, _, err := dep.Allocations(id, nil); return err },
		"Fail":           func() error { _, _, err := dep.Fail(id, nil); return err },
		"Pause":          func() error { _, _, err := dep.Pause(id, true, nil); return err },
		"PromoteAll":     func() error { _, _, err := dep.PromoteAll(id, nil); return err },
		"PromoteGroups":  func() error { _, _, err := dep.PromoteGroups(id, []string{"web"}, nil); return err },
		"Unblock":        func() error { _, _, err := dep.Unblock(id, nil); return err },
		"SetAllocHealth": func() error { _, _, err := dep.SetAllocHealth(id, []string{id}, nil, nil); return err },
	}
	for name, call := range calls {
		shapeWantError(t, "Deployments()."+name, call(), http.StatusNotImplemented, "deployments")
	}
}

// TestEvaluationsListParameters: ?job= and ?status= narrow the list,
// per_page and next_token page through it as the client's QueryMeta
// NextToken says, another namespace lists none, and filter expressions
// select evaluations (and nodes) as Nomad's.
func TestEvaluationsListParameters(t *testing.T) {
	d := startDevAgent(t)
	for _, id := range []string{"pages-a", "pages-b", "pages-c"} {
		shapeRunJob(t, d, shapeMockJob(id))
	}
	ev := d.api.Evaluations()
	all, _, err := ev.List(nil)
	if err != nil || len(all) < 3 {
		t.Fatalf("List() = %d evaluations, %v; want at least 3", len(all), err)
	}
	byJob, _, err := ev.List(&nomad.QueryOptions{Params: map[string]string{"job": "pages-b"}})
	if err != nil || len(byJob) != 1 || byJob[0].JobID != "pages-b" {
		t.Fatalf("List(job=pages-b) = %v, %v", byJob, err)
	}
	blocked, _, err := ev.List(&nomad.QueryOptions{Params: map[string]string{"status": "blocked"}})
	if err != nil || len(blocked) != 0 {
		t.Fatalf("List(status=blocked) = %v, %v; want none", blocked, err)
	}

	var paged []string
	q := &nomad.QueryOptions{PerPage: 2}
	for pages := 0; ; pages++ {
		if pages > len(all) {
			t.Fatalf("paging did not end after %d pages", pages)
		}
		page, qm, err := ev.List(q)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 2 {
			t.Fatalf("a page of %d evaluations, want at most 2", len(page))
		}
		for _, e := range page {
			paged = append(paged, e.ID)
		}
		if qm.NextToken == "" {
			break
		}
		q.NextToken = qm.NextToken
	}
	// The client sorts each answer newest first; the pages hold every
	// evaluation once.
	if len(paged) != len(all) {
		t.Fatalf("paging gave %d evaluations, want all %d", len(paged), len(all))
	}
	seen := map[string]bool{}
	for _, id := range paged {
		seen[id] = true
	}
	for _, e := range all {
		if !seen[e.ID] {
			t.Fatalf("paging gave %v, missing %s", paged, e.ID)
		}
	}

	none, _, err := ev.List(&nomad.QueryOptions{Namespace: "other"})
	if err != nil || len(none) != 0 {
		t.Fatalf("List(namespace other) = %v, %v; want none", none, err)
	}
	every, _, err := ev.List(&nomad.QueryOptions{Namespace: "*"})
	if err != nil || len(every) != len(all) {
		t.Fatalf("List(namespace *) = %d, %v; want %d", len(every), err, len(all))
	}
	_, _, err = ev.List(&nomad.QueryOptions{Params: map[string]string{"per_page": "some"}})
	shapeWantError(t, "List(per_page=some)", err, http.StatusBadRequest, "per_page")
	filtered, _, err := ev.List(&nomad.QueryOptions{Filter: `JobID == "pages-a" and TriggeredBy == "job-register"`})
	if err != nil || len(filtered) != 1 || filtered[0].JobID != "pages-a" {
		t.Fatalf("List(filter JobID == pages-a) = %v, %v; want its evaluation", filtered, err)
	}
	_, _, err = ev.List(&nomad.QueryOptions{Filter: `JobID ==`})
	shapeWantError(t, "List(malformed filter)", err, http.StatusBadRequest, "filter")
	for filter, want := range map[string]int{`Status == "ready"`: 1, `Status == "down"`: 0, `Drivers.mock.Healthy == true`: 1} {
		nodes, _, err := d.api.Nodes().List(&nomad.QueryOptions{Filter: filter})
		if err != nil || len(nodes) != want {
			t.Fatalf("Nodes().List(filter %s) = %v, %v; want %d nodes", filter, nodes, err, want)
		}
	}
}
