package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/drover-sh/drover"
)

func TestFillLeftOut(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		counts     []int
		enabled    bool
	}{
		{"count left out", `{"Job": {"TaskGroups": [{"Name": "a"}, {"Name": "b", "Count": 0}, {"Name": "c", "Count": 3}]}}`, []int{1, 0, 3}, false},
		{"count null", `{"Job": {"TaskGroups": [{"Name": "a", "Count": null}]}}`, []int{1}, false},
		{"periodic enabled left out", `{"Job": {"Periodic": {"Specs": ["@daily"]}}}`, nil, true},
		{"periodic disabled", `{"Job": {"Periodic": {"Enabled": false}}}`, nil, false},
		{"periodic enabled", `{"Job": {"Periodic": {"Enabled": true}}}`, nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest("PUT", "/v1/jobs", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			var body jobRegisterBody
			raw, err := decodeJobBody(req, &body)
			if err != nil {
				t.Fatal(err)
			}
			fillLeftOut(raw, body.Job)
			for i, want := range tt.counts {
				if got := body.Job.TaskGroups[i].Count; got != want {
					t.Errorf("group %d count %d, want %d", i, got, want)
				}
			}
			if body.Job.Periodic != nil && body.Job.Periodic.Enabled != tt.enabled {
				t.Errorf("periodic enabled %v, want %v", body.Job.Periodic.Enabled, tt.enabled)
			}
		})
	}
}

func TestRegisterPreserve(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		conflicts  int // registrations answered with a conflict first
		wantStatus int
		wantTries  int
		wantIndex  uint64 // JobModifyIndex of the last registration
	}{
		{"kept count, guarded by the read index", `{"PreserveCounts": true, "Job": {"ID": "web", "TaskGroups": [{"Name": "web", "Count": 9}, {"Name": "new", "Count": 4}]}}`, 0, 200, 1, 7},
		{"retried after a concurrent change", `{"PreserveCounts": true, "Job": {"ID": "web", "TaskGroups": [{"Name": "web", "Count": 9}]}}`, 1, 200, 2, 7},
		{"gives up after three conflicts", `{"PreserveCounts": true, "Job": {"ID": "web", "TaskGroups": [{"Name": "web", "Count": 9}]}}`, 5, 409, 3, 7},
		{"the caller's own index is not retried", `{"PreserveCounts": true, "EnforceIndex": true, "JobModifyIndex": 3, "Job": {"ID": "web", "TaskGroups": [{"Name": "web", "Count": 9}]}}`, 5, 409, 1, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var registered []*drover.JobRegisterRequest
			f := scaleFake(&registered)
			inner := f.JobRegister
			f.JobRegister = func(a *drover.JobRegisterRequest, r *drover.JobRegisterResponse) error {
				if err := inner(a, r); err != nil {
					return err
				}
				if len(registered) <= tt.conflicts {
					return drover.Errorf(drover.ErrConflict, "job modify index changed")
				}
				return nil
			}
			w := serve(t, New(Config{RPC: f}), "PUT", "/v1/jobs", tt.body)
			if w.Code != tt.wantStatus || len(registered) != tt.wantTries {
				t.Fatalf("status %d after %d registrations, want %d after %d: %s", w.Code, len(registered), tt.wantStatus, tt.wantTries, w.Body)
			}
			last := registered[len(registered)-1]
			if !last.EnforceIndex || last.JobModifyIndex != tt.wantIndex {
				t.Fatalf("registered with enforce %v at %d, want at %d", last.EnforceIndex, last.JobModifyIndex, tt.wantIndex)
			}
			counts := map[string]int{}
			for _, tg := range last.Job.TaskGroups {
				counts[tg.Name] = tg.Count
			}
			if counts["web"] != 2 || (counts["new"] != 0 && counts["new"] != 4) {
				t.Fatalf("counts %v: want web kept at 2, new as sent", counts)
			}
		})
	}
}
