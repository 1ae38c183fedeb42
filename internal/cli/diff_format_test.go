package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/jobspec"
)

// webV1 is a job as first registered; webV2 edits it: one more instance,
// another memory size and command, an env variable and a job meta added, a
// group removed and one added.
const webV1 = `job "web" {
  datacenters = ["dc1"]
  group "web" {
    count = 2
    task "server" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "sleep 1000"]
      }
      resources {
        memory = 64
      }
    }
  }
  group "cache" {
    task "redis" {
      driver = "raw_exec"
      config {
        command = "/usr/bin/redis-server"
      }
    }
  }
}
`

var webV2 = strings.NewReplacer(
	`datacenters = ["dc1"]`, "datacenters = [\"dc1\"]\n  meta {\n    owner = \"ops\"\n  }",
	"count = 2", "count = 3",
	"memory = 64", "memory = 128",
	`"sleep 1000"`, `"sleep 2000"`,
	`group "cache"`, `group "worker"`,
	`task "redis"`, "task \"work\" {\n      driver = \"mock\"\n      env {\n        MODE = \"fast\"\n      }\n    }\n    task \"redis\"",
).Replace(webV1)

// TestPlanDiffGolden renders the root package's real contextual job diff
// (what the servers' plan computes) of webV1 → webV2, of a new job and of
// an unchanged one, as job plan prints them.
// (Verbose output, which lists every unchanged field, is covered on a
// fixed diff by TestJobPlan, so that this golden changes only when what a
// plan shows changes.)
func TestPlanDiffGolden(t *testing.T) {
	parse := func(src string) *drover.Job {
		t.Helper()
		res, err := jobspec.ParseWithOptions("web.nomad.hcl", []byte(src), jobspec.Options{})
		if err != nil {
			t.Fatal(err)
		}
		res.Job.Canonicalize()
		return res.Job
	}
	v1, v2 := parse(webV1), parse(webV2)
	var b strings.Builder
	for _, c := range []struct {
		title    string
		old, new *drover.Job
		verbose  bool
	}{
		{"edit", v1, v2, false},
		{"new job", nil, v1, false},
		{"unchanged", v1, v1, false},
	} {
		diff, err := c.old.Diff(c.new, true) // contextual, as the servers' plan asks
		if err != nil {
			t.Fatalf("%s: %v", c.title, err)
		}
		fmt.Fprintf(&b, "=== %s\n%s\n", c.title, formatJobDiff(diff, c.verbose))
	}
	path := filepath.Join("testdata", "plan_diff_render.golden")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if b.String() != string(want) {
		t.Errorf("rendered diffs differ from %s (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, b.String(), want)
	}
}

// TestFormatJobDiffAlignment checks the layout rules on a hand-made diff:
// markers padded to the widest, values aligned after the longest name,
// closing braces under the object's name, unchanged tasks unexpanded.
func TestFormatJobDiffAlignment(t *testing.T) {
	got := formatJobDiff(editDiff(), false)
	want := `+/- Job: "hello"
+/- Priority: "50" => "60"
+/- Task Group: "hello"
  +/- Count: "1" => "3" (forces create)
  +/- Task: "hello" (forces create/destroy update)
    +   Env[GREETING]: "hi"
    +/- Config {
          args[0]: "-c"
      +/- command: "/bin/sh" => "/bin/bash"
        }
      Task: "sidecar"

-   Task Group: "old"
    - Task: "old" (forces destroy)`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if formatJobDiff(nil, true) != "" {
		t.Errorf("a nil diff must render as nothing")
	}
}

// TestPlanChangesAllocs: the plan's exit code follows the annotations, or
// the diff's update counts when there are none.
func TestPlanChangesAllocs(t *testing.T) {
	tests := []struct {
		name string
		resp *drover.JobPlanResponse
		want bool
	}{
		{"ignore only", unchangedPlan(), false},
		{"in-place only", &drover.JobPlanResponse{Annotations: &drover.PlanAnnotations{
			DesiredTGUpdates: map[string]*drover.DesiredUpdates{"a": {InPlaceUpdate: 2, Ignore: 1}}}}, false},
		{"place", newJobPlan(), true},
		{"stop", &drover.JobPlanResponse{Annotations: &drover.PlanAnnotations{
			DesiredTGUpdates: map[string]*drover.DesiredUpdates{"a": {Stop: 1}}}}, true},
		{"destructive", &drover.JobPlanResponse{Annotations: &drover.PlanAnnotations{
			DesiredTGUpdates: map[string]*drover.DesiredUpdates{"a": {DestructiveUpdate: 1}}}}, true},
		{"diff counts only", &drover.JobPlanResponse{Diff: &drover.JobDiff{TaskGroups: []*drover.TaskGroupDiff{
			{Name: "a", Updates: map[string]uint64{drover.UpdateTypeCreate: 1}}}}}, true},
		{"nothing", &drover.JobPlanResponse{}, false},
	}
	for _, tt := range tests {
		if got := planChangesAllocs(tt.resp); got != tt.want {
			t.Errorf("%s: planChangesAllocs = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestWriteDryRun covers the dry run's lines: success, failures (a system
// job's wording), a rolling update's next evaluation, a periodic job's next
// launch.
func TestWriteDryRun(t *testing.T) {
	system := helloJob()
	system.Type = drover.JobTypeSystem
	periodic := helloJob()
	periodic.Periodic = &drover.PeriodicConfig{Enabled: true}
	tests := []struct {
		name string
		resp *drover.JobPlanResponse
		job  *drover.Job
		want string
	}{
		{"ok", newJobPlan(), helloJob(), "- All tasks successfully allocated.\n"},
		{"system failure", failedPlan(), system, "- WARNING: Failed to place allocations on all nodes.\n" +
			"  Task Group \"hello\" (failed to place 3 allocations):\n" +
			"    * Constraint \"missing drivers\": 1 nodes excluded by filter\n" +
			"    * Resources exhausted on 1 nodes\n" +
			"    * Dimension \"memory\" exhausted on 1 nodes\n"},
		{"rolling", &drover.JobPlanResponse{CreatedEvals: []*drover.Evaluation{{TriggeredBy: "rolling-update", Wait: 30e9}}}, helloJob(),
			"- All tasks successfully allocated.\n- Rolling update, next evaluation will be in 30s.\n"},
		{"periodic", &drover.JobPlanResponse{NextPeriodicLaunch: testNow.Add(90e9)}, periodic,
			"- All tasks successfully allocated.\n- If submitted now, next periodic launch would be at 2026-11-21T20:52:33Z (1m30s from now).\n"},
	}
	for _, tt := range tests {
		var b strings.Builder
		writeDryRun(&b, tt.resp, tt.job, testNow)
		if b.String() != tt.want {
			t.Errorf("%s:\n%s\nwant:\n%s", tt.name, b.String(), tt.want)
		}
	}
}
