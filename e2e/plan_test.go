package e2e

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// TestPlanCheckIndexHistoryRevert walks the job-update workflow a Nomad user
// knows: plan an edit, run it with -check-index, see the history, revert.
func TestPlanCheckIndexHistoryRevert(t *testing.T) {
	a := startAgent(t, "", "", "-dev")
	a.waitReady()
	version := func(count int, greeting string) string {
		return writeFile(t, a.dir, fmt.Sprintf("web-%d-%s.hcl", count, greeting), fmt.Sprintf(`variable "greeting" {
  type    = string
  default = %q
}

job "web" {
  group "web" {
    count = %d
    task "server" {
      driver = "mock"
      config {
        run_for = "1h"
      }
      env {
        GREETING = var.greeting
      }
      resources {
        cpu    = 10
        memory = 10
      }
    }
  }
}
`, greeting, count))
	}
	v0 := version(1, "hello")
	a.mustDrover("job", "run", v0)
	a.waitAllocStatus("web", "running")

	// An edit: plan shows the diff and the check-index line, exit 1 (changes).
	v1 := version(2, "hi")
	plan := a.drover("job", "plan", v1)
	if plan.code != 1 {
		t.Fatalf("job plan exit %d, want 1 (allocations change)\n%s%s", plan.code, plan.stdout, plan.stderr)
	}
	for _, want := range []string{`Job: "web"`, `Task Group: "web"`, "Count", "GREETING", "Job Modify Index:"} {
		if !strings.Contains(plan.stdout, want) {
			t.Errorf("plan output lacks %q:\n%s", want, plan.stdout)
		}
	}
	m := regexp.MustCompile(`job run -check-index (\d+)`).FindStringSubmatch(plan.stdout)
	if m == nil {
		t.Fatalf("plan output has no check-index line:\n%s", plan.stdout)
	}
	index := m[1]

	// The same job planned again is no change: exit 0.
	if same := a.drover("job", "plan", v0); same.code != 0 {
		t.Errorf("plan of the running version: exit %d, want 0\n%s", same.code, same.stdout)
	}

	a.mustDrover("job", "run", "-check-index", index, v1)
	// The index is stale now: a second run with it is refused.
	stale := a.drover("job", "run", "-check-index", index, version(3, "hey"))
	if stale.code != 1 || !strings.Contains(stale.stdout+stale.stderr, "modify index") {
		t.Errorf("stale check-index: exit %d\n%s%s", stale.code, stale.stdout, stale.stderr)
	}

	hist := a.mustDrover("job", "history", "-p", "web")
	for _, want := range []string{"Version", "1", "GREETING"} {
		if !strings.Contains(hist.stdout, want) {
			t.Errorf("history -p lacks %q:\n%s", want, hist.stdout)
		}
	}

	a.mustDrover("job", "revert", "web", "0")
	insp := a.mustDrover("job", "inspect", "web")
	var got struct {
		Job struct {
			Version    uint64
			TaskGroups []struct {
				Count int
				Tasks []struct{ Env map[string]string }
			}
		}
	}
	if err := json.Unmarshal([]byte(insp.stdout), &got); err != nil {
		t.Fatalf("inspect output is not {\"Job\": ...}: %v\n%s", err, insp.stdout)
	}
	tg := got.Job.TaskGroups[0]
	if got.Job.Version != 2 || tg.Count != 1 || tg.Tasks[0].Env["GREETING"] != "hello" {
		t.Errorf("after revert to 0: version %d, count %d, env %v; want version 2 with version 0's spec", got.Job.Version, tg.Count, tg.Tasks[0].Env)
	}
}

// TestValidateFmtInit: the offline job-file commands.
func TestValidateFmtInit(t *testing.T) {
	a := startAgent(t, "", "", "-dev")
	a.waitReady()

	bad := writeFile(t, a.dir, "bad.hcl", "job \"x\" {\n  group \"g\" {\n    count = -1\n    task \"t\" {\n      driver = \"mock\"\n    }\n  }\n}\n")
	v := a.drover("job", "validate", bad)
	if v.code != 1 || !regexp.MustCompile(`bad\.hcl:3:\d+|count -1`).MatchString(v.stdout+v.stderr) {
		t.Errorf("validate of a negative count: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}

	r := a.drover("job", "init", "-short")
	if r.code != 0 {
		t.Fatalf("job init: exit %d %s", r.code, r.stderr)
	}
	if again := a.drover("job", "init", "-short"); again.code == 0 {
		t.Error("job init overwrote an existing file")
	}
	if ok := a.drover("job", "validate", "example.nomad.hcl"); ok.code != 0 {
		t.Errorf("validate of the init example: exit %d\n%s%s", ok.code, ok.stdout, ok.stderr)
	}

	ugly := writeFile(t, a.dir, "ugly.hcl", "job \"x\" {\ngroup \"g\" {\n  count=1\n}\n}\n")
	if c := a.drover("fmt", "-check", ugly); c.code != 1 {
		t.Errorf("fmt -check of an unformatted file: exit %d, want 1", c.code)
	}
	a.mustDrover("fmt", ugly)
	if c := a.drover("fmt", "-check", ugly); c.code != 0 {
		t.Errorf("fmt -check after fmt: exit %d\n%s%s", c.code, c.stdout, c.stderr)
	}
}
