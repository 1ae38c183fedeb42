package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/testutil"
)

// taskUsage is the part of /v1/client/allocation/<id>/stats the tests read.
type taskUsage struct {
	Tasks map[string]struct {
		ResourceUsage struct {
			MemoryStats struct{ RSS uint64 }
			CpuStats    struct{ Percent, TotalTicks float64 }
		}
	}
}

// TestAllocStatsDev runs a raw_exec task whose child burns CPU on an
// `agent -dev` and reads its usage back through the endpoint and
// `alloc status`; a stopped allocation has none, and says so.
func TestAllocStatsDev(t *testing.T) {
	a := startAgent(t, "", "", "-dev")
	a.waitReady()
	job := writeFile(t, a.dir, "busy.hcl", `job "busy" {
  group "g" {
    task "burn" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "(while :; do :; done) & wait"]
      }
      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
`)
	a.mustDrover("job", "run", job)
	alloc := a.waitAllocStatus("busy", "running")

	testutil.WaitFor(t, 20*time.Second, func() error {
		var u taskUsage
		if err := a.getJSON("/v1/client/allocation/"+alloc.ID+"/stats", &u); err != nil {
			return err
		}
		burn := u.Tasks["burn"].ResourceUsage
		if burn.CpuStats.Percent <= 0 || burn.CpuStats.TotalTicks <= 0 || burn.MemoryStats.RSS == 0 {
			return fmt.Errorf("usage %+v: want CPU and memory above zero", burn)
		}
		return nil
	})

	used := regexp.MustCompile(`(?m)^(\d+)/100 MHz\s+[\d.]+ (KiB|MiB)/32 MiB\s+`)
	testutil.WaitFor(t, 20*time.Second, func() error {
		out := a.mustDrover("alloc", "status", alloc.ID[:8]).stdout
		m := used.FindStringSubmatch(out)
		if m == nil {
			return fmt.Errorf("alloc status shows no used/allocated CPU and memory:\n%s", out)
		}
		if mhz, _ := strconv.Atoi(m[1]); mhz <= 0 {
			return fmt.Errorf("alloc status shows %s MHz used by a busy task:\n%s", m[1], out)
		}
		return nil
	})
	detail := a.mustDrover("alloc", "status", "-stats", alloc.ID)
	for _, want := range []string{"Memory Stats", "RSS", "CPU Stats", "Percent", "User Mode"} {
		if !strings.Contains(detail.stdout, want) {
			t.Errorf("alloc status -stats lacks %q:\n%s", want, detail.stdout)
		}
	}

	a.mustDrover("job", "stop", "busy")
	a.waitAllocStatus("busy", "complete")
	err := a.getJSON("/v1/client/allocation/"+alloc.ID+"/stats", &taskUsage{})
	if err == nil || !strings.Contains(err.Error(), "409") || !strings.Contains(err.Error(), "its tasks no longer run") {
		t.Errorf("stats of a stopped allocation: %v, want a 409 saying its tasks no longer run", err)
	}
	done := a.mustDrover("alloc", "status", alloc.ID[:8])
	if !regexp.MustCompile(`(?m)^100 MHz\s+32 MiB\s+`).MatchString(done.stdout) {
		t.Errorf("alloc status of a stopped allocation should show the allocated values alone:\n%s", done.stdout)
	}
	if err := a.getJSON("/v1/client/allocation/00000000-0000-0000-0000-000000000000/stats", &taskUsage{}); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("stats of an unknown allocation: %v, want 404", err)
	}
}

// TestAllocStatsForwarded: a server-only agent answers for an allocation
// that a client-only agent runs, by forwarding to that agent.
func TestAllocStatsForwarded(t *testing.T) {
	dir := t.TempDir()
	mock := "plugin \"mock\" {\n  config {\n    enabled = true\n  }\n}\n"
	srv := startAgent(t, dir, fmt.Sprintf("data_dir = %q\nserver {\n  enabled = true\n  bootstrap_expect = 1\n}\n",
		filepath.Join(dir, "s")))
	cl := startAgent(t, dir, fmt.Sprintf("data_dir = %q\nclient {\n  enabled = true\n  servers = [%q]\n}\n%s",
		filepath.Join(dir, "c"), srv.rpcAddr, mock))
	cl.waitReady()
	job := writeFile(t, dir, "sim.hcl", `job "sim" {
  group "g" {
    task "t" {
      driver = "mock"
      config {
        stats_cpu_percent = 50
        stats_memory_mb   = 48
      }
      resources {
        cpu    = 200
        memory = 64
      }
    }
  }
}
`)
	srv.mustDrover("job", "run", job)
	alloc := srv.waitAllocStatus("sim", "running")
	testutil.WaitFor(t, 20*time.Second, func() error {
		var u taskUsage
		if err := srv.getJSON("/v1/client/allocation/"+alloc.ID+"/stats", &u); err != nil {
			return err
		}
		ru := u.Tasks["t"].ResourceUsage
		if ru.MemoryStats.RSS != 48<<20 || ru.CpuStats.Percent < 49 || ru.CpuStats.Percent > 51 {
			return fmt.Errorf("usage through the server %+v: want 48 MiB and 50%%", ru)
		}
		return nil
	})
	out := srv.mustDrover("alloc", "status", alloc.ID[:8]).stdout
	if !regexp.MustCompile(`(?m)^\d+/200 MHz\s+48 MiB/64 MiB\s+`).MatchString(out) {
		t.Errorf("alloc status through the server agent:\n%s", out)
	}
}
