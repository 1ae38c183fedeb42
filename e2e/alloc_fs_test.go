package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/testutil"
)

// fsJob writes a raw_exec job file whose task fills its directory with a
// file, a secret and symlinks that lead out, then runs (service) or exits
// (batch).
func fsJob(t *testing.T, dir, id, jobType string) string {
	script := `echo "data of $NOMAD_ALLOC_ID" > "$NOMAD_TASK_DIR/out.txt"
echo s3cret > "$NOMAD_SECRETS_DIR/token"
ln -s /etc/passwd "$NOMAD_TASK_DIR/passwd"
ln -s /etc "$NOMAD_TASK_DIR/etc"
ln -s ../../alloc/logs "$NOMAD_TASK_DIR/logs"
echo started
`
	if jobType == "service" {
		script += "while true; do sleep 0.2; done\n"
	}
	src := fmt.Sprintf(`job %q {
  datacenters = ["dc1"]
  type        = %q

  group "g" {
    task "files" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", %q]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, id, jobType, script)
	path := filepath.Join(dir, id+".hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAllocFS reads a running allocation's files with drover alloc fs and
// checks that nothing leads outside its directory; then a finished batch
// allocation is garbage-collected (gc_max_allocs = 1) while the running one
// is kept.
func TestAllocFS(t *testing.T) {
	a := startAgent(t, "", "client {\n  gc_interval = \"200ms\"\n  gc_max_allocs = 1\n}\n", "-dev")
	a.waitReady()
	a.mustDrover("job", "run", "-detach", fsJob(t, a.dir, "fsweb", "service"))
	web := a.waitAllocStatus("fsweb", "running")
	id := web.ID[:8]

	testutil.WaitFor(t, 10*time.Second, func() error {
		out := a.drover("alloc", "fs", id, "files/local/out.txt")
		if out.code != 0 || out.stdout != "data of "+web.ID+"\n" {
			return fmt.Errorf("alloc fs cat (exit %d): %q %s", out.code, out.stdout, out.stderr)
		}
		return nil
	})
	ls := a.mustDrover("alloc", "fs", id)
	for _, want := range []string{"alloc/", "files/", "Mode", "Modified Time"} {
		if !strings.Contains(ls.stdout, want) {
			t.Errorf("alloc fs listing lacks %q:\n%s", want, ls.stdout)
		}
	}
	local := a.mustDrover("alloc", "fs", id, "files/local")
	for _, want := range []string{"Lrwxrwxrwx", "passwd", "etc", "out.txt"} {
		if !strings.Contains(local.stdout, want) {
			t.Errorf("listing of files/local lacks %q:\n%s", want, local.stdout)
		}
	}
	st := a.mustDrover("alloc", "fs", "-stat", "-H", id, "files/local/out.txt")
	if !strings.Contains(st.stdout, fmt.Sprintf("%d", len("data of "+web.ID+"\n"))) {
		t.Errorf("alloc fs -stat -H:\n%s", st.stdout)
	}
	tail := a.mustDrover("alloc", "fs", "-tail", "-n", "1", id, "files/local/logs/files.stdout")
	if tail.stdout != "started\n" {
		t.Errorf("tail through a link inside: %q", tail.stdout)
	}
	secrets := a.mustDrover("alloc", "fs", id, "files/secrets")
	if !strings.Contains(secrets.stdout, "token") {
		t.Errorf("secrets/ is listed:\n%s", secrets.stdout)
	}
	for _, tc := range []struct{ path, want string }{
		{"files/local/passwd", "outside the allocation directory"},
		{"files/local/etc/shadow", "outside the allocation directory"},
		{"../../../etc/passwd", "leads outside the allocation directory"},
		{"files/secrets/token", "secrets directory"},
	} {
		out := a.drover("alloc", "fs", id, tc.path)
		if out.code != 1 || !strings.Contains(out.stderr, tc.want) || strings.Contains(out.stdout, "root:") || strings.Contains(out.stdout, "s3cret") {
			t.Errorf("alloc fs %s: exit %d, stdout %q, stderr %q; want a refusal saying %q", tc.path, out.code, out.stdout, out.stderr, tc.want)
		}
	}
	var raw []map[string]any
	if err := a.getJSON("/v1/client/fs/ls/"+web.ID+"?path=/files/local", &raw); err != nil || len(raw) != 4 {
		t.Errorf("GET /v1/client/fs/ls: %v, %v", raw, err)
	}

	a.mustDrover("job", "run", "-detach", fsJob(t, a.dir, "fsbatch", "batch"))
	batch := a.waitAllocStatus("fsbatch", "complete")
	testutil.WaitFor(t, 15*time.Second, func() error {
		out := a.drover("alloc", "fs", batch.ID[:8])
		if out.code == 0 {
			return fmt.Errorf("the finished batch allocation's directory is still served:\n%s", out.stdout)
		}
		if !strings.Contains(out.stderr, "not on this client") {
			return fmt.Errorf("alloc fs of a collected allocation: %s", out.stderr)
		}
		return nil
	})
	a.mustDrover("alloc", "fs", id, "files/local/out.txt") // the running one is kept
}
