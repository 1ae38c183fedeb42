package e2e

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/testutil"
)

// TestSystemJobPreemptsServiceAlloc: on a -dev agent whose node a service
// job of priority 50 fills, a system job of priority 100 evicts the
// service allocation (preemption is on for system jobs by default); the
// client stops it and `alloc status` names the two sides.
func TestSystemJobPreemptsServiceAlloc(t *testing.T) {
	a := startAgent(t, "", "", "-dev")
	a.waitReady()
	var nodes []struct{ ID string }
	if err := a.getJSON("/v1/nodes", &nodes); err != nil || len(nodes) != 1 {
		t.Fatalf("nodes %+v: %v", nodes, err)
	}
	var node struct {
		NodeResources     struct{ Cpu struct{ CpuShares int64 } }
		ReservedResources *struct{ Cpu struct{ CpuShares int64 } }
	}
	if err := a.getJSON("/v1/node/"+nodes[0].ID, &node); err != nil {
		t.Fatal(err)
	}
	free := node.NodeResources.Cpu.CpuShares
	if node.ReservedResources != nil {
		free -= node.ReservedResources.Cpu.CpuShares
	}
	if free < 200 {
		t.Fatalf("the node offers %d MHz, too little to fill and preempt", free)
	}
	job := func(name, typ string, priority int, cpu int64) string {
		return writeFile(t, a.dir, name+".hcl", fmt.Sprintf(`job %q {
  type     = %q
  priority = %d
  group "g" {
    task "t" {
      driver = "mock"
      config {
        run_for = "1h"
      }
      resources {
        cpu    = %d
        memory = 10
      }
    }
  }
}
`, name, typ, priority, cpu))
	}
	a.mustDrover("job", "run", job("svc", "service", 50, free-50))
	victim := a.waitAllocStatus("svc", "running")

	a.mustDrover("job", "run", job("sys", "system", 100, 100))
	preemptor := a.waitAllocStatus("sys", "running")

	var evicted struct {
		DesiredStatus         string
		ClientStatus          string
		PreemptedByAllocation string
	}
	testutil.WaitFor(t, 20*time.Second, func() error {
		if err := a.getJSON("/v1/allocation/"+victim.ID, &evicted); err != nil {
			return err
		}
		if evicted.DesiredStatus != "evict" || evicted.ClientStatus != "complete" {
			return fmt.Errorf("service alloc %s/%s, want evict/complete", evicted.DesiredStatus, evicted.ClientStatus)
		}
		return nil
	})
	if evicted.PreemptedByAllocation != preemptor.ID {
		t.Errorf("preempted by %q, want %s", evicted.PreemptedByAllocation, preemptor.ID)
	}
	out := a.mustDrover("alloc", "status", victim.ID).stdout
	if want := `(?m)^Preempted By\s+= ` + regexp.QuoteMeta(preemptor.ID[:8]) + `$`; !regexp.MustCompile(want).MatchString(out) {
		t.Errorf("alloc status of the evicted alloc lacks %q:\n%s", want, out)
	}
	out = a.mustDrover("alloc", "status", preemptor.ID).stdout
	if want := `(?m)^Preempted Allocations\s+= ` + regexp.QuoteMeta(victim.ID[:8]) + `$`; !regexp.MustCompile(want).MatchString(out) {
		t.Errorf("alloc status of the preempting alloc lacks %q:\n%s", want, out)
	}
}
