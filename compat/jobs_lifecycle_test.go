package compat_test

import (
	"net/http"
	"strings"
	"testing"

	nomad "github.com/hashicorp/nomad/api"
)

func TestJobVersionsDiffsRevert(t *testing.T) {
	d := startDevAgent(t)
	jobs := d.api.Jobs()
	mustRegister(t, d, newMockServiceJob("web", 1, "1h"))
	mustRegister(t, d, newMockServiceJob("web", 2, "1h"))

	versions, diffs, _, err := jobs.Versions("web", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != 2 || *versions[0].Version != 1 || *versions[1].Version != 0 {
		t.Fatalf("versions: %d", len(versions))
	}
	if len(diffs) != 1 || diffs[0].Type != "Edited" || len(diffs[0].TaskGroups) != 1 {
		t.Fatalf("diffs %+v", diffs)
	}
	var found bool
	for _, f := range diffs[0].TaskGroups[0].Fields {
		found = found || (f.Name == "Count" && f.Old == "1" && f.New == "2")
	}
	if !found {
		t.Fatalf("diff of version 1 from 0 lacks Count 1 → 2: %+v", diffs[0].TaskGroups[0])
	}
	_, diffs, _, err = jobs.Versions("web", false, nil)
	if err != nil || diffs != nil {
		t.Fatalf("diffs without asking: %v %v", diffs, err)
	}

	// Revert to version 0, enforcing that 1 is current.
	_, _, err = jobs.Revert("web", 0, new(uint64(0)), nil, "", "")
	wantAPIError(t, err, http.StatusConflict, "version 1")
	resp, _, err := jobs.Revert("web", 0, new(uint64(1)), nil, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if resp.EvalID == "" || resp.JobModifyIndex == 0 {
		t.Fatalf("revert response %+v", resp)
	}
	got, _, err := jobs.Info("web", nil)
	if err != nil {
		t.Fatal(err)
	}
	if *got.Version != 2 || *got.TaskGroups[0].Count != 1 {
		t.Fatalf("after revert: version %d count %d, want 2 and 1", *got.Version, *got.TaskGroups[0].Count)
	}
	_, _, err = jobs.Revert("web", 7, nil, nil, "", "")
	wantAPIError(t, err, http.StatusNotFound)
}

func TestJobStopPurge(t *testing.T) {
	d := startDevAgent(t)
	jobs := d.api.Jobs()
	mustRegister(t, d, newMockServiceJob("web", 1, "1h"))
	waitGroupRunning(t, d, "web", 1)

	evalID, wm, err := jobs.Deregister("web", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if evalID == "" || wm.LastIndex == 0 {
		t.Fatalf("stop: eval %q index %d", evalID, wm.LastIndex)
	}
	got, _, err := jobs.Info("web", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !*got.Stop {
		t.Fatal("Stop is false after a stop")
	}
	jobsWaitFor(t, "the job's allocation to stop", func() (bool, error) {
		allocs, _, err := jobs.Allocations("web", false, nil)
		if err != nil || len(allocs) != 1 {
			return false, err
		}
		return allocs[0].DesiredStatus == "stop" && allocs[0].ClientStatus == "complete", nil
	})

	if _, _, err := jobs.Deregister("web", true, nil); err != nil {
		t.Fatal(err)
	}
	_, _, err = jobs.Info("web", nil)
	wantAPIError(t, err, http.StatusNotFound)
	_, _, err = jobs.Deregister("nope", false, nil)
	wantAPIError(t, err, http.StatusNotFound)
}

func TestJobDispatch(t *testing.T) {
	d := startDevAgent(t)
	job := nomad.NewBatchJob("work", "work", "global", 50)
	job.Datacenters = []string{"*"}
	job.ParameterizedJob = &nomad.ParameterizedJobConfig{Payload: "optional", MetaRequired: []string{"who"}}
	job.AddTaskGroup(nomad.NewTaskGroup("web", 1).AddTask(nomad.NewTask("app", "mock").SetConfig("run_for", "10ms")))
	reg := mustRegister(t, d, job)
	if reg.EvalID != "" {
		t.Fatalf("registering a parameterized job created evaluation %q", reg.EvalID)
	}

	resp, wm, err := d.api.Jobs().Dispatch("work", map[string]string{"who": "me"}, []byte("hello"), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(resp.DispatchedJobID, "work/dispatch-") || resp.EvalID == "" ||
		resp.EvalCreateIndex == 0 || resp.JobCreateIndex == 0 || wm.LastIndex == 0 {
		t.Fatalf("dispatch response %+v", resp)
	}
	child, _, err := d.api.Jobs().Info(resp.DispatchedJobID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *child.ParentID != "work" || !child.Dispatched || string(child.Payload) != "hello" || child.Meta["who"] != "me" {
		t.Fatalf("child: parent %q dispatched %v payload %q meta %v", *child.ParentID, child.Dispatched, child.Payload, child.Meta)
	}

	_, _, err = d.api.Jobs().Dispatch("work", nil, nil, "", nil)
	wantAPIError(t, err, http.StatusBadRequest, "who")
}

func TestJobPeriodicForce(t *testing.T) {
	d := startDevAgent(t)
	job := nomad.NewBatchJob("cron", "cron", "global", 50)
	job.Datacenters = []string{"*"}
	job.Periodic = &nomad.PeriodicConfig{Specs: []string{"0 0 1 1 *"}, ProhibitOverlap: new(true)}
	job.AddTaskGroup(nomad.NewTaskGroup("web", 1).AddTask(nomad.NewTask("app", "mock").SetConfig("run_for", "10ms")))
	mustRegister(t, d, job)

	evalID, wm, err := d.api.Jobs().PeriodicForce("cron", nil)
	if err != nil {
		t.Fatal(err)
	}
	if evalID == "" || wm.LastIndex == 0 {
		t.Fatalf("force: eval %q index %d", evalID, wm.LastIndex)
	}
	children, _, err := d.api.Jobs().PrefixList("cron/periodic-")
	if err != nil {
		t.Fatal(err)
	}
	if len(children) != 1 || children[0].ParentID != "cron" {
		t.Fatalf("children %+v", children)
	}
	parent, _, err := d.api.Jobs().List(&nomad.QueryOptions{Filter: `ID == "cron"`})
	if err != nil {
		t.Fatal(err)
	}
	if len(parent) != 1 || !parent[0].Periodic || parent[0].JobSummary.Children == nil {
		t.Fatalf("parent stub %+v", parent)
	}

	mustRegister(t, d, newMockServiceJob("svc", 1, "1h"))
	_, _, err = d.api.Jobs().PeriodicForce("svc", nil)
	wantAPIError(t, err, http.StatusBadRequest, "periodic")
}

func TestJobScale(t *testing.T) {
	d := startDevAgent(t)
	jobs := d.api.Jobs()
	reg := mustRegister(t, d, newMockServiceJob("web", 1, "1h"))
	waitGroupRunning(t, d, "web", 1)

	st, qm, err := jobs.ScaleStatus("web", nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.JobID != "web" || st.Namespace != "default" || st.JobModifyIndex != reg.JobModifyIndex ||
		st.JobCreateIndex == 0 || st.JobStopped || qm.LastIndex == 0 {
		t.Fatalf("scale status %+v", st)
	}
	if g := st.TaskGroups["web"]; g.Desired != 1 || g.Placed != 1 || g.Running != 1 {
		t.Fatalf("group scale status %+v", g)
	}

	resp, _, err := jobs.Scale("web", "web", new(3), "more", false, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.EvalID == "" || resp.JobModifyIndex <= reg.JobModifyIndex {
		t.Fatalf("scale response %+v", resp)
	}
	waitGroupRunning(t, d, "web", 3)
	got, _, err := jobs.Info("web", nil)
	if err != nil {
		t.Fatal(err)
	}
	if *got.TaskGroups[0].Count != 3 || *got.Version != 1 {
		t.Fatalf("after scale: count %d version %d", *got.TaskGroups[0].Count, *got.Version)
	}
	st, _, err = jobs.ScaleStatus("web", nil)
	if err != nil {
		t.Fatal(err)
	}
	if g := st.TaskGroups["web"]; g.Desired != 3 || g.Running != 3 {
		t.Fatalf("group scale status after scaling %+v", g)
	}

	// The job modify index guards a scale like a register.
	_, _, err = jobs.ScaleWithRequest("web", &nomad.ScalingRequest{Count: new(int64(1)),
		Target: map[string]string{"Job": "web", "Group": "web"}, JobModifyIndex: reg.JobModifyIndex}, nil)
	wantAPIError(t, err, http.StatusConflict)

	_, _, err = jobs.Scale("web", "nope", new(1), "", false, nil, nil)
	wantAPIError(t, err, http.StatusBadRequest, "nope")
	_, _, err = jobs.Scale("web", "web", new(-1), "", false, nil, nil)
	wantAPIError(t, err, http.StatusBadRequest, "Count")
	_, _, err = jobs.Scale("nope", "web", new(1), "", false, nil, nil)
	wantAPIError(t, err, http.StatusNotFound)
	_, _, err = jobs.ScaleStatus("nope", nil)
	wantAPIError(t, err, http.StatusNotFound)
	// A scaling event without a count (the autoscaler reporting an error)
	// is not recorded by drover: it says so.
	_, _, err = jobs.Scale("web", "web", nil, "cannot scale", true, nil, nil)
	wantAPIError(t, err, http.StatusNotImplemented, "scaling events")
}

// TestJobDeployments: drover keeps no deployment objects; the client gets a
// clear error, not an empty list that would read as "no deployment yet".
func TestJobDeployments(t *testing.T) {
	d := startDevAgent(t)
	mustRegister(t, d, newMockServiceJob("web", 1, "1h"))
	_, _, err := d.api.Jobs().Deployments("web", false, nil)
	wantAPIError(t, err, http.StatusNotImplemented, "deployments")
	_, _, err = d.api.Jobs().LatestDeployment("web", nil)
	wantAPIError(t, err, http.StatusNotImplemented, "deployments")
}
