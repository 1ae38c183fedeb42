package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestServerRestartKeepsJobs: a single server with a data_dir keeps its jobs
// across a restart (Raft log and snapshots in data_dir).
func TestServerRestartKeepsJobs(t *testing.T) {
	dir := t.TempDir()
	conf := fmt.Sprintf("data_dir = %q\nserver {\n enabled = true\n bootstrap_expect = 1\n}\nclient {\n enabled = true\n}\nplugin \"mock\" {\n config {\n enabled = true\n }\n}\n", filepath.Join(dir, "data"))
	src := "job \"keep\" {\n group \"g\" {\n task \"t\" {\n driver = \"mock\"\n config {\n run_for = \"1h\"\n }\n }\n }\n}\n"
	jobFile := writeFile(t, dir, "keep.hcl", src)

	a := startAgent(t, dir, conf)
	a.waitReady()
	a.mustDrover("job", "run", jobFile)
	a.waitAllocStatus("keep", "running")
	if err := a.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("agent exit: %v", err)
	}

	b := startAgent(t, dir, conf)
	b.waitReady()
	var job map[string]any
	if err := b.getJSON("/v1/job/keep", &job); err != nil {
		t.Fatalf("job lost across restart: %v", err)
	}
	if job["ID"] != "keep" {
		t.Errorf("job = %v", job)
	}
}

// TestHTTPBadBodies: an oversized body gets 413 and invalid JSON 400, both
// with a JSON error.
func TestHTTPBadBodies(t *testing.T) {
	a := startAgent(t, "", "", "-dev")
	a.waitReady()
	tests := []struct {
		name string
		body []byte
		want int
	}{
		{"invalid json", []byte(`{"Job": {`), http.StatusBadRequest},
		{"too large", append([]byte(`{"Job": {"ID": "`), bytes.Repeat([]byte("a"), 64<<20)...), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPut, a.httpAddr+"/v1/jobs", bytes.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tt.want, body)
			}
			var e struct{ Error string }
			if err := json.Unmarshal(body, &e); err != nil || strings.TrimSpace(e.Error) == "" {
				t.Errorf("body is not a JSON error: %q (%v)", body, err)
			}
		})
	}
}
