// Package testutil holds what drover's tests share: the requirement helper
// for tests that need Docker, root or network namespaces, free ports, and
// waiting for conditions without sleeping blindly.
package testutil

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Need is something of the machine a test requires.
type Need string

// The needs a test may declare.
const (
	Docker Need = "docker" // a reachable Docker Engine
	Root   Need = "root"   // running as uid 0
	NetNS  Need = "netns"  // creating network namespaces (root, Linux, `ip` from iproute2)
)

// RequireEnv names the environment variable that lists needs the machine is
// known to have ("docker,root,netns" or "all"). CI sets it, so a missing need
// fails the test there instead of skipping it.
const RequireEnv = "DROVER_TEST_REQUIRE"

// Require skips t with the reason when the machine lacks one of needs, or
// fails it when RequireEnv names that need.
func Require(t testing.TB, needs ...Need) {
	t.Helper()
	for _, n := range needs {
		if reason := missing(n); reason != "" {
			if required(os.Getenv(RequireEnv), n) {
				t.Fatalf("test requires %s (%s names it) but: %s", n, RequireEnv, reason)
			}
			t.Skipf("test requires %s: %s (set %s=%s to make this a failure)", n, reason, RequireEnv, n)
		}
	}
}

func required(list string, n Need) bool {
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "all" || f == string(n) {
			return true
		}
	}
	return false
}

// missing returns why the machine lacks n, or "" when it has it.
func missing(n Need) string {
	switch n {
	case Root:
		if os.Geteuid() != 0 {
			return fmt.Sprintf("running as uid %d, not root", os.Geteuid())
		}
	case NetNS:
		if runtime.GOOS != "linux" {
			return "network namespaces need Linux, this is " + runtime.GOOS
		}
		if os.Geteuid() != 0 {
			return "creating network namespaces needs root"
		}
		if _, err := exec.LookPath("ip"); err != nil {
			return "the ip command (iproute2) is not installed"
		}
	case Docker:
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}").CombinedOutput(); err != nil {
			return fmt.Sprintf("docker engine unreachable: %v: %s", err, strings.TrimSpace(string(out)))
		}
	default:
		return "unknown need " + string(n)
	}
	return ""
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// WaitFor polls cond until it returns nil or timeout passes, then fails t
// with cond's last error. It is for conditions in another process or
// goroutine that have no event to wait on.
func WaitFor(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	delay := 5 * time.Millisecond
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s: %v", timeout, err)
		}
		time.Sleep(delay)
		if delay < 200*time.Millisecond {
			delay *= 2
		}
	}
}
