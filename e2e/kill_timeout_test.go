package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/testutil"
)

// TestMaxKillTimeout: the client's max_kill_timeout caps a task's
// kill_timeout. A task that ignores its kill signal and asks for an hour
// is force-killed after the client's 1s, and its Killing event says 1s.
func TestMaxKillTimeout(t *testing.T) {
	a := startAgent(t, "", "client {\n  max_kill_timeout = \"1s\"\n}\n", "-dev")
	a.waitReady()
	ready := filepath.Join(a.dir, "trapped")
	src := fmt.Sprintf(`job "stubborn" {
  datacenters = ["dc1"]
  group "g" {
    task "t" {
      driver       = "raw_exec"
      kill_timeout = "1h"
      config {
        command = "/bin/sh"
        args    = ["-c", "trap '' INT TERM; touch %s; while true; do sleep 0.1; done"]
      }
    }
  }
}
`, ready)
	job := filepath.Join(a.dir, "stubborn.hcl")
	if err := os.WriteFile(job, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	a.mustDrover("job", "run", "-detach", job)
	alloc := a.waitAllocStatus("stubborn", "running")
	testutil.WaitFor(t, 20*time.Second, func() error { _, err := os.Stat(ready); return err })
	a.mustDrover("job", "stop", "-detach", "stubborn")
	testutil.WaitFor(t, 20*time.Second, func() error {
		var full struct {
			ClientStatus string
			TaskStates   map[string]struct {
				Events []struct {
					Type        string
					KillTimeout int64
				}
			}
		}
		if err := a.getJSON("/v1/allocation/"+alloc.ID, &full); err != nil {
			return err
		}
		if full.ClientStatus != "complete" {
			return fmt.Errorf("allocation %s, waiting for complete", full.ClientStatus)
		}
		for _, e := range full.TaskStates["t"].Events {
			if e.Type == "Killing" {
				if e.KillTimeout != int64(time.Second) {
					t.Fatalf("Killing event with kill timeout %s, want the client's 1s", time.Duration(e.KillTimeout))
				}
				return nil
			}
		}
		return fmt.Errorf("no Killing event: %+v", full.TaskStates["t"].Events)
	})
}
