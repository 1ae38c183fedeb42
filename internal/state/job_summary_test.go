package state

import (
	"testing"

	"github.com/drover-sh/drover"
)

func TestJobStatus(t *testing.T) {
	job := testJob("web")
	alloc := func(desired, client string) *drover.Allocation {
		return &drover.Allocation{DesiredStatus: desired, ClientStatus: client}
	}
	eval := func(status string) *drover.Evaluation { return &drover.Evaluation{Status: status} }
	stopped := testJob("web")
	stopped.Stop = true
	tests := []struct {
		name       string
		job        *drover.Job
		allocs     []*drover.Allocation
		evals      []*drover.Evaluation
		evalDelete bool
		want       string
	}{
		{"new job", job, nil, nil, false, drover.JobStatusPending},
		{"eval pending", job, nil, []*drover.Evaluation{eval("pending")}, false, drover.JobStatusPending},
		{"eval blocked", job, nil, []*drover.Evaluation{eval("complete"), eval("blocked")}, false, drover.JobStatusPending},
		{"alloc starting", job, []*drover.Allocation{alloc("run", "pending")}, nil, false, drover.JobStatusRunning},
		{"one alloc running", job, []*drover.Allocation{alloc("run", "failed"), alloc("run", "running")}, []*drover.Evaluation{eval("complete")}, false, drover.JobStatusRunning},
		{"all allocs done", job, []*drover.Allocation{alloc("run", "complete"), alloc("stop", "running")}, []*drover.Evaluation{eval("complete")}, false, drover.JobStatusDead},
		{"done but eval pending", job, []*drover.Allocation{alloc("run", "failed")}, []*drover.Evaluation{eval("pending")}, false, drover.JobStatusPending},
		{"evals complete, nothing placed", job, nil, []*drover.Evaluation{eval("complete")}, false, drover.JobStatusDead},
		{"evals garbage-collected", job, nil, nil, true, drover.JobStatusDead},
		{"stopped with running allocs", stopped, []*drover.Allocation{alloc("run", "running")}, nil, false, drover.JobStatusDead},
	}
	for _, tt := range tests {
		if got := jobStatus(tt.job, tt.allocs, tt.evals, tt.evalDelete); got != tt.want {
			t.Errorf("%s: status %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestJobStatusAndSummaryFollowAllocs drives a job through its life and
// checks the derived status and summary at each step.
func TestJobStatusAndSummaryFollowAllocs(t *testing.T) {
	s := newStore(t)
	job := testJob("web")
	must(t, s.UpsertJobWithEval(10, job, testEval("e1", "web", drover.EvalStatusPending)))
	check := func(step, status string, want drover.TaskGroupSummary) {
		t.Helper()
		j, _ := s.JobByID(nil, "default", "web")
		if j.Status != status {
			t.Errorf("%s: status %q, want %q", step, j.Status, status)
		}
		sum, _ := s.JobSummaryByID(nil, "default", "web")
		if sum == nil || sum.Summary["web"] != want {
			t.Errorf("%s: summary %+v, want %+v", step, sum, want)
		}
	}
	check("registered", drover.JobStatusPending, drover.TaskGroupSummary{})

	stored, _ := s.JobByID(nil, "default", "web")
	done := testEval("e1", "web", drover.EvalStatusComplete)
	done.QueuedAllocations = map[string]int{"web": 1}
	blocked := testEval("e2", "web", drover.EvalStatusBlocked)
	blocked.QueuedAllocations = map[string]int{"web": 1}
	must(t, s.UpsertPlanResults(11, &ApplyPlanResultsRequest{
		Job: stored, EvalID: "e1",
		AllocsUpdated: []*drover.Allocation{testAlloc("a1", stored, "n1", "")},
		Evals:         []*drover.Evaluation{done, blocked},
	}))
	check("placed one of two", drover.JobStatusRunning, drover.TaskGroupSummary{Starting: 1, Queued: 1})

	must(t, s.UpdateAllocsFromClient(12, []*drover.Allocation{{ID: "a1", ClientStatus: drover.AllocClientStatusRunning}}))
	check("running", drover.JobStatusRunning, drover.TaskGroupSummary{Running: 1, Queued: 1})

	unblocked := testEval("e2", "web", drover.EvalStatusComplete)
	unblocked.QueuedAllocations = map[string]int{"web": 0}
	must(t, s.UpsertPlanResults(13, &ApplyPlanResultsRequest{
		Job: stored, EvalID: "e2",
		AllocsUpdated: []*drover.Allocation{testAlloc("a2", stored, "n2", "")},
		Evals:         []*drover.Evaluation{unblocked},
	}))
	check("placed the rest", drover.JobStatusRunning, drover.TaskGroupSummary{Running: 1, Starting: 1})

	must(t, s.UpdateAllocsFromClient(14, []*drover.Allocation{
		{ID: "a1", ClientStatus: drover.AllocClientStatusComplete},
		{ID: "a2", ClientStatus: drover.AllocClientStatusFailed},
	}))
	check("all terminal", drover.JobStatusDead, drover.TaskGroupSummary{Complete: 1, Failed: 1})
	j, _ := s.JobByID(nil, "default", "web")
	if j.ModifyIndex != 14 || j.JobModifyIndex != 10 || j.Version != 0 {
		t.Fatalf("status change: modify %d jobmodify %d v%d, want 14, 10, v0", j.ModifyIndex, j.JobModifyIndex, j.Version)
	}
	sum, _ := s.JobSummaryByID(nil, "default", "web")
	if sum.CreateIndex != 10 || sum.ModifyIndex != 14 {
		t.Fatalf("summary indexes create %d modify %d, want 10, 14", sum.CreateIndex, sum.ModifyIndex)
	}

	// A client update that changes nothing leaves the summary alone.
	must(t, s.UpdateAllocsFromClient(15, []*drover.Allocation{{ID: "a1", ClientStatus: drover.AllocClientStatusComplete}}))
	if sum, _ := s.JobSummaryByID(nil, "default", "web"); sum.ModifyIndex != 14 {
		t.Fatalf("summary rewritten without change: modify %d", sum.ModifyIndex)
	}
	if idx, _ := s.Index(TableJobSummary); idx != 14 {
		t.Fatalf("job_summary index %d, want 14", idx)
	}

	// GC of every eval and alloc: still dead.
	must(t, s.DeleteEvals(16, []string{"e1", "e2"}, []string{"a1", "a2"}))
	check("collected", drover.JobStatusDead, drover.TaskGroupSummary{})
}
