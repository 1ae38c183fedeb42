package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || strings.TrimSpace(string(body)) == "" {
				t.Errorf("body is not a plain-text error message: %s %q", ct, body)
			}
		})
	}
}

// TestAgentRestartReattaches: outside -dev, stopping the agent leaves its
// tasks running, and the next agent on the same data_dir reattaches to them
// without restarting them.
func TestAgentRestartReattaches(t *testing.T) {
	dir := t.TempDir()
	conf := fmt.Sprintf("data_dir = %q\nserver {\n enabled = true\n bootstrap_expect = 1\n}\nclient {\n enabled = true\n}\nplugin \"raw_exec\" {\n config {\n enabled = true\n }\n}\n", filepath.Join(dir, "data"))
	marker := fmt.Sprintf("e2e-reattach-%d", time.Now().UnixNano())
	jobFile, pidFile := helloJob(t, dir, "reattach", marker)

	a := startAgent(t, dir, conf)
	a.waitReady()
	a.mustDrover("job", "run", "-detach", jobFile)
	alloc := a.waitAllocStatus("reattach", "running")
	pid := readPID(t, pidFile)
	if err := a.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("agent exit: %v", err)
	}
	if !processAlive(pid) {
		t.Fatalf("task %d died with the agent; outside -dev tasks must outlive it", pid)
	}
	t.Cleanup(func() { syscall.Kill(-pid, syscall.SIGKILL) })

	b := startAgent(t, dir, conf)
	b.waitReady()
	after := b.waitAllocStatus("reattach", "running")
	if after.ID != alloc.ID {
		t.Errorf("allocation replaced: %s before, %s after", alloc.ID, after.ID)
	}
	var full struct {
		TaskStates map[string]struct {
			Restarts uint64
			Events   []struct{ Type string }
		}
	}
	if err := b.getJSON("/v1/allocation/"+alloc.ID, &full); err != nil {
		t.Fatal(err)
	}
	ts := full.TaskStates["hello"]
	started := 0
	for _, e := range ts.Events {
		if e.Type == "Started" {
			started++
		}
	}
	if ts.Restarts != 0 || started != 1 {
		t.Errorf("task restarted across the agent restart: restarts=%d, Started events=%d", ts.Restarts, started)
	}
	if got := readPID(t, pidFile); got != pid || !processAlive(pid) {
		t.Errorf("task process changed: pid %d before, %d after (alive=%v)", pid, got, processAlive(pid))
	}
	b.mustDrover("job", "stop", "reattach")
	waitGone(t, marker)
}
