package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/driver/drivertest"
	"github.com/drover-sh/drover/internal/testutil"
)

// sleeperJob writes a job file whose one task, named task, runs sleep with
// the given driver.
func sleeperJob(t *testing.T, dir, id, task, drv string) string {
	return writeFile(t, dir, id+".hcl", fmt.Sprintf(`job %q {
  datacenters = ["dc1"]
  group %q {
    task %q {
      driver = %q
      config {
        command = "sleep"
        args    = ["1000"]
      }
      resources {
        cpu    = 50
        memory = 64
      }
    }
  }
}
`, id, task, task, drv))
}

// droverIn runs the CLI against the agent with stdin as its input.
func (a *agentProc) droverIn(stdin string, args ...string) cliResult {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), "DROVER_ADDR="+a.httpAddr)
	cmd.Dir = a.dir
	cmd.Stdin = strings.NewReader(stdin)
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

// TestAllocExecIsolated runs `drover alloc exec` in an exec-driver task:
// the command runs inside the task's isolation (its PID namespace, whose
// PID 1 is the task's init; its user nobody; its root with /local), gets
// stdin, and the CLI exits with the command's exit code. Then it does the
// same through a terminal: the CLI runs on a pseudo-terminal of a known
// size, which the command sees, and a resize of the local terminal reaches
// it as SIGWINCH.
func TestAllocExecIsolated(t *testing.T) {
	testutil.Require(t, testutil.Root)
	a := startAgent(t, "", "", "-dev")
	a.waitReady()
	a.mustDrover("job", "run", "-detach", sleeperJob(t, a.dir, "iso", "box", "exec"))
	alloc := a.waitAllocStatus("iso", "running")

	r := a.droverIn("from-stdin\n", "alloc", "exec", alloc.ID[:8], "/bin/sh", "-c",
		`echo "uid=$(id -u) init=$(tr '\0' ' ' </proc/1/cmdline)"; test -d /local && echo has-local; read line; echo "read=$line"; echo to-stderr >&2; exit 42`)
	if r.code != 42 {
		t.Fatalf("exit code %d, want the command's 42\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"uid=65534", "init=drover-exec-init", "has-local", "read=from-stdin"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout %q lacks %q", r.stdout, want)
		}
	}
	if r.stderr != "to-stderr\n" {
		t.Errorf("stderr %q, want the command's own", r.stderr)
	}
	if r := a.drover("alloc", "exec", "-task", "nope", alloc.ID[:8], "true"); r.code != 1 || !strings.Contains(r.stderr, `no task "nope"`) {
		t.Errorf("unknown task: exit %d, stderr %q", r.code, r.stderr)
	}

	// Through a terminal: the CLI's stdin and stdout are a pseudo-terminal
	// of 33x111, so it defaults to -t, puts it in raw mode and sends its
	// size; a resize of it is passed on.
	var out drivertest.SyncBuffer
	resize := make(chan driver.TerminalSize)
	input, typeInput := io.Pipe()
	defer typeInput.Close()
	streams, err := driver.OpenExecStreams(driver.ExecOptions{TTY: true, Stdin: input, Stdout: &out,
		Size: driver.TerminalSize{Height: 33, Width: 111}, Resize: resize})
	if err != nil {
		t.Fatal(err)
	}
	defer streams.Close()
	stdio := streams.Remote()
	script := `test -t 0 && echo "tty=$(stty size)"; trap 'echo "resized=$(stty size)"; exit 7' WINCH; echo ready; while :; do sleep 0.05; done`
	cmd := exec.Command(binary, "alloc", "exec", alloc.ID, "/bin/sh", "-c", script)
	cmd.Env = append(os.Environ(), "DROVER_ADDR="+a.httpAddr)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio[0], stdio[1], stdio[2]
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	streams.CloseRemote()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()
	drivertest.WaitForOutput(t, &out, "ready")
	if !strings.Contains(out.String(), "tty=33 111") {
		t.Fatalf("terminal output %q: want the command to see a 33x111 terminal", out.String())
	}
	resize <- driver.TerminalSize{Height: 50, Width: 140}
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 7 {
			t.Fatalf("the CLI ended with %v, want exit code 7; output %q", err, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the CLI did not end after the resize; output %q", out.String())
	}
	if !strings.Contains(out.String(), "resized=50 140") {
		t.Errorf("terminal output %q: want the resize to 50x140 seen by the command", out.String())
	}
}

// TestAllocExecRawExec runs `drover alloc exec` in a raw_exec task: the
// command runs in the task's directory with its environment. With two
// agents, the session reaches the task through the agent of the other
// node too.
func TestAllocExecRawExec(t *testing.T) {
	dir := t.TempDir()
	raw := "plugin \"raw_exec\" {\n  config {\n    enabled = true\n  }\n}\n"
	a, b := startTwoNodes(t, dir, raw)
	a.mustDrover("job", "run", "-detach", sleeperJob(t, dir, "raw", "sleeper", "raw_exec"))
	alloc := a.waitAllocStatus("raw", "running")
	// These agents leave their tasks running when they stop, as agents
	// do: stop the job first.
	t.Cleanup(func() {
		a.drover("job", "stop", "-detach", "raw")
		a.waitAllocStatus("raw", "complete")
	})

	// Each agent in turn: the one whose client runs the allocation answers
	// itself, the other passes the session on.
	for _, ag := range []*agentProc{a, b} {
		r := ag.droverIn("", "alloc", "exec", "-i=false", alloc.ID[:8], "/bin/sh", "-c", `echo "dir=$(pwd) alloc=$NOMAD_ALLOC_ID"; exit 3`)
		if r.code != 3 {
			t.Fatalf("via %s: exit code %d, want 3\nstdout: %s\nstderr: %s", ag.httpAddr, r.code, r.stdout, r.stderr)
		}
		want := "alloc=" + alloc.ID
		if !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, "/sleeper alloc=") {
			t.Errorf("via %s: stdout %q, want the task's directory and %q", ag.httpAddr, r.stdout, want)
		}
	}
}
