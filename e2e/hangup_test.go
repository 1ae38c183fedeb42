package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHangupIgnoredAgent starts the agent under nohup, so it begins with
// SIGHUP ignored, as some init systems start daemons. A SIGHUP to the agent
// does not stop it, and its raw_exec task still dies of `alloc signal -s
// HUP`: the ignored disposition is not passed on to tasks.
func TestHangupIgnoredAgent(t *testing.T) {
	nohup, err := exec.LookPath("nohup")
	if err != nil {
		t.Fatalf("nohup (coreutils) is needed: %v", err)
	}
	a := startAgentVia(t, nohup, "-dev")
	a.waitReady()
	marker := fmt.Sprintf("e2e-hup-%d", time.Now().UnixNano())
	job := writeFile(t, a.dir, "hup.hcl", fmt.Sprintf(`job "hup" {
  type = "batch"
  group "g" {
    reschedule {
      attempts  = 0
      unlimited = false
    }
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "sleep 1000; echo %s"]
      }
    }
  }
}
`, marker))
	a.mustDrover("job", "run", "-detach", job)
	alloc := a.waitAllocStatus("hup", "running")

	if err := a.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	a.mustDrover("alloc", "signal", "-s", "SIGHUP", alloc.ID[:8], "t")
	a.waitAllocStatus("hup", "failed")
	waitGone(t, marker)
	select {
	case <-a.done:
		t.Fatalf("the agent exited on SIGHUP: %v", a.exitErr)
	default:
	}
	if !strings.Contains(a.stderr.String(), "SIGHUP received") {
		t.Errorf("the agent did not log the SIGHUP:\n%s", a.stderr)
	}
}
