package cgroup

import (
	"os"
	"path"
	"strings"
	"testing"
	"time"
)

// TestReadDetail reads CPU time by mode and resident memory from fake v1
// and v2 groups, and names the missing file or key otherwise.
func TestReadDetail(t *testing.T) {
	root := t.TempDir()
	put := func(dir, file, text string) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path.Join(dir, file), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mem, acct := path.Join(root, "memory"), path.Join(root, "cpuacct")
	put(mem, "memory.stat", "rss 1\ntotal_rss 4096\n")
	put(acct, "cpuacct.stat", "user 250\nsystem 30\n")
	v1 := &v1Group{name: "t", dirs: map[string]string{"memory": mem, "cpuacct": acct}}
	d, err := ReadDetail(v1)
	if err != nil || d != (Detail{UserTime: 2500 * time.Millisecond, SystemTime: 300 * time.Millisecond, RSSBytes: 4096}) {
		t.Errorf("v1 detail = %+v, %v", d, err)
	}

	v2dir := path.Join(root, "v2")
	put(v2dir, "memory.stat", "anon 8192\nfile 100\n")
	put(v2dir, "cpu.stat", "usage_usec 9\nuser_usec 7000\nsystem_usec 2000\n")
	d, err = ReadDetail(&v2Group{name: "t", dir: v2dir})
	if err != nil || d != (Detail{UserTime: 7 * time.Millisecond, SystemTime: 2 * time.Millisecond, RSSBytes: 8192}) {
		t.Errorf("v2 detail = %+v, %v", d, err)
	}

	put(acct, "cpuacct.stat", "user 250\n")
	if _, err := ReadDetail(v1); err == nil || !strings.Contains(err.Error(), "system") {
		t.Errorf("v1 detail without system time: %v, want an error naming it", err)
	}
	if _, err := ReadDetail(&v1Group{name: "t", dirs: map[string]string{"memory": mem}}); err == nil {
		t.Error("v1 detail without cpuacct succeeded")
	}
	if _, err := ReadDetail(&v2Group{name: "t", dir: path.Join(root, "missing")}); err == nil {
		t.Error("v2 detail of a missing group succeeded")
	}
}
