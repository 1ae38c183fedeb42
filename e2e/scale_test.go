package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/testutil"
)

// TestScaleKeepsRunningAllocations: changing only a group's count places or
// stops allocations; the ones already running keep running, untouched.
func TestScaleKeepsRunningAllocations(t *testing.T) {
	a := startAgent(t, "", "", "-dev")
	a.waitReady()
	job := func(count int) string {
		return writeFile(t, a.dir, fmt.Sprintf("scale%d.hcl", count), fmt.Sprintf(`job "scale" {
  group "g" {
    count = %d
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
`, count))
	}
	a.mustDrover("job", "run", job(1))
	first := a.waitAllocStatus("scale", "running")

	a.mustDrover("job", "run", job(3))
	testutil.WaitFor(t, 20*time.Second, func() error {
		var allocs []struct {
			ID, ClientStatus, DesiredStatus string
			JobVersion                      uint64
		}
		if err := a.getJSON("/v1/job/scale/allocations", &allocs); err != nil {
			return err
		}
		running, kept := 0, false
		for _, al := range allocs {
			if al.ClientStatus == "running" && al.DesiredStatus == "run" {
				running++
			}
			if al.ID == first.ID {
				if al.DesiredStatus != "run" || al.ClientStatus != "running" {
					return fmt.Errorf("the first allocation was disturbed: %+v", al)
				}
				kept = al.JobVersion == 1
			}
		}
		if running != 3 || !kept {
			return fmt.Errorf("want 3 running with %s updated in place to version 1: %+v", first.ID, allocs)
		}
		return nil
	})
	var full struct {
		TaskStates map[string]struct{ Restarts uint64 }
	}
	if err := a.getJSON("/v1/allocation/"+first.ID, &full); err != nil {
		t.Fatal(err)
	}
	if r := full.TaskStates["t"].Restarts; r != 0 {
		t.Errorf("the first allocation's task restarted %d times", r)
	}
}
