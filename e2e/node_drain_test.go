package e2e

import (
	"regexp"
	"strings"
	"testing"
)

// TestNodeDrainAndEligibility drives a -dev agent's node through a drain
// and back with the CLI: a draining node takes no new work, cannot be made
// eligible, and once its drain is disabled it is eligible again and the
// job that waited for it is placed.
func TestNodeDrainAndEligibility(t *testing.T) {
	a := startAgent(t, "", "", "-dev")
	a.waitReady()
	// A running batch allocation holds the drain open: the drainer leaves
	// batch work alone until the deadline, so the node stays draining.
	hold := writeFile(t, a.dir, "hold.hcl", `job "hold" {
  type = "batch"
  group "hold" {
    task "t" {
      driver = "mock"
      config {
        run_for = "1h"
      }
      resources {
        cpu    = 10
        memory = 10
      }
    }
  }
}
`)
	a.mustDrover("job", "run", hold)
	a.waitAllocStatus("hold", "running")

	out := a.mustDrover("node", "drain", "-enable", "-self", "-detach", "-deadline", "30m", "-meta", "reason=e2e").stdout
	if !regexp.MustCompile(`^Node "[0-9a-f-]{36}" drain strategy set\n$`).MatchString(out) {
		t.Errorf("drain -enable printed %q", out)
	}
	status := a.mustDrover("node", "status", "-self").stdout
	for _, want := range []string{`(?m)^Drain\s+= true; \S+ deadline$`, `(?m)^Eligibility\s+= ineligible$`, `(?m)^Last Drain\s+= draining `} {
		if !regexp.MustCompile(want).MatchString(status) {
			t.Errorf("node status of a draining node lacks %q:\n%s", want, status)
		}
	}

	// The draining node is not eligible, so a new job waits.
	path := writeFile(t, a.dir, "web.hcl", `job "web" {
  group "web" {
    task "t" {
      driver = "mock"
      config {
        run_for = "1h"
      }
      resources {
        cpu    = 10
        memory = 10
      }
    }
  }
}
`)
	if r := a.drover("job", "run", path); r.code != 2 {
		t.Fatalf("job run on a draining node: exit %d, want 2 (not placed)\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	r := a.drover("node", "eligibility", "-enable", "-self")
	if r.code != 1 || !strings.Contains(r.stderr, "is draining") {
		t.Errorf("eligibility -enable while draining: exit %d, stderr %q", r.code, r.stderr)
	}

	out = a.mustDrover("node", "drain", "-disable", "-self").stdout
	if !strings.HasSuffix(out, "drain strategy unset\n") {
		t.Errorf("drain -disable printed %q", out)
	}
	a.waitAllocStatus("web", "running")
	status = a.mustDrover("node", "status", "-self").stdout
	for _, want := range []string{`(?m)^Drain\s+= false$`, `(?m)^Eligibility\s+= eligible$`, `(?m)^Last Drain\s+= canceled `} {
		if !regexp.MustCompile(want).MatchString(status) {
			t.Errorf("node status after the drain lacks %q:\n%s", want, status)
		}
	}

	for _, tt := range []struct{ flag, want string }{{"-disable", "ineligible"}, {"-enable", "eligible"}} {
		out := a.mustDrover("node", "eligibility", tt.flag, "-self").stdout
		if !strings.HasSuffix(out, "scheduling eligibility set: "+tt.want+" for scheduling\n") {
			t.Errorf("eligibility %s printed %q", tt.flag, out)
		}
		list := a.mustDrover("node", "status").stdout
		if !regexp.MustCompile(`(?m)^\S+\s+dc1\s+.*\s+false\s+` + tt.want + `\s+ready$`).MatchString(list) {
			t.Errorf("node list after eligibility %s:\n%s", tt.flag, list)
		}
	}
}
