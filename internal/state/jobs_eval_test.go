package state

import (
	"testing"

	"github.com/drover-sh/drover"
)

// TestRegistrationEvalCarriesJobModifyIndex: the evaluation committed with
// a registration names the JobModifyIndex of the job as stored: the new
// index when the spec changed, the kept one when it did not.
func TestRegistrationEvalCarriesJobModifyIndex(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertJobWithEval(10, testJob("web"), testEval("e1", "web", drover.EvalStatusPending)))
	changed := testJob("web")
	changed.TaskGroups[0].Count = 3
	must(t, s.UpsertJobWithEval(12, changed, testEval("e2", "web", drover.EvalStatusPending)))
	same := testJob("web")
	same.TaskGroups[0].Count = 3
	must(t, s.UpsertJobWithEval(14, same, testEval("e3", "web", drover.EvalStatusPending)))
	for id, want := range map[string]uint64{"e1": 10, "e2": 12, "e3": 12} {
		e, err := s.EvalByID(nil, id)
		if err != nil || e == nil {
			t.Fatalf("eval %s: %v, %v", id, e, err)
		}
		if e.JobModifyIndex != want {
			t.Errorf("eval %s JobModifyIndex = %d, want %d", id, e.JobModifyIndex, want)
		}
	}
}
