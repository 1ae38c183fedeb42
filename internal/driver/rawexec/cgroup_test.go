package rawexec

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/cgroup"
	"github.com/drover-sh/drover/internal/cgroup/cgrouptest"
	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/testutil"
)

// newNoCgroupDriver is a driver on a host whose cgroups are unavailable.
func newNoCgroupDriver(t *testing.T) *Driver {
	cfg := Config{Enabled: true, RecoverPollInterval: 10 * time.Millisecond}
	cfg.cgroups = func() (cgroup.Manager, error) { return nil, cgroup.ErrUnavailable }
	return New(nil, cfg)
}

// groupOf returns the running task's cgroup, failing the test if it has none.
func groupOf(t *testing.T, d *Driver, id string) cgroup.Group {
	t.Helper()
	tk, err := d.lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	if tk.group == nil {
		t.Fatalf("task %s has no cgroup", id)
	}
	return tk.group
}

// pidsWithMarker lists the processes whose command line holds marker.
func pidsWithMarker(t *testing.T, marker string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !strings.Contains(string(b), marker) {
			continue
		}
		if state, _, err := driver.ProcStat(pid); err == nil && state != 'Z' {
			out = append(out, pid)
		}
	}
	return out
}

// TestCgroupKillsEscapedChild starts a task that setsid's a child which
// ignores SIGTERM, then exits on SIGTERM itself: after StopTask nothing of
// it is left, though the child left the process group; the cgroup exists
// while the task runs and is gone after DestroyTask.
//
// It runs on the host's cgroups and on the kernel's unified hierarchy
// (version 2) mounted for the test, so that both versions' starts, kills
// and removals run against the kernel whatever this host's layout.
func TestCgroupKillsEscapedChild(t *testing.T) {
	testutil.Require(t, testutil.Root)
	t.Run("host", func(t *testing.T) { testKillsEscapedChild(t, mustManager(t), "") })
	t.Run("v2", func(t *testing.T) {
		mount, parent := cgrouptest.MountV2(t)
		m, err := cgroup.OpenV2(mount, parent)
		if err != nil {
			t.Fatal(err)
		}
		testKillsEscapedChild(t, m, "2")
	})
}

func testKillsEscapedChild(t *testing.T, m cgroup.Manager, version string) {
	dc := Config{Enabled: true, RecoverPollInterval: 10 * time.Millisecond}
	dc.cgroups = func() (cgroup.Manager, error) { return m, nil }
	d := New(nil, dc)
	attrs := d.Fingerprint(context.Background()).Attributes
	if v := attrs["driver.raw_exec.cgroup_version"]; attrs["driver.raw_exec.cgroup"] != "true" || v != "1" && v != "2" || version != "" && v != version {
		t.Fatalf("fingerprint attributes %v: want cgroups as root, with their version", attrs)
	}
	// The child runs a script whose name is the marker; the task's own
	// command line spells the name in two quoted halves, so only the
	// child's command line holds the marker.
	id := strconv.FormatInt(time.Now().UnixNano(), 36)
	marker := "drover-escape-" + id + ".sh"
	script := `setsid /bin/sh "$PWD/drover-esc""ape-` + id + `.sh" & while :; do sleep 0.05; done`
	cfg := shTask(t, "escape", script)
	// The child says when it runs its script: by then setsid has made it a
	// session of its own, and it ignores SIGTERM.
	child := `trap "" TERM; : > "$PWD/child-ready"; while :; do sleep 0.05; done`
	if err := os.WriteFile(filepath.Join(cfg.TaskDir, marker), []byte(child), 0o755); err != nil {
		t.Fatal(err)
	}
	startTask(t, d, cfg)
	g := groupOf(t, d, cfg.ID)
	eventually(t, "the setsid child to run", func() bool {
		_, err := os.Stat(filepath.Join(cfg.TaskDir, "child-ready"))
		return err == nil && len(pidsWithMarker(t, marker)) == 1
	})
	escaped := pidsWithMarker(t, marker)[0]
	pids, err := g.Pids()
	if err != nil || !slices.Contains(pids, escaped) {
		t.Fatalf("cgroup %s holds %v (%v), want the setsid child %d too", g.Name(), pids, err, escaped)
	}
	if slices.Contains(pids, os.Getpid()) {
		t.Fatalf("cgroup %s holds the agent itself (%d): the thread that forked the task was not moved back", g.Name(), os.Getpid())
	}
	tk, _ := d.lookup(cfg.ID)
	if pgid, err := syscall.Getpgid(escaped); err != nil || pgid == tk.pgid {
		t.Fatalf("child %d is in process group %d (%v): it did not leave the task's group %d", escaped, pgid, err, tk.pgid)
	}

	if err := d.StopTask(cfg.ID, 200*time.Millisecond, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	if left := pidsWithMarker(t, marker); len(left) != 0 {
		t.Fatalf("processes %v of the task survived StopTask", left)
	}
	if err := d.DestroyTask(cfg.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Open(g.Name()); err == nil {
		t.Fatalf("cgroup %s still exists after DestroyTask", g.Name())
	}
}

// TestCgroupStatsAndRecovery reads the task's usage from its cgroup, and a
// new driver instance (a restarted agent) recovers the task with its
// cgroup from the handle, and still kills an escaped child on stop.
func TestCgroupStatsAndRecovery(t *testing.T) {
	testutil.Require(t, testutil.Root)
	d := newTestDriver(t)
	cfg := shTask(t, "busy", `setsid sh -c 'while :; do :; done' & wait`)
	h := startTask(t, d, cfg)
	var st taskState
	if err := json.Unmarshal(h.DriverState, &st); err != nil || st.Cgroup == "" {
		t.Fatalf("driver state %s (%v) names no cgroup", h.DriverState, err)
	}

	// The burning child left the process group: /proc's per-group sum
	// would miss it, the cgroup counts it.
	var u *driver.TaskResourceUsage
	eventually(t, "CPU time to show", func() bool {
		var err error
		if u, err = d.TaskStats(cfg.ID); err != nil {
			t.Fatalf("TaskStats: %v", err)
		}
		return u.CPU.UserTime+u.CPU.SystemTime >= 50*time.Millisecond
	})
	if u.Memory.Usage == 0 || u.Memory.RSS == 0 || u.Memory.Swap != 0 ||
		!slices.Equal(u.Memory.Measured, []string{driver.MeasuredRSS, driver.MeasuredUsage}) ||
		!slices.Equal(u.CPU.Measured, measuredCPU) {
		t.Errorf("cgroup usage %+v: want RSS and usage measured, no swap, CPU by mode", u)
	}
	// The same reading from /proc, by process group, misses the child.
	tk, _ := d.lookup(cfg.ID)
	procs, err := scanProcs("/proc")
	if err != nil {
		t.Fatal(err)
	}
	if byGroup := groupUsage(procs, tk.pgid, os.Getpagesize()); byGroup.CPU.UserTime >= u.CPU.UserTime {
		t.Errorf("the process group alone used %v of CPU, the cgroup %v: the cgroup should count the escaped child", byGroup.CPU.UserTime, u.CPU.UserTime)
	}

	d2 := newTestDriver(t)
	if err := d2.RecoverTask(h); err != nil {
		t.Fatal(err)
	}
	if g := groupOf(t, d2, cfg.ID); g.Name() != st.Cgroup {
		t.Fatalf("recovered cgroup %s, want %s", g.Name(), st.Cgroup)
	}
	if _, err := d2.TaskStats(cfg.ID); err != nil {
		t.Fatalf("TaskStats after recovery: %v", err)
	}
	if err := d2.StopTask(cfg.ID, 100*time.Millisecond, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	if err := d2.DestroyTask(cfg.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := mustManager(t).Open(st.Cgroup); err == nil {
		t.Fatalf("cgroup %s still exists after DestroyTask", st.Cgroup)
	}
	d.DestroyTask(cfg.ID, true)
}

// TestRecoverOldHandleWithoutCgroup recovers a handle written before tasks
// had cgroups: the task is found, and runs on without one.
func TestRecoverOldHandleWithoutCgroup(t *testing.T) {
	d := newTestDriver(t)
	cfg := shTask(t, "old", "sleep 1000")
	h := startTask(t, d, cfg)
	var st taskState
	if err := json.Unmarshal(h.DriverState, &st); err != nil {
		t.Fatal(err)
	}
	old, _ := json.Marshal(map[string]any{"pid": st.Pid, "pgid": st.Pgid, "start_time": st.StartTime})
	oh := *h
	oh.DriverState = old
	d2 := newTestDriver(t)
	if err := d2.RecoverTask(&oh); err != nil {
		t.Fatal(err)
	}
	if tk, _ := d2.lookup(cfg.ID); tk == nil || tk.group != nil {
		t.Fatalf("recovered task %+v: want it found, without a cgroup", tk)
	}
	if err := d2.StopTask(cfg.ID, time.Second, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	d2.DestroyTask(cfg.ID, false)
}

// TestNoCgroups runs a task as before where cgroups are unavailable, and
// says so in the fingerprint.
func TestNoCgroups(t *testing.T) {
	d := newNoCgroupDriver(t)
	fp := d.Fingerprint(context.Background())
	if !fp.Healthy || fp.Attributes["driver.raw_exec.cgroup"] != "false" {
		t.Fatalf("fingerprint %+v: want healthy with driver.raw_exec.cgroup=false", fp)
	}
	cfg := shTask(t, "plain", "echo plain")
	h := startTask(t, d, cfg)
	if res := wait(t, d, cfg.ID); res.ExitCode != 0 {
		t.Fatalf("exit %+v", res)
	}
	var st taskState
	if err := json.Unmarshal(h.DriverState, &st); err != nil || st.Cgroup != "" {
		t.Fatalf("driver state %s (%v): want no cgroup", h.DriverState, err)
	}
	if got := readStdout(t, cfg); !strings.Contains(got, "plain") {
		t.Fatalf("stdout %q", got)
	}
}

// TestRecoverMissingCgroup recovers a live task whose cgroup has vanished:
// it is recovered without one rather than lost.
func TestRecoverMissingCgroup(t *testing.T) {
	testutil.Require(t, testutil.Root)
	d := newTestDriver(t)
	cfg := shTask(t, "lost", "sleep 1000")
	h := startTask(t, d, cfg)
	var st taskState
	if err := json.Unmarshal(h.DriverState, &st); err != nil {
		t.Fatal(err)
	}
	st.Cgroup = "raw_exec-no-such-group"
	bad, _ := json.Marshal(st)
	bh := *h
	bh.DriverState = bad
	d2 := newTestDriver(t)
	if err := d2.RecoverTask(&bh); err != nil {
		t.Fatal(err)
	}
	if tk, _ := d2.lookup(cfg.ID); tk == nil || tk.group != nil {
		t.Fatalf("recovered task %+v: want it found, without a cgroup", tk)
	}
	if _, err := d2.TaskStats(cfg.ID); err != nil {
		t.Fatalf("TaskStats from /proc: %v", err)
	}
	if err := d2.StopTask(cfg.ID, time.Second, "SIGKILL"); err != nil {
		t.Fatal(err)
	}
	d2.DestroyTask(cfg.ID, false)
}

func mustManager(t *testing.T) cgroup.Manager {
	t.Helper()
	m, err := cgroup.Detect(cgroupParent)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCleanupTaskFindsUnrecordedStart: a new driver instance (the next
// agent) that never saw the handle finds a started task by its config
// alone, through its cgroup, and kills it; finding nothing is no error.
func TestCleanupTaskFindsUnrecordedStart(t *testing.T) {
	testutil.Require(t, testutil.Root)
	d := newTestDriver(t)
	marker := "drover-unrecorded-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	cfg := shTask(t, "lost", ": "+marker+"; while :; do sleep 0.05; done")
	startTask(t, d, cfg)
	g := groupOf(t, d, cfg.ID)
	eventually(t, "the task to run", func() bool { return len(pidsWithMarker(t, marker)) > 0 })

	next := newTestDriver(t)
	if err := next.CleanupTask(cfg); err != nil {
		t.Fatal(err)
	}
	if left := pidsWithMarker(t, marker); len(left) != 0 {
		t.Fatalf("processes %v survived CleanupTask", left)
	}
	if _, err := mustManager(t).Open(g.Name()); err == nil {
		t.Fatalf("cgroup %s still exists after CleanupTask", g.Name())
	}
	if err := next.CleanupTask(cfg); err != nil {
		t.Fatalf("second CleanupTask: %v", err)
	}
	never := shTask(t, "never", "exit 0")
	if err := next.CleanupTask(never); err != nil {
		t.Fatalf("CleanupTask of a task never started: %v", err)
	}
}
