package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/testutil"
)

// bundle is a tar.gz holding greeting.txt.
func bundle(t *testing.T, greeting string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: "greeting.txt", Mode: 0o644, Size: int64(len(greeting)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte(greeting))
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func artifactJob(t *testing.T, dir, id, source, checksum string) string {
	t.Helper()
	src := fmt.Sprintf(`job %q {
  datacenters = ["dc1"]
  type        = "batch"

  group "g" {
    restart {
      attempts = 1
      delay    = "100ms"
      interval = "10s"
      mode     = "fail"
    }

    task "show" {
      driver = "raw_exec"

      artifact {
        source      = %q
        destination = "local/bundle"
        options {
          checksum = "sha256:%s"
        }
      }

      config {
        command = "/bin/sh"
        args    = ["-c", "cat local/bundle/greeting.txt"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, id, source, checksum)
	path := filepath.Join(dir, id+".hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestArtifactFetchedAndUsed runs a raw_exec task whose artifact, a tar.gz
// from a local HTTP server, is unpacked into its directory and printed to
// its log; and a task whose artifact fails its checksum, which never runs.
func TestArtifactFetchedAndUsed(t *testing.T) {
	greeting := fmt.Sprintf("hello from an artifact %d\n", time.Now().UnixNano())
	body := bundle(t, greeting)
	sum := sha256.Sum256(body)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/bundle.tar.gz" {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	defer srv.Close()

	a := startAgent(t, "", "", "-dev")
	a.waitReady()

	good := artifactJob(t, a.dir, "art-good", srv.URL+"/bundle.tar.gz", hex.EncodeToString(sum[:]))
	a.mustDrover("job", "run", good)
	alloc := a.waitAllocStatus("art-good", "complete")
	testutil.WaitFor(t, 10*time.Second, func() error {
		logs := a.drover("alloc", "logs", alloc.ID, "show")
		if !strings.Contains(logs.stdout, strings.TrimSpace(greeting)) {
			return fmt.Errorf("logs lack the artifact's content: %q %q", logs.stdout, logs.stderr)
		}
		return nil
	})
	startedEvent := regexp.MustCompile(`\sStarted\s+Task started`)
	if st := a.mustDrover("alloc", "status", alloc.ID); !strings.Contains(st.stdout, "Downloading Artifacts") || !startedEvent.MatchString(st.stdout) {
		t.Errorf("alloc status lacks the Downloading Artifacts or Started event:\n%s", st.stdout)
	}

	bad := artifactJob(t, a.dir, "art-bad", srv.URL+"/bundle.tar.gz", strings.Repeat("0", 64))
	a.mustDrover("job", "run", "-detach", bad)
	failed := a.waitAllocStatus("art-bad", "failed")
	st := a.mustDrover("alloc", "status", failed.ID)
	for _, want := range []string{"Failed Artifact Download", "Not Restarting"} {
		if !strings.Contains(st.stdout, want) {
			t.Errorf("alloc status of the bad artifact lacks %q:\n%s", want, st.stdout)
		}
	}
	if startedEvent.MatchString(st.stdout) {
		t.Errorf("the task with a bad artifact started:\n%s", st.stdout)
	}
}
