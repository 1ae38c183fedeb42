package scheduler_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler"
	"github.com/drover-sh/drover/internal/scheduler/reconcile"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

// cluster returns a harness with n standard nodes.
func cluster(t testing.TB, n int) *schedtest.Harness {
	t.Helper()
	h := schedtest.New()
	for _, node := range schedtest.Nodes(n) {
		h.UpsertNode(node)
	}
	return h
}

// process runs one evaluation of job and returns the recorded outcome.
func process(t testing.TB, h *schedtest.Harness, job *drover.Job) *drover.Evaluation {
	t.Helper()
	return processEval(t, h, schedtest.Eval(job))
}

func processEval(t testing.TB, h *schedtest.Harness, eval *drover.Evaluation) *drover.Evaluation {
	t.Helper()
	s, err := scheduler.New(eval.Type, slog.New(slog.DiscardHandler), h, h)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Process(eval); err != nil {
		t.Fatalf("Process: %v", err)
	}
	got := h.Eval(eval.ID)
	if got == nil {
		t.Fatalf("eval %s was not updated", eval.ID)
	}
	return got
}

func names(allocs []*drover.Allocation) []string {
	var out []string
	for _, a := range allocs {
		out = append(out, a.Name)
	}
	return out
}

func TestNewRejectsUnknownTypes(t *testing.T) {
	h := schedtest.New()
	for _, typ := range []string{drover.JobTypeService, drover.JobTypeBatch, drover.JobTypeSystem, drover.JobTypeSysBatch} {
		if s, err := scheduler.New(typ, nil, h, h); err != nil || s == nil {
			t.Errorf("New(%q) = %v, %v, want a scheduler", typ, s, err)
		}
	}
	if _, err := scheduler.New("bogus", nil, h, h); !errors.Is(err, drover.ErrInvalid) {
		t.Errorf("New(bogus) = %v, want ErrInvalid", err)
	}
}

func TestServicePlacesCount(t *testing.T) {
	h := cluster(t, 5)
	job := schedtest.Job("web", 3)
	h.UpsertJob(job)
	ev := process(t, h, job)
	if ev.Status != drover.EvalStatusComplete || len(ev.FailedTGAllocs) != 0 {
		t.Fatalf("eval = %s %v, want complete without failures", ev.Status, ev.FailedTGAllocs)
	}
	allocs := h.LiveAllocs(job.Namespace, job.ID)
	want := []string{"web.web[0]", "web.web[1]", "web.web[2]"}
	if got := names(allocs); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("names = %v, want %v", got, want)
	}
	nodes := map[string]bool{}
	for _, a := range allocs {
		if a.DesiredStatus != drover.AllocDesiredStatusRun || a.ClientStatus != drover.AllocClientStatusPending {
			t.Errorf("%s: status %s/%s", a.Name, a.DesiredStatus, a.ClientStatus)
		}
		if a.EvalID != ev.ID || a.JobID != job.ID || a.Job != job || a.TaskGroup != "web" || a.Namespace != job.Namespace {
			t.Errorf("%s: identity fields wrong: %+v", a.Name, a)
		}
		if a.NodeName == "" || a.Metrics == nil || a.Metrics.NodesEvaluated == 0 || a.CreateTime == 0 {
			t.Errorf("%s: node name/metrics/time missing", a.Name)
		}
		tr := a.AllocatedResources.Tasks["server"]
		if tr.Cpu.CpuShares != 500 || tr.Memory.MemoryMB != 256 || a.AllocatedResources.Shared.DiskMB != 150 {
			t.Errorf("%s: resources %+v", a.Name, tr)
		}
		nodes[a.NodeID] = true
	}
	if len(nodes) != 3 {
		t.Errorf("3 allocs on %d nodes, want spread over 3 by anti-affinity", len(nodes))
	}
	if ev.QueuedAllocations["web"] != 0 || len(h.CreatedEvals) != 0 {
		t.Errorf("queued %v, created evals %d; want 0, 0", ev.QueuedAllocations, len(h.CreatedEvals))
	}
	// A second evaluation changes nothing.
	plans := len(h.Plans)
	process(t, h, job)
	if len(h.Plans) != plans {
		t.Errorf("re-evaluation submitted a plan")
	}
}

func TestBatchCompletedAllocsAreNotReplaced(t *testing.T) {
	h := cluster(t, 3)
	job := schedtest.BatchJob("etl", 2)
	h.UpsertJob(job)
	process(t, h, job)
	allocs := h.LiveAllocs(job.Namespace, job.ID)
	if len(allocs) != 2 {
		t.Fatalf("placed %d, want 2", len(allocs))
	}
	done := *allocs[0]
	done.ClientStatus = drover.AllocClientStatusComplete
	failed := *allocs[1]
	failed.ClientStatus = drover.AllocClientStatusFailed
	h.UpsertAllocs(&done, &failed)
	ev := process(t, h, job)
	// The failed one waits for its reschedule delay (see reschedule_test.go);
	// the completed one is never replaced.
	if got := h.LiveAllocs(job.Namespace, job.ID); len(got) != 2 || ev.Status != drover.EvalStatusComplete {
		t.Fatalf("a completed and a failed batch alloc were replaced: %d live allocs", len(got))
	}
}

func TestScaleUpAndDownStopsNewestFirst(t *testing.T) {
	h := cluster(t, 5)
	job := schedtest.Job("web", 2)
	h.UpsertJob(job)
	process(t, h, job)

	// Scale up: same version, more instances at the next free indexes.
	up := *job
	up.TaskGroups = []*drover.TaskGroup{ptrCopy(job.TaskGroups[0])}
	up.TaskGroups[0].Count = 5
	keepVersion(h, job, &up) // a count change only: same version

	process(t, h, &up)
	if got := names(h.LiveAllocs(job.Namespace, job.ID)); len(got) != 5 || got[4] != "web.web[4]" {
		t.Fatalf("after scale up: %v", got)
	}

	down := up
	down.TaskGroups = []*drover.TaskGroup{ptrCopy(up.TaskGroups[0])}
	down.TaskGroups[0].Count = 2
	keepVersion(h, job, &down)
	process(t, h, &down)
	got := names(h.LiveAllocs(job.Namespace, job.ID))
	if strings.Join(got, " ") != "web.web[0] web.web[1]" {
		t.Fatalf("after scale down: %v, want the two lowest indexes kept", got)
	}
	last := h.Plans[len(h.Plans)-1]
	for _, as := range last.NodeUpdate {
		for _, a := range as {
			if a.DesiredDescription != reconcile.DescScaledDown {
				t.Errorf("stop description %q", a.DesiredDescription)
			}
		}
	}
}

func ptrCopy(tg *drover.TaskGroup) *drover.TaskGroup { c := *tg; return &c }

// keepVersion stores j as the same version as orig, as the state store does
// for a change of count only.
func keepVersion(h *schedtest.Harness, orig, j *drover.Job) {
	h.UpsertJob(j)
	j.JobModifyIndex = orig.JobModifyIndex
	j.Version = orig.Version
}

func TestJobStopStopsAll(t *testing.T) {
	h := cluster(t, 3)
	job := schedtest.Job("web", 3)
	h.UpsertJob(job)
	process(t, h, job)
	stopped := *job
	stopped.Stop = true
	h.UpsertJob(&stopped)
	ev := process(t, h, &stopped)
	if n := len(h.LiveAllocs(job.Namespace, job.ID)); n != 0 {
		t.Fatalf("%d allocs still live after stop", n)
	}
	if ev.Status != drover.EvalStatusComplete {
		t.Fatalf("eval status %s", ev.Status)
	}
	for _, as := range h.Plans[len(h.Plans)-1].NodeUpdate {
		for _, a := range as {
			if a.DesiredDescription != reconcile.DescJobStopped {
				t.Errorf("description %q", a.DesiredDescription)
			}
		}
	}
}

func TestJobUpdateReplacesDestructively(t *testing.T) {
	h := cluster(t, 3)
	job := schedtest.Job("web", 2)
	h.UpsertJob(job)
	process(t, h, job)
	old := h.LiveAllocs(job.Namespace, job.ID)

	v2 := *job
	v2.Version = 1
	v2.TaskGroups = []*drover.TaskGroup{ptrCopy(job.TaskGroups[0])}
	v2.Meta = map[string]string{"v": "2"}
	h.UpsertJob(&v2)
	process(t, h, &v2)
	now := h.LiveAllocs(job.Namespace, job.ID)
	if len(now) != 2 {
		t.Fatalf("%d live allocs, want 2", len(now))
	}
	oldIDs := map[string]string{}
	for _, a := range old {
		oldIDs[a.ID] = a.Name
	}
	for _, a := range now {
		if a.Job.Version != 1 {
			t.Errorf("%s runs version %d", a.Name, a.Job.Version)
		}
		if name, ok := oldIDs[a.PreviousAllocation]; !ok || name != a.Name {
			t.Errorf("%s replaces %q, want the old alloc of the same name", a.Name, a.PreviousAllocation)
		}
	}
}

func TestUnknownDriverBlocksOnce(t *testing.T) {
	h := cluster(t, 4)
	job := schedtest.Job("web", 3)
	job.TaskGroups[0].Tasks[0].Driver = "nosuch"
	h.UpsertJob(job)
	ev := process(t, h, job)
	if len(h.Plans) != 0 {
		t.Errorf("a plan was submitted")
	}
	m := ev.FailedTGAllocs["web"]
	if m == nil {
		t.Fatalf("no FailedTGAllocs for web: %+v", ev)
	}
	if m.ConstraintFiltered[feasibleMissingDrivers] != 4 || m.NodesEvaluated != 4 || m.CoalescedFailures != 2 {
		t.Errorf("metric = %+v, want 4 filtered by missing drivers and 2 coalesced", m)
	}
	if ev.QueuedAllocations["web"] != 3 || ev.Status != drover.EvalStatusComplete {
		t.Errorf("queued %v status %s", ev.QueuedAllocations, ev.Status)
	}
	if len(h.CreatedEvals) != 1 {
		t.Fatalf("created %d evals, want one blocked eval", len(h.CreatedEvals))
	}
	b := h.CreatedEvals[0]
	if b.Status != drover.EvalStatusBlocked || b.TriggeredBy != drover.EvalTriggerQueuedAllocs ||
		b.PreviousEval != ev.ID || b.JobID != job.ID || b.Priority != job.Priority || b.Type != job.Type || ev.BlockedEval != b.ID {
		t.Errorf("blocked eval %+v, eval.BlockedEval %q", b, ev.BlockedEval)
	}
	// Retried while nothing changed, the blocked eval blocks again: one new
	// blocked eval, chained to it.
	again := *b
	again.Status = drover.EvalStatusPending
	got := processEval(t, h, &again)
	if len(h.CreatedEvals) != 2 || got.BlockedEval != h.CreatedEvals[1].ID || h.CreatedEvals[1].PreviousEval != b.ID {
		t.Fatalf("reblock: created %d evals, BlockedEval %q", len(h.CreatedEvals), got.BlockedEval)
	}
	b = h.CreatedEvals[1]
	// The blocked eval, retried after a driver appears, places and creates
	// no further blocked eval.
	for _, n := range schedtest.Nodes(1) {
		n.ID = "node-new"
		n.Attributes["driver.nosuch"] = "1"
		h.UpsertNode(n)
	}
	retry := *b
	retry.Status = drover.EvalStatusPending
	got = processEval(t, h, &retry)
	if len(h.CreatedEvals) != 2 || got.Status != drover.EvalStatusComplete || len(got.FailedTGAllocs) != 0 {
		t.Errorf("retry: created %d evals, status %s, failed %v", len(h.CreatedEvals), got.Status, got.FailedTGAllocs)
	}
	if n := len(h.LiveAllocs(job.Namespace, job.ID)); n != 3 {
		t.Errorf("retry placed %d, want 3", n)
	}
}

const feasibleMissingDrivers = "missing drivers"

func TestMemoryExhausted(t *testing.T) {
	h := cluster(t, 3)
	job := schedtest.Job("big", 1)
	job.TaskGroups[0].Tasks[0].Resources.MemoryMB = 100000
	h.UpsertJob(job)
	ev := process(t, h, job)
	m := ev.FailedTGAllocs["web"]
	if m == nil || m.DimensionExhausted["memory"] != 3 || m.NodesExhausted != 3 {
		t.Fatalf("metric = %+v, want memory exhausted on 3 nodes", m)
	}
}

func TestDatacenterFiltering(t *testing.T) {
	h := schedtest.New()
	for i, n := range schedtest.Nodes(6) {
		n.Datacenter = []string{"us-east-1", "us-west-1", "eu-1"}[i%3]
		h.UpsertNode(n)
	}
	job := schedtest.Job("web", 4)
	job.Datacenters = []string{"us-*"}
	h.UpsertJob(job)
	process(t, h, job)
	allocs := h.LiveAllocs(job.Namespace, job.ID)
	if len(allocs) != 4 {
		t.Fatalf("placed %d, want 4", len(allocs))
	}
	for _, a := range allocs {
		n, _ := h.NodeByID(a.NodeID)
		if !strings.HasPrefix(n.Datacenter, "us-") {
			t.Errorf("%s placed in %s", a.Name, n.Datacenter)
		}
	}
	job2 := schedtest.Job("nowhere", 1)
	job2.Datacenters = []string{"ap-*"}
	h.UpsertJob(job2)
	ev := process(t, h, job2)
	if m := ev.FailedTGAllocs["web"]; m == nil || m.ConstraintFiltered["node not in datacenter"] != 6 {
		t.Fatalf("metric = %+v, want 6 filtered by datacenter", m)
	}
}
