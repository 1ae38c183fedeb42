package compat_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"
)

// newMockServiceJob is a service job as tools build it with Nomad's client: one group
// "web" of count tasks "app" on the mock driver, running for runFor.
func newMockServiceJob(id string, count int, runFor string) *nomad.Job {
	job := nomad.NewServiceJob(id, id, "global", 50)
	job.Datacenters = []string{"*"}
	task := nomad.NewTask("app", "mock").SetConfig("run_for", runFor)
	task.Require(&nomad.Resources{CPU: new(50), MemoryMB: new(32)})
	job.AddTaskGroup(nomad.NewTaskGroup("web", count).AddTask(task))
	return job
}

// apiErrStatus is the HTTP status of an error Nomad's client returned, or 0.
func apiErrStatus(err error) int {
	var ue nomad.UnexpectedResponseError
	if errors.As(err, &ue) && ue.HasStatusCode() {
		return ue.StatusCode()
	}
	return 0
}

// wantAPIError fails unless err is an answer with the given status whose body
// contains every one of words.
func wantAPIError(t *testing.T, err error, status int, words ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want status %d", status)
	}
	if got := apiErrStatus(err); got != status {
		t.Fatalf("error %v: status %d, want %d", err, got, status)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("error %q does not say %q", err, w)
		}
	}
}

// mustRegister registers job and fails the test on error.
func mustRegister(t *testing.T, d *devAgent, job *nomad.Job) *nomad.JobRegisterResponse {
	t.Helper()
	resp, _, err := d.api.Jobs().Register(job, nil)
	if err != nil {
		t.Fatalf("register %s: %v", *job.ID, err)
	}
	return resp
}

// jobsWaitFor polls cond until it holds or 30 s pass.
func jobsWaitFor(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (last error: %v)", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitGroupRunning waits until the job's group web has running allocations.
func waitGroupRunning(t *testing.T, d *devAgent, id string, running int) {
	t.Helper()
	jobsWaitFor(t, fmt.Sprintf("%d running allocations of %s", running, id), func() (bool, error) {
		s, _, err := d.api.Jobs().Summary(id, nil)
		if err != nil {
			return false, err
		}
		return s.Summary["web"].Running == running, nil
	})
}

func TestJobRegisterInfo(t *testing.T) {
	d := startDevAgent(t)
	job := newMockServiceJob("web", 1, "1h")
	job.Meta = map[string]string{"owner": "ops"}
	job.TaskGroups[0].Tasks[0].KillTimeout = new(7 * time.Second)

	resp, wm, err := d.api.Jobs().Register(job, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.EvalID == "" || resp.EvalCreateIndex == 0 || resp.JobModifyIndex == 0 {
		t.Fatalf("register response %+v: want EvalID, EvalCreateIndex and JobModifyIndex", resp)
	}
	if wm.LastIndex < resp.JobModifyIndex {
		t.Fatalf("write meta index %d is before the job's %d", wm.LastIndex, resp.JobModifyIndex)
	}

	got, qm, err := d.api.Jobs().Info("web", nil)
	if err != nil {
		t.Fatal(err)
	}
	if qm.LastIndex == 0 || !qm.KnownLeader {
		t.Fatalf("query meta %+v: want an index and a known leader", qm)
	}
	if *got.ID != "web" || *got.Name != "web" || *got.Type != "service" || *got.Namespace != "default" ||
		*got.Region != "global" || *got.Priority != 50 || *got.Version != 0 || *got.Stop {
		t.Fatalf("job fields: ID %q Name %q Type %q Namespace %q Region %q Priority %d Version %d Stop %v",
			*got.ID, *got.Name, *got.Type, *got.Namespace, *got.Region, *got.Priority, *got.Version, *got.Stop)
	}
	if *got.JobModifyIndex != resp.JobModifyIndex || *got.CreateIndex == 0 || *got.ModifyIndex < *got.CreateIndex {
		t.Fatalf("indexes: JobModifyIndex %d (register said %d), CreateIndex %d, ModifyIndex %d",
			*got.JobModifyIndex, resp.JobModifyIndex, *got.CreateIndex, *got.ModifyIndex)
	}
	if sub := time.Unix(0, *got.SubmitTime); time.Since(sub) > time.Minute || time.Since(sub) < 0 {
		t.Fatalf("SubmitTime %v is not a recent time in nanoseconds", sub)
	}
	if got.Meta["owner"] != "ops" {
		t.Fatalf("Meta = %v", got.Meta)
	}
	tg := got.TaskGroups[0]
	if *tg.Name != "web" || *tg.Count != 1 || len(tg.Tasks) != 1 {
		t.Fatalf("group %q count %d tasks %d", *tg.Name, *tg.Count, len(tg.Tasks))
	}
	task := tg.Tasks[0]
	if task.Name != "app" || task.Driver != "mock" || task.Config["run_for"] != "1h" {
		t.Fatalf("task %q driver %q config %v", task.Name, task.Driver, task.Config)
	}
	if task.KillTimeout == nil || *task.KillTimeout != 7*time.Second {
		t.Fatalf("KillTimeout = %v, want 7s", task.KillTimeout)
	}
	if *task.Resources.CPU != 50 || *task.Resources.MemoryMB != 32 {
		t.Fatalf("resources %d MHz %d MB", *task.Resources.CPU, *task.Resources.MemoryMB)
	}

	_, _, err = d.api.Jobs().Info("nope", nil)
	wantAPIError(t, err, http.StatusNotFound, "job not found")
}

// TestJobRegisterOnJobPath registers through POST /v1/job/<id>, as older
// tools do, and refuses a body whose job ID is not the path's.
func TestJobRegisterOnJobPath(t *testing.T) {
	d := startDevAgent(t)
	req := &nomad.JobRegisterRequest{Job: newMockServiceJob("api", 1, "1h")}
	var resp nomad.JobRegisterResponse
	if _, err := d.api.Raw().Write("/v1/job/api", req, &resp, nil); err != nil {
		t.Fatal(err)
	}
	if resp.EvalID == "" || resp.JobModifyIndex == 0 {
		t.Fatalf("register response %+v", resp)
	}
	// POST, the method Nomad's documentation names.
	body := strings.NewReader(`{"Job": {"ID": "api2", "Name": "api2", "Type": "batch", "Datacenters": ["*"],
		"TaskGroups": [{"Name": "web", "Count": 1, "Tasks": [{"Name": "app", "Driver": "mock", "Config": {"run_for": "10ms"}}]}]}}`)
	hreq, err := http.NewRequest(http.MethodPost, d.addr+"/v1/job/api2", body)
	if err != nil {
		t.Fatal(err)
	}
	hresp, err := d.api.Raw().Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	hresp.Body.Close()
	if hresp.StatusCode != http.StatusOK || hresp.Header.Get("X-Nomad-Index") == "" {
		t.Fatalf("POST /v1/job/api2: %s, X-Nomad-Index %q", hresp.Status, hresp.Header.Get("X-Nomad-Index"))
	}
	if j, _, err := d.api.Jobs().Info("api2", nil); err != nil || *j.Type != "batch" {
		t.Fatalf("api2 after POST: %v", err)
	}

	_, err = d.api.Raw().Write("/v1/job/other", req, &resp, nil)
	wantAPIError(t, err, http.StatusBadRequest, "api", "other", "path")
}

func TestJobRegisterEnforceIndex(t *testing.T) {
	d := startDevAgent(t)
	jobs := d.api.Jobs()
	// Index 0: only if the job is new.
	first, _, err := jobs.EnforceRegister(newMockServiceJob("web", 1, "1h"), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = jobs.EnforceRegister(newMockServiceJob("web", 2, "1h"), 0, nil)
	wantAPIError(t, err, http.StatusConflict)
	_, _, err = jobs.EnforceRegister(newMockServiceJob("web", 2, "1h"), first.JobModifyIndex+100, nil)
	wantAPIError(t, err, http.StatusConflict)

	second, _, err := jobs.EnforceRegister(newMockServiceJob("web", 2, "1h"), first.JobModifyIndex, nil)
	if err != nil {
		t.Fatal(err)
	}
	if second.JobModifyIndex <= first.JobModifyIndex {
		t.Fatalf("JobModifyIndex %d after %d", second.JobModifyIndex, first.JobModifyIndex)
	}
	got, _, err := jobs.Info("web", nil)
	if err != nil {
		t.Fatal(err)
	}
	if *got.TaskGroups[0].Count != 2 || *got.Version != 1 {
		t.Fatalf("count %d version %d, want 2 and 1", *got.TaskGroups[0].Count, *got.Version)
	}
}

func TestJobRegisterPreserveCounts(t *testing.T) {
	d := startDevAgent(t)
	jobs := d.api.Jobs()
	mustRegister(t, d, newMockServiceJob("web", 3, "1h"))

	update := newMockServiceJob("web", 1, "2h")
	extra := nomad.NewTaskGroup("extra", 2).AddTask(nomad.NewTask("x", "mock").SetConfig("run_for", "1h"))
	update.AddTaskGroup(extra)
	if _, _, err := jobs.RegisterOpts(update, &nomad.RegisterOptions{PreserveCounts: true}, nil); err != nil {
		t.Fatal(err)
	}
	got, _, err := jobs.Info("web", nil)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, tg := range got.TaskGroups {
		counts[*tg.Name] = *tg.Count
	}
	// The existing group keeps its count; a new group has the file's.
	if counts["web"] != 3 || counts["extra"] != 2 {
		t.Fatalf("counts %v, want web 3 (kept) and extra 2 (new)", counts)
	}
	if got.TaskGroups[0].Tasks[0].Config["run_for"] != "2h" {
		t.Fatalf("the rest of the update was not applied: %v", got.TaskGroups[0].Tasks[0].Config)
	}
}

func TestJobPlanDiff(t *testing.T) {
	d := startDevAgent(t)
	jobs := d.api.Jobs()

	// A new job: everything is Added and placed.
	plan, _, err := jobs.Plan(newMockServiceJob("web", 2, "1h"), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Diff == nil || plan.Diff.Type != "Added" || plan.Diff.ID != "web" {
		t.Fatalf("diff of a new job: %+v", plan.Diff)
	}
	if u := plan.Annotations.DesiredTGUpdates["web"]; u == nil || u.Place != 2 {
		t.Fatalf("desired updates %+v, want 2 placements", plan.Annotations.DesiredTGUpdates)
	}
	if plan.JobModifyIndex != 0 {
		t.Fatalf("JobModifyIndex of a new job's plan = %d, want 0", plan.JobModifyIndex)
	}
	if _, _, err := jobs.Info("web", nil); apiErrStatus(err) != http.StatusNotFound {
		t.Fatalf("a plan registered the job (Info: %v)", err)
	}

	reg := mustRegister(t, d, newMockServiceJob("web", 2, "1h"))
	// The plan is of a change to a job whose two allocations run.
	waitGroupRunning(t, d, "web", 2)
	plan, _, err = jobs.Plan(newMockServiceJob("web", 3, "1h"), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan.JobModifyIndex != reg.JobModifyIndex {
		t.Fatalf("plan JobModifyIndex %d, want the registered job's %d (for check-index)", plan.JobModifyIndex, reg.JobModifyIndex)
	}
	if plan.Diff.Type != "Edited" || len(plan.Diff.TaskGroups) != 1 {
		t.Fatalf("diff %+v, want one edited group", plan.Diff)
	}
	tgd := plan.Diff.TaskGroups[0]
	var count *nomad.FieldDiff
	for _, f := range tgd.Fields {
		if f.Name == "Count" {
			count = f
		}
	}
	if tgd.Name != "web" || tgd.Type != "Edited" || count == nil || count.Old != "2" || count.New != "3" {
		t.Fatalf("group diff %+v (Count %+v), want Count 2 → 3", tgd, count)
	}
	// As Nomad: the running two move to the new version in place.
	if u := plan.Annotations.DesiredTGUpdates["web"]; u.Place != 1 || u.InPlaceUpdate != 2 || u.DestructiveUpdate != 0 {
		t.Fatalf("desired updates %+v, want 1 place and 2 in-place updates", u)
	}

	// The plan's JobModifyIndex is what `job run -check-index` sends.
	if _, _, err := jobs.EnforceRegister(newMockServiceJob("web", 3, "1h"), plan.JobModifyIndex, nil); err != nil {
		t.Fatalf("register with the plan's index: %v", err)
	}

	// Without diff, no diff.
	plan, _, err = jobs.Plan(newMockServiceJob("web", 4, "1h"), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Diff != nil {
		t.Fatalf("Diff without asking: %+v", plan.Diff)
	}

	// A group that fits nowhere: the metrics say why.
	huge := newMockServiceJob("huge", 1, "1h")
	huge.TaskGroups[0].Tasks[0].Resources.MemoryMB = new(1 << 30)
	plan, _, err = jobs.Plan(huge, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := plan.FailedTGAllocs["web"]
	if m == nil || m.NodesEvaluated != 1 || m.NodesExhausted != 1 || m.DimensionExhausted["memory"] != 1 {
		t.Fatalf("failed placements %+v, want the one node exhausted on memory", m)
	}

	// A periodic job: when it launches next.
	cron := nomad.NewBatchJob("cron", "cron", "global", 50)
	cron.Datacenters = []string{"*"}
	cron.Periodic = &nomad.PeriodicConfig{Specs: []string{"*/5 * * * *"}}
	cron.AddTaskGroup(nomad.NewTaskGroup("web", 1).AddTask(nomad.NewTask("app", "mock").SetConfig("run_for", "10ms")))
	plan, _, err = jobs.Plan(cron, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if next := time.Until(plan.NextPeriodicLaunch); next <= 0 || next > 5*time.Minute {
		t.Fatalf("NextPeriodicLaunch %v is not within the next five minutes", plan.NextPeriodicLaunch)
	}
}

func TestJobValidate(t *testing.T) {
	d := startDevAgent(t)
	resp, _, err := d.api.Jobs().Validate(newMockServiceJob("web", 1, "1h"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.ValidationErrors) != 0 || resp.Error != "" {
		t.Fatalf("valid job: errors %q, %q", resp.ValidationErrors, resp.Error)
	}

	bad := newMockServiceJob("web", 1, "1h")
	bad.Type = new("nonsense")
	bad.TaskGroups[0].Tasks[0].Driver = ""
	resp, _, err = d.api.Jobs().Validate(bad, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.ValidationErrors) < 2 || !strings.Contains(resp.Error, "nonsense") {
		t.Fatalf("invalid job: ValidationErrors %q, Error %q; want both problems", resp.ValidationErrors, resp.Error)
	}
}

func TestJobParse(t *testing.T) {
	d := startDevAgent(t)
	src := `
variable "n" { default = 1 }
job "parsed" {
  datacenters = ["dc1"]
  group "web" {
    count = var.n
    task "app" {
      driver = "mock"
      config { run_for = "1h" }
      kill_timeout = "9s"
    }
  }
}`
	job, err := d.api.Jobs().ParseHCLOpts(&nomad.JobsParseRequest{JobHCL: src, Variables: "n = 3\n", Canonicalize: true})
	if err != nil {
		t.Fatal(err)
	}
	if *job.ID != "parsed" || *job.TaskGroups[0].Count != 3 || *job.Priority != 50 || *job.Type != "service" {
		t.Fatalf("parsed: ID %q count %d priority %d type %q", *job.ID, *job.TaskGroups[0].Count, *job.Priority, *job.Type)
	}
	if kt := job.TaskGroups[0].Tasks[0].KillTimeout; kt == nil || *kt != 9*time.Second {
		t.Fatalf("kill_timeout decoded as %v, want 9s", kt)
	}
	// Without canonicalize, what the file sets is there; what it leaves
	// out is zero (Nomad answers null: see docs/compatibility.md).
	job, err = d.api.Jobs().ParseHCL(src, false)
	if err != nil {
		t.Fatal(err)
	}
	if *job.ID != "parsed" || *job.TaskGroups[0].Count != 1 || job.Datacenters[0] != "dc1" {
		t.Fatalf("parsed without canonicalize: ID %q count %d datacenters %v", *job.ID, *job.TaskGroups[0].Count, job.Datacenters)
	}

	_, err = d.api.Jobs().ParseHCL(`job "x" { group "g" { count = } }`, false)
	wantAPIError(t, err, http.StatusBadRequest, "job.hcl:1")
}

func TestJobListPrefixPagingFilter(t *testing.T) {
	d := startDevAgent(t)
	for _, id := range []string{"api-a", "api-b", "api-c", "web"} {
		job := newMockServiceJob(id, 1, "1h")
		job.Meta = map[string]string{"team": strings.Split(id, "-")[0]}
		mustRegister(t, d, job)
	}
	jobs := d.api.Jobs()

	all, qm, err := jobs.List(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 || qm.LastIndex == 0 {
		t.Fatalf("list: %d jobs, index %d", len(all), qm.LastIndex)
	}
	s := all[0]
	if s.ID != "api-a" || s.Name != "api-a" || s.Type != "service" || s.Priority != 50 || s.Namespace != "default" ||
		s.JobModifyIndex == 0 || s.CreateIndex == 0 || s.SubmitTime == 0 || s.JobSummary == nil ||
		len(s.Datacenters) != 1 || s.Datacenters[0] != "*" {
		t.Fatalf("stub %+v", s)
	}
	if _, ok := s.JobSummary.Summary["web"]; !ok || s.JobSummary.JobID != "api-a" {
		t.Fatalf("stub summary %+v", s.JobSummary)
	}

	pre, _, err := jobs.PrefixList("api-")
	if err != nil {
		t.Fatal(err)
	}
	if ids := jobStubIDs(pre); ids != "api-a,api-b,api-c" {
		t.Fatalf("prefix api-: %s", ids)
	}

	// Pages of two: the first names where the next begins.
	page, qm, err := jobs.List(&nomad.QueryOptions{PerPage: 2})
	if err != nil {
		t.Fatal(err)
	}
	if ids := jobStubIDs(page); ids != "api-a,api-b" || qm.NextToken != "api-c" {
		t.Fatalf("page 1: %s, next token %q", ids, qm.NextToken)
	}
	page, qm, err = jobs.List(&nomad.QueryOptions{PerPage: 2, NextToken: qm.NextToken})
	if err != nil {
		t.Fatal(err)
	}
	if ids := jobStubIDs(page); ids != "api-c,web" || qm.NextToken != "" {
		t.Fatalf("page 2: %s, next token %q", ids, qm.NextToken)
	}
	// Paging composes with the prefix and the filter.
	page, qm, err = jobs.List(&nomad.QueryOptions{Prefix: "api-", PerPage: 1, NextToken: "api-b"})
	if err != nil {
		t.Fatal(err)
	}
	if ids := jobStubIDs(page); ids != "api-b" || qm.NextToken != "api-c" {
		t.Fatalf("prefix page: %s, next token %q", ids, qm.NextToken)
	}

	for _, tc := range []struct{ filter, want string }{
		{`ID == "web"`, "web"},
		{`Meta.team == "api" and ID != "api-b"`, "api-a,api-c"},
		{`ID matches "^api-[bc]$"`, "api-b,api-c"},
		{`Datacenters contains "*" and Type == "service"`, "api-a,api-b,api-c,web"},
		{`Status == "nonsense"`, ""},
	} {
		got, _, err := jobs.List(&nomad.QueryOptions{Filter: tc.filter})
		if err != nil {
			t.Fatalf("filter %s: %v", tc.filter, err)
		}
		if ids := jobStubIDs(got); ids != tc.want {
			t.Errorf("filter %s: %s, want %s", tc.filter, ids, tc.want)
		}
	}
	got, qm, err := jobs.List(&nomad.QueryOptions{Filter: `Meta.team == "api"`, PerPage: 2})
	if err != nil {
		t.Fatal(err)
	}
	if ids := jobStubIDs(got); ids != "api-a,api-b" || qm.NextToken != "api-c" {
		t.Fatalf("filtered page: %s, next token %q", ids, qm.NextToken)
	}

	_, _, err = jobs.List(&nomad.QueryOptions{Filter: `ID ==`})
	wantAPIError(t, err, http.StatusBadRequest, "filter")
	_, _, err = jobs.List(&nomad.QueryOptions{Filter: `NoSuchField == "x"`})
	wantAPIError(t, err, http.StatusBadRequest, "NoSuchField")
	_, _, err = jobs.List(&nomad.QueryOptions{Params: map[string]string{"per_page": "-1"}})
	wantAPIError(t, err, http.StatusBadRequest, "per_page")
}

// jobStubIDs joins the IDs of a job list.
func jobStubIDs(stubs []*nomad.JobListStub) string {
	ids := make([]string, len(stubs))
	for i, s := range stubs {
		ids[i] = s.ID
	}
	return strings.Join(ids, ",")
}

// TestJobBlockingInfo: a blocking query on a job returns when the job
// changes, with the new index.
func TestJobBlockingInfo(t *testing.T) {
	d := startDevAgent(t)
	mustRegister(t, d, newMockServiceJob("web", 1, "1h"))
	_, qm, err := d.api.Jobs().Info("web", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Each wake-up is past the index it waited on; the change of count
	// ends the wait (the job's status may change first).
	index := qm.LastIndex
	done := make(chan error, 1)
	go func() {
		for {
			j, m, err := d.api.Jobs().Info("web", &nomad.QueryOptions{WaitIndex: index, WaitTime: 20 * time.Second})
			if err != nil {
				done <- err
				return
			}
			if m.LastIndex <= index {
				done <- fmt.Errorf("a blocking query at index %d returned index %d", index, m.LastIndex)
				return
			}
			index = m.LastIndex
			if *j.TaskGroups[0].Count == 2 {
				done <- nil
				return
			}
		}
	}()
	mustRegister(t, d, newMockServiceJob("web", 2, "1h"))
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("the blocking query did not return after the job changed")
	}
}

func TestJobSummaryAllocationsEvaluations(t *testing.T) {
	d := startDevAgent(t)
	reg := mustRegister(t, d, newMockServiceJob("web", 2, "1h"))
	waitGroupRunning(t, d, "web", 2)
	jobs := d.api.Jobs()

	sum, _, err := jobs.Summary("web", nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.JobID != "web" || sum.Namespace != "default" || sum.CreateIndex == 0 || sum.ModifyIndex < sum.CreateIndex {
		t.Fatalf("summary %+v", sum)
	}
	if g := sum.Summary["web"]; g.Running != 2 || g.Queued != 0 || g.Failed != 0 {
		t.Fatalf("group summary %+v", g)
	}

	allocs, qm, err := jobs.Allocations("web", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(allocs) != 2 || qm.LastIndex == 0 {
		t.Fatalf("%d allocations, index %d", len(allocs), qm.LastIndex)
	}
	for _, a := range allocs {
		if a.JobID != "web" || a.TaskGroup != "web" || a.ClientStatus != "running" || a.DesiredStatus != "run" ||
			a.EvalID != reg.EvalID || a.NodeID == "" || a.JobVersion != 0 || a.Namespace != "default" {
			t.Fatalf("alloc stub %+v", a)
		}
		if ct := time.Unix(0, a.CreateTime); time.Since(ct) > time.Minute || time.Since(ct) < 0 {
			t.Fatalf("CreateTime %v is not a recent time in nanoseconds", ct)
		}
		if ts := a.TaskStates["app"]; ts == nil || ts.State != "running" || ts.StartedAt.IsZero() {
			t.Fatalf("task state %+v", ts)
		}
	}

	evals, _, err := jobs.Evaluations("web", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(evals) != 1 {
		t.Fatalf("%d evaluations, want 1", len(evals))
	}
	e := evals[0]
	if e.ID != reg.EvalID || e.JobID != "web" || e.Status != "complete" || e.TriggeredBy != "job-register" ||
		e.Type != "service" || e.Priority != 50 || e.CreateIndex != reg.EvalCreateIndex || e.CreateTime == 0 {
		t.Fatalf("evaluation %+v", e)
	}

	// A job that does not exist: 404, not an empty answer.
	_, _, err = jobs.Summary("nope", nil)
	wantAPIError(t, err, http.StatusNotFound)
}

// TestJobWriteQueryParams: the region, namespace and stale options a
// client sets are accepted.
func TestJobWriteQueryParams(t *testing.T) {
	d := startDevAgent(t)
	job := newMockServiceJob("web", 1, "1h")
	job.Region = nil
	if _, _, err := d.api.Jobs().Register(job, &nomad.WriteOptions{Region: "global", Namespace: "default"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.api.Jobs().Info("web", &nomad.QueryOptions{Region: "global", Namespace: "default", AllowStale: true}); err != nil {
		t.Fatal(err)
	}
}

// TestJobUnsupportedFieldsWarned: fields of Nomad's job that drover does not
// have are named in the Warnings of register, plan and validate, never
// dropped silently; a plain job has no such warning.
func TestJobUnsupportedFieldsWarned(t *testing.T) {
	d := startDevAgent(t)
	jobs := d.api.Jobs()
	resp := mustRegister(t, d, newMockServiceJob("plain", 1, "1h"))
	if strings.Contains(resp.Warnings, "not supported") {
		t.Fatalf("a plain job was warned: %q", resp.Warnings)
	}
	// Nomad's client canonicalizing a job fills in defaults: not warned.
	canon := newMockServiceJob("canon", 1, "1h")
	canon.TaskGroups[0].Services = []*nomad.Service{{Name: "web", Provider: "nomad"}}
	canon.Canonicalize()
	if resp := mustRegister(t, d, canon); strings.Contains(resp.Warnings, "not supported") {
		t.Fatalf("a canonicalized job was warned: %q", resp.Warnings)
	}

	job := newMockServiceJob("web", 1, "1h")
	job.TaskGroups[0].Scaling = &nomad.ScalingPolicy{Min: new(int64(1)), Max: new(int64(5))}
	job.TaskGroups[0].Tasks[0].Vault = &nomad.Vault{Role: "app"}
	want := []string{"not supported by drover, ignored", "Job.TaskGroups[web].Scaling", "Job.TaskGroups[web].Tasks[app].Vault"}
	resp = mustRegister(t, d, job)
	plan, _, err := jobs.Plan(job, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	val, _, err := jobs.Validate(job, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, warnings := range map[string]string{"register": resp.Warnings, "plan": plan.Warnings, "validate": val.Warnings} {
		for _, w := range want {
			if !strings.Contains(warnings, w) {
				t.Errorf("%s warnings %q do not say %q", name, warnings, w)
			}
		}
	}
}

func TestJobRegisterPreserveResources(t *testing.T) {
	d := startDevAgent(t)
	mustRegister(t, d, newMockServiceJob("web", 1, "1h")) // 50 MHz, 32 MB
	update := newMockServiceJob("web", 2, "2h")
	update.TaskGroups[0].Tasks[0].Resources = &nomad.Resources{CPU: new(500), MemoryMB: new(64)}
	if _, _, err := d.api.Jobs().RegisterOpts(update, &nomad.RegisterOptions{PreserveResources: true}, nil); err != nil {
		t.Fatal(err)
	}
	got, _, err := d.api.Jobs().Info("web", nil)
	if err != nil {
		t.Fatal(err)
	}
	task := got.TaskGroups[0].Tasks[0]
	if *task.Resources.CPU != 50 || *task.Resources.MemoryMB != 32 || *got.TaskGroups[0].Count != 2 || task.Config["run_for"] != "2h" {
		t.Fatalf("after PreserveResources: %d MHz %d MB count %d config %v; want the old resources and the rest new",
			*task.Resources.CPU, *task.Resources.MemoryMB, *got.TaskGroups[0].Count, task.Config)
	}
}

// TestJobRegisterLeftOutFields: a job built by hand with only what matters
// set, as scripts do, gets what Nomad's agent fills in: a group without
// Count runs once, the name is the ID, the type is service.
func TestJobRegisterLeftOutFields(t *testing.T) {
	d := startDevAgent(t)
	job := &nomad.Job{ID: new("bare"), TaskGroups: []*nomad.TaskGroup{{
		Name:  new("web"),
		Tasks: []*nomad.Task{{Name: "app", Driver: "mock", Config: map[string]any{"run_for": "1h"}}},
	}}}
	mustRegister(t, d, job)
	got, _, err := d.api.Jobs().Info("bare", nil)
	if err != nil {
		t.Fatal(err)
	}
	if *got.TaskGroups[0].Count != 1 || *got.Name != "bare" || *got.Type != "service" || *got.Priority != 50 {
		t.Fatalf("count %d name %q type %q priority %d", *got.TaskGroups[0].Count, *got.Name, *got.Type, *got.Priority)
	}
	waitGroupRunning(t, d, "bare", 1)
}
