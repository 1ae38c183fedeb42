package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/testutil"
)

// allocDetail is what the drain test reads of an allocation.
type allocDetail struct {
	ID            string
	NodeID        string
	DesiredStatus string
	ClientStatus  string
	TaskStates    map[string]struct {
		Events []struct {
			Type string
			Time int64
		}
	}
}

// eventTime returns the time of the task's first event of type typ, 0 if
// none.
func (d allocDetail) eventTime(task, typ string) int64 {
	for _, e := range d.TaskStates[task].Events {
		if e.Type == typ {
			return e.Time
		}
	}
	return 0
}

// TestDrainMigratesBeforeStopping runs two agents: a server with a client,
// and a client-only agent joined to it. A service allocation on one node is
// drained with `drover node drain -enable` (monitoring until the drain
// completes): its replacement starts on the other node before the old one
// is stopped, and the drained node ends ineligible with its last drain
// complete.
func TestDrainMigratesBeforeStopping(t *testing.T) {
	dir := t.TempDir()
	mock := "plugin \"mock\" {\n  config {\n    enabled = true\n  }\n}\n"
	a, _ := startTwoNodes(t, dir, mock)

	job := writeFile(t, dir, "web.hcl", `job "web" {
  group "web" {
    migrate {
      max_parallel     = 1
      min_healthy_time = "2s"
    }
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
	a.mustDrover("job", "run", job)
	old := a.waitAllocStatus("web", "running")

	out := a.mustDrover("node", "drain", "-enable", "-deadline", "5m", "-yes", old.NodeID).stdout
	for _, want := range []string{"drain strategy set", "draining", "Drain complete"} {
		if !strings.Contains(out, want) {
			t.Errorf("node drain output lacks %q:\n%s", want, out)
		}
	}

	var allocs []allocStub
	if err := a.getJSON("/v1/job/web/allocations", &allocs); err != nil {
		t.Fatal(err)
	}
	var oldD, newD allocDetail
	for _, s := range allocs {
		var d allocDetail
		if err := a.getJSON("/v1/allocation/"+s.ID, &d); err != nil {
			t.Fatal(err)
		}
		if d.ID == old.ID {
			oldD = d
		} else if d.DesiredStatus == "run" {
			newD = d
		}
	}
	if oldD.DesiredStatus != "stop" {
		t.Errorf("drained allocation %s: desired status %q, want stop", oldD.ID, oldD.DesiredStatus)
	}
	if newD.ID == "" || newD.NodeID == old.NodeID {
		t.Fatalf("no replacement on the other node: allocations %+v", allocs)
	}
	testutil.WaitFor(t, 20*time.Second, func() error {
		if err := a.getJSON("/v1/allocation/"+old.ID, &oldD); err != nil {
			return err
		}
		if oldD.eventTime("t", "Killing") == 0 && oldD.eventTime("t", "Killed") == 0 {
			return fmt.Errorf("drained allocation not killed yet: %+v", oldD.TaskStates)
		}
		return nil
	})
	started := newD.eventTime("t", "Started")
	killed := oldD.eventTime("t", "Killing")
	if killed == 0 {
		killed = oldD.eventTime("t", "Killed")
	}
	if started == 0 || killed < started+int64(2*time.Second) {
		t.Errorf("the old allocation was killed at %d, before its replacement (started %d) ran for min_healthy_time", killed, started)
	}

	var node struct {
		Drain                 bool
		SchedulingEligibility string
		LastDrain             struct{ Status string }
	}
	if err := a.getJSON("/v1/node/"+old.NodeID, &node); err != nil {
		t.Fatal(err)
	}
	if node.Drain || node.SchedulingEligibility != "ineligible" || node.LastDrain.Status != "complete" {
		t.Errorf("drained node: %+v, want not draining, ineligible, last drain complete", node)
	}
	a.mustDrover("node", "eligibility", "-enable", old.NodeID)
	if err := a.getJSON("/v1/node/"+old.NodeID, &node); err != nil {
		t.Fatal(err)
	}
	if node.SchedulingEligibility != "eligible" {
		t.Errorf("eligibility after -enable: %q", node.SchedulingEligibility)
	}
}
