package e2e

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/testutil"
)

// TestSystemJobRunsOnTheNode: a system job run on a -dev agent gets one
// running allocation on its one node, and `job status` shows it.
func TestSystemJobRunsOnTheNode(t *testing.T) {
	a := startAgent(t, "", "", "-dev")
	a.waitReady()
	path := writeFile(t, a.dir, "sys.hcl", `job "sys" {
  type = "system"
  group "agent" {
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
	a.mustDrover("job", "run", path)
	running := a.waitAllocStatus("sys", "running")

	var nodes []struct{ ID string }
	if err := a.getJSON("/v1/nodes", &nodes); err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 1 || running.NodeID != nodes[0].ID {
		t.Fatalf("alloc on node %q, nodes %+v", running.NodeID, nodes)
	}
	testutil.WaitFor(t, 10*time.Second, func() error {
		var allocs []allocStub
		if err := a.getJSON("/v1/job/sys/allocations", &allocs); err != nil {
			return err
		}
		if len(allocs) != 1 {
			return fmt.Errorf("want exactly one allocation: %+v", allocs)
		}
		return nil
	})

	out := a.mustDrover("job", "status", "sys").stdout
	for _, want := range []string{`(?m)^Type\s+= system$`, regexp.QuoteMeta(running.ID[:8]) + `.*running`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("job status lacks %q:\n%s", want, out)
		}
	}
}
