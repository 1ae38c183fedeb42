package e2e

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/testutil"
)

const paramJobHCL = `job "greeter" {
  datacenters = ["dc1"]
  type        = "batch"

  parameterized {
    payload       = "required"
    meta_required = ["who"]
  }

  group "g" {
    task "greet" {
      driver = "raw_exec"

      dispatch_payload {
        file = "input/payload.txt"
      }

      config {
        command = "/bin/sh"
        args    = ["-c", "echo \"meta: $NOMAD_META_who\"; cat \"$NOMAD_TASK_DIR/input/payload.txt\""]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`

const cronJobHCL = `job "tick" {
  datacenters = ["dc1"]
  type        = "batch"

  periodic {
    crons            = ["0 0 1 1 *"]
    prohibit_overlap = true
  }

  group "g" {
    task "once" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "echo periodic child ran"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`

// jobStatusOf reads a job's status over the HTTP API.
func (a *agentProc) jobStatusOf(id string) (string, error) {
	var job struct{ Status string }
	if err := a.getJSON("/v1/job/"+url.PathEscape(id), &job); err != nil {
		return "", err
	}
	return job.Status, nil
}

// TestDispatchPayloadReachesTask dispatches a parameterized job whose task
// prints its payload file, and reads the payload back from the task's logs.
func TestDispatchPayloadReachesTask(t *testing.T) {
	a := startAgent(t, "", "", "-dev")
	a.waitReady()
	run := a.mustDrover("job", "run", writeFile(t, a.dir, "greeter.hcl", paramJobHCL))
	if !strings.Contains(run.stdout, "Job registration successful") {
		t.Errorf("job run of a parameterized job:\n%s", run.stdout)
	}
	if st, err := a.jobStatusOf("greeter"); err != nil || st != "running" {
		t.Errorf("parameterized parent status %q (%v), want running", st, err)
	}

	// Refused dispatches say why.
	if r := a.drover("job", "dispatch", "-meta", "who=e2e", "greeter"); r.code != 1 || !strings.Contains(r.stderr, "payload is required") {
		t.Errorf("dispatch without payload: exit %d\n%s", r.code, r.stderr)
	}
	payload := writeFile(t, a.dir, "payload.txt", "payload line from e2e\n")
	if r := a.drover("job", "dispatch", "-meta", "whom=x", "greeter", payload); r.code != 1 || !strings.Contains(r.stderr, `meta key "who" is required`) {
		t.Errorf("dispatch with wrong meta: exit %d\n%s", r.code, r.stderr)
	}

	d := a.mustDrover("job", "dispatch", "-meta", "who=e2e", "greeter", payload)
	m := regexp.MustCompile(`Dispatched Job ID = (greeter/dispatch-\d+-[0-9a-f]{8})`).FindStringSubmatch(d.stdout)
	if m == nil || !strings.Contains(d.stdout, "Evaluation ID") || !strings.Contains(d.stdout, "Monitoring evaluation") {
		t.Fatalf("job dispatch output:\n%s", d.stdout)
	}
	child := m[1]
	alloc := a.waitAllocStatus(url.PathEscape(child), "complete")
	testutil.WaitFor(t, 10*time.Second, func() error {
		logs := a.drover("alloc", "logs", alloc.ID[:8], "greet")
		if !strings.Contains(logs.stdout, "payload line from e2e") || !strings.Contains(logs.stdout, "meta: e2e") {
			return fmt.Errorf("logs (exit %d): %q %s", logs.code, logs.stdout, logs.stderr)
		}
		return nil
	})

	testutil.WaitFor(t, 10*time.Second, func() error {
		st := a.mustDrover("job", "status", "greeter")
		if !strings.Contains(st.stdout, "Dispatched Jobs") || !regexp.MustCompile(regexp.QuoteMeta(child)+`\s+dead`).MatchString(st.stdout) {
			return fmt.Errorf("job status greeter:\n%s", st.stdout)
		}
		return nil
	})
}

// TestPeriodicForceLaunchesChild forces a launch of a periodic job (whose
// schedule would not fire for months) and sees the child complete.
func TestPeriodicForceLaunchesChild(t *testing.T) {
	a := startAgent(t, "", "", "-dev")
	a.waitReady()
	run := a.mustDrover("job", "run", writeFile(t, a.dir, "tick.hcl", cronJobHCL))
	if !strings.Contains(run.stdout, "Approximate next launch time") {
		t.Errorf("job run of a periodic job:\n%s", run.stdout)
	}
	if r := a.drover("job", "periodic", "force", "nope"); r.code != 1 {
		t.Errorf("force of an unknown job: exit %d\n%s", r.code, r.stderr)
	}

	f := a.mustDrover("job", "periodic", "force", "tick")
	if !strings.Contains(f.stdout, "Monitoring evaluation") {
		t.Errorf("periodic force output:\n%s", f.stdout)
	}
	var children []struct{ ID, ParentID, Status string }
	if err := a.getJSON("/v1/jobs?prefix=tick/periodic-", &children); err != nil {
		t.Fatal(err)
	}
	if len(children) != 1 || children[0].ParentID != "tick" {
		t.Fatalf("children listed under the parent: %+v", children)
	}
	child := children[0].ID
	a.waitAllocStatus(url.PathEscape(child), "complete")
	testutil.WaitFor(t, 10*time.Second, func() error {
		if st, err := a.jobStatusOf(child); err != nil || st != "dead" {
			return fmt.Errorf("child status %q (%v)", st, err)
		}
		st := a.mustDrover("job", "status", "tick")
		for _, want := range []string{"Next Periodic Launch", "Previously Launched Jobs", "Children Job Summary"} {
			if !strings.Contains(st.stdout, want) {
				return fmt.Errorf("job status tick lacks %q:\n%s", want, st.stdout)
			}
		}
		if !regexp.MustCompile(regexp.QuoteMeta(child) + `\s+dead`).MatchString(st.stdout) {
			return fmt.Errorf("job status tick does not list %s as dead:\n%s", child, st.stdout)
		}
		return nil
	})
	if st, err := a.jobStatusOf("tick"); err != nil || st != "running" {
		t.Errorf("periodic parent status %q (%v), want running", st, err)
	}
}
