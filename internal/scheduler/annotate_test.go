package scheduler_test

import (
	"testing"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

// annotated processes an annotated evaluation of job and returns the
// annotations of the plan it submitted.
func annotated(t *testing.T, h *schedtest.Harness, job *drover.Job) *drover.DesiredUpdates {
	t.Helper()
	ev := schedtest.Eval(job)
	ev.AnnotatePlan = true
	plans := len(h.Plans)
	processEval(t, h, ev)
	if len(h.Plans) != plans+1 {
		t.Fatalf("%d plans submitted, want 1 (an annotated plan is submitted even when it changes nothing)", len(h.Plans)-plans)
	}
	a := h.Plans[len(h.Plans)-1].Annotations
	if a == nil || a.DesiredTGUpdates["web"] == nil {
		t.Fatalf("plan annotations = %+v, want counts for group web", a)
	}
	return a.DesiredTGUpdates["web"]
}

func TestPlanAnnotations(t *testing.T) {
	h := cluster(t, 3)
	job := schedtest.Job("web", 3)
	h.UpsertJob(job)
	if got, want := *annotated(t, h, job), (drover.DesiredUpdates{Place: 3}); got != want {
		t.Fatalf("new job: %+v, want %+v", got, want)
	}

	// Nothing changed: every allocation is left alone.
	if got, want := *annotated(t, h, job), (drover.DesiredUpdates{Ignore: 3}); got != want {
		t.Fatalf("unchanged job: %+v, want %+v", got, want)
	}

	// Same version, lower count: stops.
	down := *job
	down.TaskGroups = []*drover.TaskGroup{ptrCopy(job.TaskGroups[0])}
	down.TaskGroups[0].Count = 1
	keepVersion(h, job, &down)
	if got, want := *annotated(t, h, &down), (drover.DesiredUpdates{Ignore: 1, Stop: 2}); got != want {
		t.Fatalf("scale down: %+v, want %+v", got, want)
	}

	// A new version: the remaining allocation is replaced (one destructive
	// update, not also a placement) and two more are placed.
	v2 := down
	v2.Version++
	v2.TaskGroups = []*drover.TaskGroup{ptrCopy(down.TaskGroups[0])}
	v2.TaskGroups[0].Count = 3
	v2.Meta = map[string]string{"v": "2"}
	h.UpsertJob(&v2)
	if got, want := *annotated(t, h, &v2), (drover.DesiredUpdates{Place: 2, DestructiveUpdate: 1}); got != want {
		t.Fatalf("new version: %+v, want %+v", got, want)
	}
}

func TestPlanNotAnnotatedUnlessAsked(t *testing.T) {
	h := cluster(t, 2)
	job := schedtest.Job("web", 1)
	h.UpsertJob(job)
	process(t, h, job)
	if len(h.Plans) != 1 || h.Plans[0].Annotations != nil {
		t.Fatalf("plans %d, annotations %+v: want one plan without annotations", len(h.Plans), h.Plans[0].Annotations)
	}
	process(t, h, job)
	if len(h.Plans) != 1 {
		t.Fatalf("a no-op plan was submitted without AnnotatePlan")
	}
}
