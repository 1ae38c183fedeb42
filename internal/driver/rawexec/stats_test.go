package rawexec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/driver"
)

// TestTaskStatsBusyLoop runs a real shell whose child burns CPU while the
// shell itself waits, without cgroups: CPU time shows only if the whole
// process group is summed, and memory is the group's RSS.
func TestTaskStatsBusyLoop(t *testing.T) {
	d := newNoCgroupDriver(t)
	cfg := shTask(t, "busy", "(while :; do :; done) & wait")
	startTask(t, d, cfg)
	var u *driver.TaskResourceUsage
	eventually(t, "CPU time to show", func() bool {
		var err error
		if u, err = d.TaskStats(cfg.ID); err != nil {
			t.Fatalf("TaskStats: %v", err)
		}
		return u.CPU.UserTime+u.CPU.SystemTime >= 50*time.Millisecond
	})
	if u.Memory.RSS == 0 {
		t.Errorf("RSS = 0 for a running shell")
	}
	if u.Timestamp.IsZero() || time.Since(u.Timestamp) > time.Minute {
		t.Errorf("Timestamp %v", u.Timestamp)
	}
	if !strings.Contains(strings.Join(u.Memory.Measured, ","), driver.MeasuredRSS) ||
		!strings.Contains(strings.Join(u.CPU.Measured, ","), driver.MeasuredPercent) {
		t.Errorf("Measured %v / %v", u.Memory.Measured, u.CPU.Measured)
	}

	// Counters never run backwards while the task runs.
	before := u.CPU.UserTime + u.CPU.SystemTime
	d.procs.mu.Lock()
	d.procs.procs = nil // drop the cached scan, so the next reading is new
	d.procs.mu.Unlock()
	u2, err := d.TaskStats(cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after := u2.CPU.UserTime + u2.CPU.SystemTime; after < before {
		t.Errorf("CPU time went from %v to %v", before, after)
	}

	if err := d.StopTask(cfg.ID, 5*time.Second, "SIGKILL"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.TaskStats(cfg.ID); err == nil || !strings.Contains(err.Error(), "has exited") {
		t.Errorf("TaskStats of an exited task = %v, want an error saying it has exited", err)
	}
}

func TestTaskStatsUnknownTask(t *testing.T) {
	_, err := newTestDriver(t).TaskStats("no-such/task/0")
	if !errors.Is(err, driver.ErrTaskNotFound) {
		t.Fatalf("TaskStats(unknown) = %v, want ErrTaskNotFound", err)
	}
}

func statLine(pid, pgrp int, name string, utime, stime, cutime, cstime, rss int) string {
	// Fields 3..24: state ppid pgrp session tty tpgid flags minflt cminflt
	// majflt cmajflt utime stime cutime cstime priority nice threads
	// itrealvalue starttime vsize rss.
	return fmt.Sprintf("%d (%s) S 1 %d %d 0 -1 0 0 0 0 0 %d %d %d %d 20 0 1 0 100 1000 %d 0 0",
		pid, name, pgrp, pgrp, utime, stime, cutime, cstime, rss)
}

func TestParseProcStat(t *testing.T) {
	p, err := parseProcStat(42, statLine(42, 40, "odd) name (x", 7, 3, 5, 1, 9))
	if err != nil {
		t.Fatal(err)
	}
	want := proc{pid: 42, pgrp: 40, utime: 7, stime: 3, cutime: 5, cstime: 1, rssPages: 9}
	if p != want {
		t.Fatalf("parsed %+v, want %+v", p, want)
	}
	for _, bad := range []string{
		"42 no paren S 1",
		"42 (x) S 1 40",
		strings.Replace(statLine(42, 40, "x", 7, 3, 5, 1, 9), " 7 ", " seven ", 1),
		strings.Replace(statLine(42, 40, "x", 7, 3, 5, 1, 9), "S 1 40", "S 1 forty", 1),
	} {
		if _, err := parseProcStat(42, bad); err == nil || !strings.Contains(err.Error(), "malformed") {
			t.Errorf("parseProcStat(%q) = %v, want a malformed error", bad, err)
		}
	}
}

func TestGroupUsageSumsOnlyTheGroup(t *testing.T) {
	procs := []proc{
		{pid: 10, pgrp: 10, utime: 100, stime: 10, cutime: 50, cstime: 5, rssPages: 4},
		{pid: 11, pgrp: 10, utime: 20, stime: 2, rssPages: 6},
		{pid: 12, pgrp: 99, utime: 1000, stime: 1000, rssPages: 1000},
	}
	u := groupUsage(procs, 10, 4096)
	if u.CPU.UserTime != 170*clockTick || u.CPU.SystemTime != 17*clockTick {
		t.Errorf("CPU user %v system %v, want %v and %v", u.CPU.UserTime, u.CPU.SystemTime, 170*clockTick, 17*clockTick)
	}
	if u.Memory.RSS != 10*4096 {
		t.Errorf("RSS %d, want %d", u.Memory.RSS, 10*4096)
	}
}

func TestScanProcsAndSwap(t *testing.T) {
	root := t.TempDir()
	write := func(rel, s string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("7/stat", statLine(7, 7, "sh", 1, 2, 3, 4, 5))
	write("7/status", "Name:\tsh\nVmSwap:\t     12 kB\n")
	write("self/stat", "not a process")
	write("8/status", "Name:\tgone\n") // no stat: exited during the scan
	procs, err := scanProcs(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(procs) != 1 || procs[0].pid != 7 || procs[0].rssPages != 5 {
		t.Fatalf("scanProcs = %+v", procs)
	}
	if got := swapOf(root, 7); got != 12<<10 {
		t.Errorf("swapOf = %d, want %d", got, 12<<10)
	}
	if got := swapOf(root, 8); got != 0 {
		t.Errorf("swapOf without VmSwap = %d", got)
	}
	write("9/stat", "9 (x) S 1")
	if _, err := scanProcs(root); err == nil || !strings.Contains(err.Error(), "process 9") {
		t.Errorf("scanProcs with a malformed line = %v, want an error naming the process", err)
	}
}
