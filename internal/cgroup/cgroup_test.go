package cgroup

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/testutil"
)

func TestDetectFromMounts(t *testing.T) {
	dir := t.TempDir()
	withMemory := path.Join(dir, "unified-mem")
	noControllers := path.Join(dir, "unified-empty")
	for d, ctl := range map[string]string{withMemory: "cpu io memory pids\n", noControllers: "\n"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path.Join(d, "cgroup.controllers"), []byte(ctl), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		mounts  string
		version int
		err     bool
	}{
		{"v2 unified", "cgroup2 " + withMemory + " cgroup2 rw,nosuid 0 0\n", 2, false},
		{"hybrid is v1", "cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n" +
			"cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,cpu,cpuacct 0 0\n" +
			"cgroup2 " + noControllers + " cgroup2 rw 0 0\n", 1, false},
		{"none", "proc /proc proc rw 0 0\n", 0, true},
		{"v1 without memory", "cgroup /sys/fs/cgroup/pids cgroup rw,pids 0 0\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := detect(strings.NewReader(tt.mounts), "drover")
			if tt.err {
				if !errors.Is(err, ErrUnavailable) {
					t.Fatalf("detect = %v, %v; want ErrUnavailable", m, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Version() != tt.version {
				t.Fatalf("version = %d, want %d", m.Version(), tt.version)
			}
		})
	}
	m, err := detect(strings.NewReader("cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,cpu,cpuacct 0 0\ncgroup /m cgroup rw,memory 0 0\n"), "drover")
	if err != nil {
		t.Fatal(err)
	}
	v1 := m.(*v1Manager)
	if v1.mounts["cpu"] != "/sys/fs/cgroup/cpu,cpuacct" || v1.mounts["cpuacct"] != v1.mounts["cpu"] {
		t.Fatalf("co-mounted cpu,cpuacct: %v", v1.mounts)
	}
	g := &v1Group{name: "x", dirs: v1.dirs("x")}
	if got := g.controllers(); len(got) != 2 {
		t.Fatalf("controllers of a co-mounted pair = %v, want cpu dir once and memory", got)
	}
}

func TestBadNames(t *testing.T) {
	if _, err := detect(strings.NewReader(""), "../etc"); err == nil {
		t.Fatal("parent ../etc accepted")
	}
	m := &v1Manager{mounts: map[string]string{"memory": t.TempDir()}, parent: "drover"}
	for _, n := range []string{"", ".", "..", "a/b", "../../x"} {
		if _, err := m.Create(n, Limits{}); err == nil {
			t.Errorf("Create(%q) accepted", n)
		}
		if _, err := m.Open(n); err == nil {
			t.Errorf("Open(%q) accepted", n)
		}
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"a1b2/web/123": "a1b2_web_123",
		"..":           "_..",
		"x y\x00z":     "x_y_z",
		"ok.name-1_2":  "ok.name-1_2",
	} {
		if got := SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
		if checkName(SafeName(in)) != nil {
			t.Errorf("SafeName(%q) = %q is not a valid name", in, SafeName(in))
		}
	}
}

func TestCPUWeight(t *testing.T) {
	for shares, want := range map[int64]int64{0: 1, 2: 1, 1024: 39, 262144: 10000, 1 << 40: 10000} {
		if got := cpuWeight(shares); got != want {
			t.Errorf("cpuWeight(%d) = %d, want %d", shares, got, want)
		}
	}
}

func TestUnescape(t *testing.T) {
	if got := unescape(`/a\040b\\c`); got != `/a b\\c` {
		t.Fatalf("unescape = %q", got)
	}
}

// TestGroupLifecycle runs against the host's real cgroups: limits land in
// the kernel's files, a process is held and counted, Kill empties the group
// and Destroy removes it.
func TestGroupLifecycle(t *testing.T) {
	testutil.Require(t, testutil.Root)
	m, err := Detect("drover-test")
	if err != nil {
		t.Fatal(err)
	}
	name := "lifecycle-" + strconv.Itoa(os.Getpid())
	g, err := m.Create(name, Limits{MemoryBytes: 64 << 20, CPUShares: 500, PidsMax: 32})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		g.Destroy()
		removeParent(m)
	})
	checkLimits(t, m, g)

	// The shell waits for a line, so that the memory of the sleep it then
	// execs is charged to the group it has been moved into by then.
	cmd := exec.Command("sh", "-c", "read x; exec sleep 1000")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if err := g.Add(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	pids, err := g.Pids()
	if err != nil || len(pids) != 1 || pids[0] != cmd.Process.Pid {
		t.Fatalf("Pids = %v, %v; want [%d]", pids, err, cmd.Process.Pid)
	}
	if _, err := stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, func() error {
		u, err := g.Usage()
		if err != nil || u.MemoryBytes == 0 || u.Pids != 1 || u.CPUNanos == 0 {
			return fmt.Errorf("Usage = %+v, %v; want memory and CPU in use and 1 pid", u, err)
		}
		return nil
	})
	if oom, err := g.OOMKilled(); err != nil || oom {
		t.Fatalf("OOMKilled = %v, %v on a sleeping task", oom, err)
	}
	opened, err := m.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := opened.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("process survived Kill")
	}
	if err := g.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Open(name); err == nil {
		t.Fatal("Open after Destroy succeeded")
	}
}

func checkLimits(t *testing.T, m Manager, g Group) {
	t.Helper()
	want := map[string]string{}
	switch gg := g.(type) {
	case *v1Group:
		want[path.Join(gg.dirs["memory"], "memory.limit_in_bytes")] = strconv.Itoa(64 << 20)
		want[path.Join(gg.dirs["cpu"], "cpu.shares")] = "500"
		want[path.Join(gg.dirs["pids"], "pids.max")] = "32"
	case *v2Group:
		want[path.Join(gg.dir, "memory.max")] = strconv.Itoa(64 << 20)
		want[path.Join(gg.dir, "cpu.weight")] = strconv.FormatInt(cpuWeight(500), 10)
		want[path.Join(gg.dir, "pids.max")] = "32"
	default:
		t.Fatalf("unknown group type %T (version %d)", g, m.Version())
	}
	for f, v := range want {
		b, err := os.ReadFile(f)
		if err != nil || strings.TrimSpace(string(b)) != v {
			t.Errorf("%s = %q, %v; want %s", f, b, err, v)
		}
	}
}

// removeParent removes the test's parent group once it is empty; another
// test run may still use it, so failure is fine.
func removeParent(m Manager) {
	switch mm := m.(type) {
	case *v1Manager:
		for _, mp := range mm.mounts {
			os.Remove(path.Join(mp, mm.parent))
		}
	case *v2Manager:
		os.Remove(path.Join(mm.mount, mm.parent))
	}
}
