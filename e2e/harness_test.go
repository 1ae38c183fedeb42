// Package e2e holds black-box tests of the built drover binary: they build
// it, start agents as separate processes on free ports in temporary
// directories, and drive them with the CLI as a user would.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/mountinfo"
	"github.com/drover-sh/drover/internal/testutil"
)

// binary is the drover binary built once for the whole package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "drover-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "drover")
	build := exec.Command("go", "build", "-o", binary, "../cmd/drover")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building drover:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// agentProc is a running `drover agent`.
type agentProc struct {
	t        *testing.T
	cmd      *exec.Cmd
	dir      string
	httpAddr string
	rpcAddr  string // host:port of the agent's port 4647 (a server's RPC)
	stdout   *syncBuffer
	stderr   *syncBuffer
	done     chan struct{}
	exitErr  error
}

// syncBuffer is a bytes.Buffer safe for a writer goroutine and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ports returns a config file body that moves every port to a free one,
// and the HTTP and RPC ports chosen.
func ports(t *testing.T) (cfg string, http, rpc int) {
	http, rpc = testutil.FreePort(t), testutil.FreePort(t)
	return fmt.Sprintf("ports {\n  http = %d\n  rpc = %d\n  serf = %d\n  dns = %d\n  consul_http = %d\n}\n",
		http, rpc, testutil.FreePort(t), testutil.FreePort(t), testutil.FreePort(t)), http, rpc
}

// startAgent starts `drover agent` with args plus a config file holding
// extraConfig and free ports, and returns once the process is started (not
// yet ready: see waitReady).
func startAgent(t *testing.T, dir string, extraConfig string, args ...string) *agentProc {
	t.Helper()
	return launchAgent(t, dir, extraConfig, "", args...)
}

// startAgentVia is startAgent with the agent run through wrapper (a
// program such as nohup that execs its arguments), in a temporary
// directory and with no extra config.
func startAgentVia(t *testing.T, wrapper string, args ...string) *agentProc {
	t.Helper()
	return launchAgent(t, "", "", wrapper, args...)
}

func launchAgent(t *testing.T, dir, extraConfig, wrapper string, args ...string) *agentProc {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	portCfg, httpPort, rpcPort := ports(t)
	cfgPath := filepath.Join(dir, fmt.Sprintf("agent-%d.hcl", httpPort))
	if err := os.WriteFile(cfgPath, []byte(portCfg+extraConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	a := &agentProc{t: t, dir: dir, httpAddr: fmt.Sprintf("http://127.0.0.1:%d", httpPort), rpcAddr: fmt.Sprintf("127.0.0.1:%d", rpcPort),
		stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	argv := append([]string{binary, "agent", "-config", cfgPath}, args...)
	if wrapper != "" {
		argv = append([]string{wrapper}, argv...)
	}
	a.cmd = exec.Command(argv[0], argv[1:]...)
	a.cmd.Stdout, a.cmd.Stderr = a.stdout, a.stderr
	a.cmd.Dir = dir
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("start agent: %v", err)
	}
	go func() { a.exitErr = a.cmd.Wait(); close(a.done) }()
	t.Cleanup(func() {
		// SIGTERM, not SIGKILL: a -dev agent then stops its tasks, so no
		// test leaves processes behind (stop kills after 20s).
		a.stop(syscall.SIGTERM)
		// An agent that leaves tasks running (outside -dev) leaves their
		// secrets tmpfs mounted under dir, by design: unmount before the
		// directory is removed.
		if err := mountinfo.UnmountUnder(dir); err != nil {
			t.Errorf("unmount under %s: %v", dir, err)
		}
		if t.Failed() {
			t.Logf("agent stdout:\n%s\nagent stderr:\n%s", a.stdout, a.stderr)
		}
	})
	return a
}

// waitReady waits until the agent answers with a leader and a ready node.
func (a *agentProc) waitReady() {
	a.t.Helper()
	testutil.WaitFor(a.t, 15*time.Second, func() error {
		select {
		case <-a.done:
			a.t.Fatalf("agent exited early: %v\nstderr:\n%s", a.exitErr, a.stderr)
		default:
		}
		var nodes []map[string]any
		if err := a.getJSON("/v1/nodes", &nodes); err != nil {
			return err
		}
		for _, n := range nodes {
			if n["Status"] == "ready" {
				return nil
			}
		}
		return fmt.Errorf("no ready node yet: %v", nodes)
	})
}

// stop signals the agent and waits for it to exit (SIGKILL after 20s).
func (a *agentProc) stop(sig syscall.Signal) error {
	select {
	case <-a.done:
		return a.exitErr
	default:
	}
	a.cmd.Process.Signal(sig)
	select {
	case <-a.done:
	case <-time.After(20 * time.Second):
		a.cmd.Process.Kill()
		<-a.done
	}
	return a.exitErr
}

func (a *agentProc) getJSON(path string, v any) error {
	resp, err := http.Get(a.httpAddr + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return json.Unmarshal(body, v)
}

// cliResult is what a CLI invocation did.
type cliResult struct {
	code           int
	stdout, stderr string
}

// drover runs the CLI against the agent.
func (a *agentProc) drover(args ...string) cliResult {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), "DROVER_ADDR="+a.httpAddr)
	cmd.Dir = a.dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := cliResult{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		a.t.Fatalf("drover %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// mustDrover runs the CLI and fails the test unless it exits 0.
func (a *agentProc) mustDrover(args ...string) cliResult {
	a.t.Helper()
	r := a.drover(args...)
	if r.code != 0 {
		a.t.Fatalf("drover %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// processAlive reports whether pid exists and is not a zombie.
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state field follows the parenthesised command name.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] != 'Z'
}

// processesWithMarker lists live pids whose command line contains marker.
func processesWithMarker(marker string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(b, []byte(marker)) && processAlive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// startTwoNodes starts a server+client agent and a client-only agent that
// joins it over RPC, both with the plugin config given (HCL), and waits
// until the server lists both nodes ready. a is the server's agent.
func startTwoNodes(t *testing.T, dir, plugin string) (a, b *agentProc) {
	t.Helper()
	a = startAgent(t, dir, fmt.Sprintf("data_dir = %q\nserver {\n  enabled = true\n  bootstrap_expect = 1\n}\nclient {\n  enabled = true\n}\n%s",
		filepath.Join(dir, "a"), plugin))
	a.waitReady()
	b = startAgent(t, dir, fmt.Sprintf("data_dir = %q\nclient {\n  enabled = true\n  servers = [%q]\n}\n%s",
		filepath.Join(dir, "b"), a.rpcAddr, plugin))
	testutil.WaitFor(t, 20*time.Second, func() error {
		select {
		case <-b.done:
			t.Fatalf("client agent exited: %v\n%s", b.exitErr, b.stderr)
		default:
		}
		var nodes []struct{ ID, Status string }
		if err := a.getJSON("/v1/nodes", &nodes); err != nil {
			return err
		}
		ready := 0
		for _, n := range nodes {
			if n.Status == "ready" {
				ready++
			}
		}
		if ready != 2 {
			return fmt.Errorf("%d ready nodes, want 2: %+v", ready, nodes)
		}
		return nil
	})
	return a, b
}
