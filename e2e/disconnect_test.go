package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/testutil"
)

// TestClientStopsAllocWithoutServers runs a server-only agent and a
// client-only agent joined to it, and a job of two groups on the client:
// one with disconnect { stop_on_client_after = "3s" }, one without. Once
// the server agent is killed, the client stops the first group's task and
// leaves the other running.
func TestClientStopsAllocWithoutServers(t *testing.T) {
	dir := t.TempDir()
	marker := fmt.Sprintf("e2e-disconnect-%d", time.Now().UnixNano())
	// Registered before the agents start, so it runs after they stopped:
	// a client agent that stops leaves its tasks running.
	// The tasks exec into sleep, whose command line loses the marker: their
	// pid files name them.
	t.Cleanup(func() {
		for _, pid := range processesWithMarker(marker) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		for _, name := range []string{"stopper", "keeper"} {
			if b, err := os.ReadFile(filepath.Join(dir, name+".pid")); err == nil {
				if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
	})
	server := startAgent(t, dir, fmt.Sprintf("data_dir = %q\nserver {\n  enabled = true\n  bootstrap_expect = 1\n}\n",
		filepath.Join(dir, "server")))
	client := startAgent(t, dir, fmt.Sprintf("data_dir = %q\nclient {\n  enabled = true\n  servers = [%q]\n}\nplugin \"raw_exec\" {\n  config {\n    enabled = true\n  }\n}\n",
		filepath.Join(dir, "client"), server.rpcAddr))
	testutil.WaitFor(t, 20*time.Second, func() error {
		select {
		case <-client.done:
			t.Fatalf("client agent exited: %v\n%s", client.exitErr, client.stderr)
		case <-server.done:
			t.Fatalf("server agent exited: %v\n%s", server.exitErr, server.stderr)
		default:
		}
		var nodes []struct{ Status string }
		if err := server.getJSON("/v1/nodes", &nodes); err != nil {
			return err
		}
		if len(nodes) != 1 || nodes[0].Status != "ready" {
			return fmt.Errorf("nodes %+v, want one ready", nodes)
		}
		return nil
	})

	group := func(name, extra string) string {
		script := fmt.Sprintf("echo $$ > %s; exec sleep 1000", filepath.Join(dir, name+".pid"))
		return fmt.Sprintf(`  group %q {
%s
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", %q, "%s-%s"]
      }
      kill_timeout = "1s"
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
`, name, extra, script, marker, name)
	}
	job := writeFile(t, dir, "disc.hcl", "job \"disc\" {\n"+
		group("stopper", "    disconnect {\n      stop_on_client_after = \"3s\"\n    }")+
		group("keeper", "")+"}\n")
	run := server.mustDrover("job", "run", job)
	if strings.Contains(run.stderr, "disconnect") {
		t.Errorf("stop_on_client_after warned about:\n%s", run.stderr)
	}
	stopperPID := readPID(t, filepath.Join(dir, "stopper.pid"))
	keeperPID := readPID(t, filepath.Join(dir, "keeper.pid"))

	server.stop(syscall.SIGKILL)
	testutil.WaitFor(t, 30*time.Second, func() error {
		if processAlive(stopperPID) {
			return fmt.Errorf("the stopper task (pid %d) still runs", stopperPID)
		}
		return nil
	})
	if !processAlive(keeperPID) {
		t.Fatalf("the task without stop_on_client_after (pid %d) was stopped too", keeperPID)
	}
	if !strings.Contains(client.stderr.String(), "stopping allocation: servers out of reach") {
		t.Errorf("the client did not log why it stopped the allocation:\n%s", client.stderr)
	}
}
