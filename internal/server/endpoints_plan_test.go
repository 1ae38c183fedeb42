package server

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

func planJob(t *testing.T, s *Server, job *drover.Job, diff bool) *drover.JobPlanResponse {
	t.Helper()
	var reply drover.JobPlanResponse
	if err := s.RPC(context.Background(), drover.MethodJobPlan, &drover.JobPlanRequest{Job: job, Diff: diff}, &reply); err != nil {
		t.Fatalf("plan: %v", err)
	}
	return &reply
}

// stateMark is what a dry run must leave untouched.
type stateMark struct {
	index uint64
	evals int
}

func markState(t *testing.T, s *Server) stateMark {
	t.Helper()
	idx, err := s.State().LatestIndex()
	if err != nil {
		t.Fatal(err)
	}
	evals, err := s.State().EvalsByIDPrefix(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	return stateMark{idx, len(evals)}
}

// waitLive waits until the job has n live allocations.
func waitLive(t *testing.T, s *Server, jobID string, n int) {
	t.Helper()
	waitFor(t, 10*time.Second, "allocations placed", func() bool { return len(liveAllocs(t, s, jobID)) == n })
}

func TestJobPlanNewJobWritesNothing(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	registerNode(t, s, schedtest.Node("n2"))
	before := markState(t, s)

	reply := planJob(t, s, schedtest.Job("web", 3), true)

	if after := markState(t, s); after != before {
		t.Fatalf("plan wrote to state: %+v, then %+v", before, after)
	}
	u := reply.Annotations.DesiredTGUpdates["web"]
	if u == nil || *u != (drover.DesiredUpdates{Place: 3}) {
		t.Fatalf("annotations %+v, want Place 3", u)
	}
	if reply.JobModifyIndex != 0 || len(reply.FailedTGAllocs) != 0 || len(reply.CreatedEvals) != 0 {
		t.Fatalf("reply %+v: want index 0, no failures, no evals", reply)
	}
	if reply.Warnings != "" {
		t.Errorf("warnings %q", reply.Warnings)
	}
	if reply.Index == 0 {
		t.Error("reply has no index")
	}
	if job, _ := s.State().JobByID(nil, "default", "web"); job != nil {
		t.Fatal("the planned job was registered")
	}
}

func TestJobPlanCountChange(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	reg := registerJob(t, s, schedtest.Job("web", 3))
	waitLive(t, s, "web", 3)
	// The registration's eval is recorded after its plan is applied: wait
	// for it, or its write would move the state under the dry runs.
	waitFor(t, 10*time.Second, "the registration eval", func() bool {
		e := evalOf(t, s, reg.EvalID)
		return e != nil && e.Terminal()
	})

	unchanged := planJob(t, s, schedtest.Job("web", 3), false)
	if u := unchanged.Annotations.DesiredTGUpdates["web"]; *u != (drover.DesiredUpdates{Ignore: 3}) {
		t.Errorf("same job: %+v, want Ignore 3", u)
	}
	if unchanged.JobModifyIndex != reg.JobModifyIndex {
		t.Errorf("JobModifyIndex %d, want the registered job's %d", unchanged.JobModifyIndex, reg.JobModifyIndex)
	}

	before := markState(t, s)
	down := planJob(t, s, schedtest.Job("web", 1), false).Annotations.DesiredTGUpdates["web"]
	// The one kept allocation is left alone or updated; which depends on
	// whether the scheduler updates a count change in place.
	if down.Stop != 2 || down.Place != 0 || down.Ignore+down.InPlaceUpdate+down.DestructiveUpdate != 1 {
		t.Errorf("scale down 3→1: %+v, want 2 stops and 1 kept", down)
	}
	up := planJob(t, s, schedtest.Job("web", 5), false).Annotations.DesiredTGUpdates["web"]
	if up.Place != 2 || up.Stop != 0 || up.Ignore+up.InPlaceUpdate+up.DestructiveUpdate != 3 {
		t.Errorf("scale up 3→5: %+v, want 2 placements and 3 kept", up)
	}
	if after := markState(t, s); after != before {
		t.Fatalf("plan wrote to state: %+v, then %+v", before, after)
	}
	if n := len(liveAllocs(t, s, "web")); n != 3 {
		t.Fatalf("%d live allocations after planning, want 3", n)
	}
}

func TestJobPlanUnknownDriver(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	job := schedtest.Job("dock", 2)
	job.TaskGroups[0].Tasks[0].Driver = "docker"
	before := markState(t, s)

	reply := planJob(t, s, job, false)

	if markState(t, s) != before {
		t.Fatal("plan wrote to state")
	}
	m := reply.FailedTGAllocs["web"]
	if m == nil || m.ConstraintFiltered["missing drivers"] == 0 && m.NodesFiltered == 0 {
		t.Fatalf("FailedTGAllocs %+v, want the group filtered for its driver", reply.FailedTGAllocs)
	}
	if len(reply.CreatedEvals) != 1 || reply.CreatedEvals[0].Status != drover.EvalStatusBlocked {
		t.Fatalf("CreatedEvals %+v, want one blocked eval", reply.CreatedEvals)
	}
	if !strings.Contains(reply.Warnings, `driver "docker" is not available on any node`) {
		t.Errorf("warnings %q, want the unknown driver named", reply.Warnings)
	}
	if u := reply.Annotations.DesiredTGUpdates["web"]; u.Place != 2 {
		t.Errorf("annotations %+v: the scheduler still wants 2 placements", u)
	}
}

func TestJobPlanInvalidAndUnsupported(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	bad := schedtest.Job("web", -1)
	bad.TaskGroups = append(bad.TaskGroups, &drover.TaskGroup{Name: "web", Count: 1})
	var reply drover.JobPlanResponse
	err := s.RPC(context.Background(), drover.MethodJobPlan, &drover.JobPlanRequest{Job: bad}, &reply)
	if !errors.Is(err, drover.ErrInvalid) || !strings.Contains(err.Error(), "twice") || !strings.Contains(err.Error(), "count") {
		t.Fatalf("plan of an invalid job: %v, want ErrInvalid naming every problem", err)
	}
	if err := s.RPC(context.Background(), drover.MethodJobPlan, &drover.JobPlanRequest{}, &reply); !errors.Is(err, drover.ErrInvalid) {
		t.Fatalf("plan without job: %v", err)
	}

	periodic := rawJob("cron", drover.JobTypeBatch)
	periodic.Periodic = &drover.PeriodicConfig{Enabled: true, Specs: []string{"*/5 * * * *"}, SpecType: "cron"}
	before := markState(t, s)
	r := planJob(t, s, periodic, false)
	if markState(t, s) != before {
		t.Fatal("plan wrote to state")
	}
	if now := time.Now(); !r.NextPeriodicLaunch.After(now) || r.NextPeriodicLaunch.After(now.Add(5*time.Minute)) {
		t.Errorf("NextPeriodicLaunch %v, want within 5 minutes of now", r.NextPeriodicLaunch)
	}
	if strings.Contains(r.Warnings, "not supported") {
		t.Errorf("warnings %q: periodic jobs are supported", r.Warnings)
	}
	if u := r.Annotations.DesiredTGUpdates["g"]; u == nil || *u != (drover.DesiredUpdates{}) {
		t.Errorf("annotations %+v, want an empty entry for the group", r.Annotations.DesiredTGUpdates)
	}
}

func TestJobValidate(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	validate := func(job *drover.Job) *drover.JobValidateResponse {
		t.Helper()
		var reply drover.JobValidateResponse
		if err := s.RPC(context.Background(), drover.MethodJobValidate, &drover.JobValidateRequest{Job: job}, &reply); err != nil {
			t.Fatalf("validate: %v", err)
		}
		return &reply
	}

	ok := validate(schedtest.Job("web", 1))
	if len(ok.ValidationErrors) != 0 || ok.Error != "" || ok.Warnings != "" || ok.DriverConfigValidated {
		t.Fatalf("valid job: %+v", ok)
	}

	bad := schedtest.Job("bad id!", -1)
	bad.Priority = 1000
	r := validate(bad)
	if len(r.ValidationErrors) < 3 {
		t.Fatalf("ValidationErrors %q, want each of the 3 problems", r.ValidationErrors)
	}
	for _, want := range []string{"bad id!", "priority", "count"} {
		if !strings.Contains(strings.ToLower(r.Error), want) {
			t.Errorf("Error %q does not mention %q", r.Error, want)
		}
	}

	dock := schedtest.Job("dock", 1)
	dock.TaskGroups[0].Tasks[0].Driver = "docker"
	dock.TaskGroups[0].Update = &drover.UpdateStrategy{Stagger: time.Second}
	if w := validate(dock).Warnings; !strings.Contains(w, `driver "docker"`) || !strings.Contains(w, "stagger is deprecated") {
		t.Errorf("warnings %q, want the unknown driver and the deprecated stagger", w)
	}

	sys := rawJob("sys", drover.JobTypeSystem)
	if r := validate(sys); strings.Contains(r.Warnings, "not supported") {
		t.Errorf("system job: %+v, want no warning that run refuses it", r)
	}
}

// rawJob is a job of typ as a job file gives it: one group "g" of one
// raw_exec task, not canonicalized.
func rawJob(id, typ string) *drover.Job {
	return &drover.Job{ID: id, Type: typ, TaskGroups: []*drover.TaskGroup{{
		Name: "g", Count: 1, Tasks: []*drover.Task{{Name: "t", Driver: "raw_exec"}},
	}}}
}

func TestJobPlanDiff(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))

	added := planJob(t, s, schedtest.Job("web", 2), true)
	if added.Diff == nil || added.Diff.Type != drover.DiffTypeAdded || added.Diff.ID != "web" {
		t.Fatalf("diff of a new job %+v, want Added", added.Diff)
	}
	if noDiff := planJob(t, s, schedtest.Job("web", 2), false); noDiff.Diff != nil {
		t.Errorf("diff without asking: %+v", noDiff.Diff)
	}

	registerJob(t, s, schedtest.Job("web", 2))
	waitLive(t, s, "web", 2)
	same := planJob(t, s, schedtest.Job("web", 2), true)
	if same.Diff == nil || same.Diff.Type != drover.DiffTypeNone {
		t.Errorf("diff of the same job %+v, want None", same.Diff)
	}

	up := planJob(t, s, schedtest.Job("web", 4), true)
	if up.Diff == nil || up.Diff.Type != drover.DiffTypeEdited || len(up.Diff.TaskGroups) != 1 {
		t.Fatalf("diff of a count change %+v, want one edited group", up.Diff)
	}
	tg := up.Diff.TaskGroups[0]
	if tg.Name != "web" || tg.Type != drover.DiffTypeEdited || tg.Updates[drover.UpdateTypeCreate] != 2 {
		t.Errorf("group diff %+v, want web edited with 2 creates", tg)
	}
	var count *drover.FieldDiff
	for _, f := range tg.Fields {
		if f.Name == "Count" {
			count = f
		}
	}
	if count == nil || count.Old != "2" || count.New != "4" || len(count.Annotations) != 1 || count.Annotations[0] != drover.AnnotationForcesCreate {
		t.Errorf("Count diff %+v, want 2 → 4 forcing create", count)
	}
}
