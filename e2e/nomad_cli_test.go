package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/mountinfo"
	"github.com/drover-sh/drover/internal/testutil"
)

// nomadCLI is the drover binary installed under Nomad's name, driven the
// way a tutorial drives Nomad: NOMAD_ADDR in the environment, short forms.
type nomadCLI struct {
	t    *testing.T
	path string // the nomad symlink
	addr string // NOMAD_ADDR
	dir  string
}

// run runs `nomad args...` with NOMAD_ADDR set and DROVER_ADDR unset.
func (n *nomadCLI) run(args ...string) cliResult {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, n.path, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DROVER_") && !strings.HasPrefix(kv, "NOMAD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "NOMAD_ADDR="+n.addr)
	cmd.Dir = n.dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := cliResult{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		n.t.Fatalf("nomad %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// must runs `nomad args...` and fails the test unless it exits want.
func (n *nomadCLI) must(want int, args ...string) cliResult {
	n.t.Helper()
	r := n.run(args...)
	if r.code != want {
		n.t.Fatalf("nomad %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r
}

// startNomadDev links the built binary as "nomad" and starts `nomad agent
// -dev` through the link, as a tutorial's first step does.
func startNomadDev(t *testing.T) (*agentProc, *nomadCLI) {
	t.Helper()
	dir := t.TempDir()
	link := filepath.Join(dir, "bin", "nomad")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(binary, link); err != nil {
		t.Fatal(err)
	}
	portCfg, httpPort, rpcPort := ports(t)
	cfgPath := writeFile(t, dir, "ports.hcl", portCfg)
	a := &agentProc{t: t, dir: dir, httpAddr: fmt.Sprintf("http://127.0.0.1:%d", httpPort), rpcAddr: fmt.Sprintf("127.0.0.1:%d", rpcPort),
		stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	a.cmd = exec.Command(link, "agent", "-dev", "-config", cfgPath)
	a.cmd.Stdout, a.cmd.Stderr = a.stdout, a.stderr
	a.cmd.Dir = dir
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("start nomad agent -dev: %v", err)
	}
	go func() { a.exitErr = a.cmd.Wait(); close(a.done) }()
	t.Cleanup(func() {
		a.stop(syscall.SIGTERM) // a -dev agent stops its tasks
		if err := mountinfo.UnmountUnder(dir); err != nil {
			t.Errorf("unmount under %s: %v", dir, err)
		}
		if t.Failed() {
			t.Logf("agent stdout:\n%s\nagent stderr:\n%s", a.stdout, a.stderr)
		}
	})
	a.waitReady()
	return a, &nomadCLI{t: t, path: link, addr: a.httpAddr, dir: dir}
}

// webJob is the tutorial's job file: one group of count instances whose
// task prints a line and runs for an hour (the mock driver: no process).
func webJob(count int) string {
	return fmt.Sprintf(`job "web" {
  datacenters = ["dc1"]

  group "web" {
    count = %d

    task "server" {
      driver = "mock"

      config {
        run_for       = "1h"
        stdout_string = "listening on :8080"
      }

      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`, count)
}

// TestNomadTutorialWalkthrough is a Nomad getting-started tutorial typed
// into drover installed as nomad: agent -dev, run, status, status <job>,
// alloc-status and logs by ID prefix, an edit planned and run with
// -check-index, stop. The assertions read the output as the tutorial's
// reader would.
func TestNomadTutorialWalkthrough(t *testing.T) {
	a, nomad := startNomadDev(t)

	// The agent's banner suggests commands under the name it was called by.
	if out := a.stdout.String(); !strings.Contains(out, "nomad job run") || !strings.Contains(out, "NOMAD_ADDR=") {
		t.Errorf("agent banner does not suggest nomad commands:\n%s", out)
	}
	// It is honest about what it is.
	if v := nomad.must(0, "version"); !strings.HasPrefix(v.stdout, "Drover ") {
		t.Errorf("nomad version:\n%s", v.stdout)
	}

	job := writeFile(t, nomad.dir, "web.nomad.hcl", webJob(1))
	nomad.must(0, "validate", "web.nomad.hcl")
	run := nomad.must(0, "run", "web.nomad.hcl")
	for _, want := range []string{`Monitoring evaluation`, `Allocation "`, `created`, `finished with status "complete"`} {
		if !strings.Contains(run.stdout, want) {
			t.Errorf("nomad run output lacks %q:\n%s", want, run.stdout)
		}
	}
	a.waitAllocStatus("web", "running")

	// `nomad status` without an ID lists the jobs.
	list := nomad.must(0, "status")
	if !regexp.MustCompile(`(?m)^web\s+service\s+50\s+running\s`).MatchString(list.stdout) {
		t.Errorf("nomad status does not list web as a running service job:\n%s", list.stdout)
	}

	// `nomad status web` shows the job and its allocation; the tutorial
	// copies the allocation's short ID from there.
	st := nomad.must(0, "status", "web")
	for _, want := range []string{"ID          = web", "Type        = service", "Status      = running", "Allocations"} {
		if !strings.Contains(st.stdout, want) {
			t.Errorf("nomad status web lacks %q:\n%s", want, st.stdout)
		}
	}
	m := regexp.MustCompile(`(?m)^([0-9a-f]{8})\s+[0-9a-f]{8}\s+web\s+0\s+run\s+running\s`).FindStringSubmatch(st.stdout)
	if m == nil {
		t.Fatalf("nomad status web shows no running allocation row:\n%s", st.stdout)
	}
	allocPrefix := m[1]

	as := nomad.must(0, "alloc-status", allocPrefix)
	for _, want := range []string{"ID                  = " + allocPrefix, "Job ID              = web", "Client Status       = running", `Task "server" is "running"`, "Started"} {
		if !strings.Contains(as.stdout, want) {
			t.Errorf("nomad alloc-status %s lacks %q:\n%s", allocPrefix, want, as.stdout)
		}
	}
	// `nomad status <alloc prefix>` finds the allocation too.
	if s := nomad.must(0, "status", allocPrefix); !strings.Contains(s.stdout, "Job ID              = web") || !strings.Contains(s.stdout, `Task "server" is "running"`) {
		t.Errorf("nomad status %s does not show the allocation:\n%s", allocPrefix, s.stdout)
	}

	if logs := nomad.must(0, "logs", allocPrefix); !strings.Contains(logs.stdout, "listening on :8080") {
		t.Errorf("nomad logs %s: %q, want the task's output", allocPrefix, logs.stdout)
	}

	// An edit: plan shows the change and the command to run it with.
	if err := os.WriteFile(job, []byte(webJob(2)), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := nomad.must(1, "plan", "web.nomad.hcl")
	for _, want := range []string{`+/- Job: "web"`, `+/- Count: "1" => "2"`, "All tasks successfully allocated."} {
		if !strings.Contains(plan.stdout, want) {
			t.Errorf("nomad plan lacks %q:\n%s", want, plan.stdout)
		}
	}
	hint := regexp.MustCompile(`(?m)^nomad job run -check-index (\d+) web\.nomad\.hcl$`).FindStringSubmatch(plan.stdout)
	if hint == nil {
		t.Fatalf("nomad plan does not print a nomad job run -check-index line:\n%s", plan.stdout)
	}
	nomad.must(0, "run", "-check-index", hint[1], "web.nomad.hcl")
	// The index is spent: a second run with it changes nothing.
	stale := nomad.must(1, "run", "-check-index", hint[1], "web.nomad.hcl")
	if !strings.Contains(stale.stdout+stale.stderr, "Job not updated") {
		t.Errorf("stale -check-index: %s%s", stale.stdout, stale.stderr)
	}
	testutil.WaitFor(t, 20*time.Second, func() error {
		st := nomad.must(0, "status", "web")
		if n := len(regexp.MustCompile(`(?m)^[0-9a-f]{8}\s+[0-9a-f]{8}\s+web\s+1\s+run\s+running\s`).FindAllString(st.stdout, -1)); n != 2 {
			return fmt.Errorf("%d allocations of version 1 running, want 2:\n%s", n, st.stdout)
		}
		return nil
	})

	stop := nomad.must(0, "stop", "web")
	if !strings.Contains(stop.stdout, `finished with status "complete"`) {
		t.Errorf("nomad stop output:\n%s", stop.stdout)
	}
	if list := nomad.must(0, "status"); !regexp.MustCompile(`(?m)^web\s+service\s+50\s+dead \(stopped\)`).MatchString(list.stdout) {
		t.Errorf("after stop, nomad status:\n%s", list.stdout)
	}
}

// TestNomadShortFormsAndNames: the other short forms of runbooks, the
// node and evaluation lookups of `nomad status`, and the errors a user of
// the nomad name reads.
func TestNomadShortFormsAndNames(t *testing.T) {
	a, nomad := startNomadDev(t)
	writeFile(t, nomad.dir, "web.nomad.hcl", webJob(1))
	run := nomad.must(0, "run", "web.nomad.hcl")
	a.waitAllocStatus("web", "running")

	ns := nomad.must(0, "node-status")
	m := regexp.MustCompile(`(?m)^([0-9a-f]{8})\s+dc1\s.*\sready$`).FindStringSubmatch(ns.stdout)
	if m == nil {
		t.Fatalf("nomad node-status lists no ready node:\n%s", ns.stdout)
	}
	if st := nomad.must(0, "status", m[1]); !strings.Contains(st.stdout, "Status             = ready") {
		t.Errorf("nomad status <node prefix>:\n%s", st.stdout)
	}
	ev := regexp.MustCompile(`Monitoring evaluation "([0-9a-f]{8})"`).FindStringSubmatch(run.stdout)
	if ev == nil {
		t.Fatalf("no evaluation in run output:\n%s", run.stdout)
	}
	if st := nomad.must(0, "status", ev[1]); !strings.Contains(st.stdout, "TriggeredBy        = job-register") || !strings.Contains(st.stdout, "Status             = complete") {
		t.Errorf("nomad status <eval prefix>:\n%s", st.stdout)
	}
	if ins := nomad.must(0, "inspect", "web"); !strings.Contains(ins.stdout, `"Job": {`) || !strings.Contains(ins.stdout, `"ID": "web"`) {
		t.Errorf("nomad inspect web:\n%s", ins.stdout)
	}
	if help := nomad.must(0, "-help"); !strings.Contains(help.stdout, "Usage: nomad ") || !strings.Contains(help.stdout, "This is drover") {
		t.Errorf("nomad -help:\n%s", help.stdout)
	}
	// server-members, the name of years of runbooks: the one server, alive
	// and the leader (the note that Nomad deprecated the name is on stderr).
	sm := nomad.must(0, "server-members")
	if !regexp.MustCompile(`(?m)^\S+\s+\S+\s+\d+\s+alive\s+true\s`).MatchString(sm.stdout) {
		t.Errorf("nomad server-members shows no live leader:\n%s", sm.stdout)
	}
	if !strings.Contains(sm.stderr, "deprecated") {
		t.Errorf("nomad server-members says nothing of the deprecated name on stderr:\n%s", sm.stderr)
	}
	nf := nomad.must(1, "status", "nosuchthing")
	if !strings.Contains(nf.stderr, `no job, allocation, node or evaluation with ID or prefix "nosuchthing"`) {
		t.Errorf("nomad status of nothing: %s", nf.stderr)
	}
	unknown := nomad.must(2, "deployment", "list")
	if !strings.Contains(unknown.stderr, `unknown command "nomad deployment"`) {
		t.Errorf("a command drover lacks must say so: %s", unknown.stderr)
	}
}
