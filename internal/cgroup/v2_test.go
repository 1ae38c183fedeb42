package cgroup

import (
	"os"
	"path"
	"strings"
	"testing"
)

// TestV2Files drives the version 2 code over a fake hierarchy (this
// project's CI hosts may be v1): the parent delegates the controllers,
// limits land in v2's files, and usage and OOM kills are read from them.
func TestV2Files(t *testing.T) {
	mount := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(path.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read := func(p string) string {
		t.Helper()
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	// The root already delegates memory, cpu and pids; the parent is new.
	write(path.Join(mount, "cgroup.subtree_control"), "cpu memory pids\n")
	write(path.Join(mount, "drover", "cgroup.subtree_control"), "")
	m := &v2Manager{mount: mount, parent: "drover"}
	g, err := m.Create("task1", Limits{MemoryBytes: 128 << 20, CPUShares: 1024, PidsMax: 99})
	if err != nil {
		t.Fatal(err)
	}
	dir := path.Join(mount, "drover", "task1")
	// A regular file keeps only the last write; the kernel's file would
	// hold all three controllers.
	if got := read(path.Join(mount, "drover", "cgroup.subtree_control")); got != "+pids" {
		t.Errorf("parent subtree_control last write = %q, want +pids", got)
	}
	for f, want := range map[string]string{"memory.max": "134217728", "cpu.weight": "39", "pids.max": "99"} {
		if got := read(path.Join(dir, f)); got != want {
			t.Errorf("%s = %q, want %q", f, got, want)
		}
	}
	write(path.Join(dir, "memory.current"), "1000\n")
	write(path.Join(dir, "memory.stat"), "anon 800\ninactive_file 100\n")
	write(path.Join(dir, "cpu.stat"), "usage_usec 5\nuser_usec 3\n")
	write(path.Join(dir, "pids.current"), "3\n")
	write(path.Join(dir, "memory.events"), "low 0\noom 1\noom_kill 0\n")
	u, err := g.Usage()
	if err != nil || u != (Usage{MemoryBytes: 900, CPUNanos: 5000, Pids: 3}) {
		t.Fatalf("Usage = %+v, %v", u, err)
	}
	if oom, err := g.OOMKilled(); err != nil || oom {
		t.Fatalf("OOMKilled = %v, %v with oom_kill 0", oom, err)
	}
	write(path.Join(dir, "memory.events"), "low 0\noom 1\noom_kill 2\n")
	if oom, err := g.OOMKilled(); err != nil || !oom {
		t.Fatalf("OOMKilled = %v, %v with oom_kill 2", oom, err)
	}
	write(path.Join(dir, "cgroup.procs"), "12\nnot-a-pid\n")
	if _, err := g.Pids(); err == nil {
		t.Fatal("Pids parsed a corrupt cgroup.procs")
	}
	if _, err := m.Open("task1"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Open("task2"); err == nil {
		t.Fatal("Open of a missing group succeeded")
	}
}
