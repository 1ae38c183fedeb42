package server

import (
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover"
)

func TestNotActedOnWarnings(t *testing.T) {
	delay := time.Second
	// Placement preferences are acted on: never warned about.
	job := &drover.Job{ID: "j", Spreads: []*drover.Spread{{Attribute: "${node.datacenter}"}},
		Affinities: []*drover.Affinity{{LTarget: "${meta.rack}", Operand: "=", RTarget: "r1", Weight: 50}},
		TaskGroups: []*drover.TaskGroup{{
			Name:          "web",
			Update:        &drover.UpdateStrategy{MaxParallel: 1},
			Services:      []*drover.Service{{Name: "web"}},
			ShutdownDelay: &delay,
			// Defaults every job gets are not warned about.
			ReschedulePolicy: drover.DefaultReschedulePolicy(drover.JobTypeService),
			Tasks: []*drover.Task{
				{Name: "api", Artifacts: []*drover.TaskArtifact{{GetterSource: "https://x"}}, Templates: []*drover.Template{{DestPath: "a"}},
					// A dispatched job's payload is written and artifacts are
					// fetched: acted on.
					DispatchPayload: &drover.DispatchPayloadConfig{File: "in.json"}},
				{Name: "plain"},
			},
		}},
	}
	got := strings.Join(notActedOnWarnings(job), "\n")
	for _, want := range []string{
		`group "web": not acted on yet, ignored for now: update (a new version replaces allocations without a rolling deployment), service`,
		`group "web": task "api": not acted on yet, ignored for now: template`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, `"plain"`) || strings.Contains(got, "reschedule") ||
		strings.Contains(got, "spread") || strings.Contains(got, "affinity") || strings.Contains(got, "dispatch_payload") || strings.Contains(got, "artifact") {
		t.Errorf("warned about what the job does not use:\n%s", got)
	}
	if w := notActedOnWarnings(&drover.Job{ID: "j", TaskGroups: []*drover.TaskGroup{{Name: "g", Tasks: []*drover.Task{{Name: "t"}}}}}); len(w) != 0 {
		t.Errorf("a plain job got warnings: %v", w)
	}
}

func TestWithoutDeprecations(t *testing.T) {
	in := "update: stagger is deprecated: use max_parallel\ngroup \"g\": task \"t\": driver \"x\" is not available on any node\n"
	if got := withoutDeprecations(in); got != `group "g": task "t": driver "x" is not available on any node` {
		t.Errorf("got %q", got)
	}
}

// TestDisconnectWarnings: stop_on_client_after (either spelling) is acted
// on and not warned about; lost_after, replace = false and a reconcile
// other than the default are, each by name.
func TestDisconnectWarnings(t *testing.T) {
	d := func(v time.Duration) *time.Duration { return &v }
	no := false
	for _, tc := range []struct {
		name string
		tg   *drover.TaskGroup
		want string // "" for no warning
	}{
		{"stop_on_client_after", &drover.TaskGroup{Disconnect: &drover.DisconnectStrategy{StopOnClientAfter: d(time.Minute)}}, ""},
		{"stop_after_client_disconnect", &drover.TaskGroup{StopAfterClientDisconnect: d(time.Minute)}, ""},
		{"lost_after", &drover.TaskGroup{Disconnect: &drover.DisconnectStrategy{LostAfter: time.Hour}},
			"disconnect lost_after and reconcile (allocations on a node that misses its heartbeats are lost and replaced at once)"},
		{"max_client_disconnect", &drover.TaskGroup{MaxClientDisconnect: d(time.Hour)}, "disconnect lost_after and reconcile"},
		{"replace false", &drover.TaskGroup{Disconnect: &drover.DisconnectStrategy{StopOnClientAfter: d(time.Minute), Replace: &no}},
			"disconnect replace = false (lost allocations are replaced)"},
		{"reconcile", &drover.TaskGroup{Disconnect: &drover.DisconnectStrategy{Reconcile: "keep_original"}}, `disconnect reconcile "keep_original"`},
	} {
		job := &drover.Job{ID: "j", Type: drover.JobTypeService, TaskGroups: []*drover.TaskGroup{tc.tg}}
		tc.tg.Name = "g"
		tc.tg.Tasks = []*drover.Task{{Name: "t", Driver: "raw_exec"}}
		job.Canonicalize()
		got := strings.Join(notActedOnWarnings(job), "\n")
		switch {
		case tc.want == "" && got != "":
			t.Errorf("%s: warned %q", tc.name, got)
		case tc.want != "" && !strings.Contains(got, tc.want):
			t.Errorf("%s: warnings %q lack %q", tc.name, got, tc.want)
		}
	}
}
