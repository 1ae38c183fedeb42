package allocrunner

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/clientstate"
	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/driver/rawexec"
	"github.com/drover-sh/drover/internal/logfile"
	"github.com/drover-sh/drover/internal/testutil"
)

// dirBytes sums the disk space the files in dir take (allocated blocks,
// so that a sparse file counts for what it holds).
func dirBytes(dir string) int64 {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var n int64
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		n += blocksOf(fi)
	}
	return n
}

// sampler measures dir every few milliseconds until stopped and keeps the
// peak.
type sampler struct {
	peak atomic.Int64
	n    atomic.Int64
	stop chan struct{}
	wg   sync.WaitGroup
}

func sample(dir string) *sampler {
	s := &sampler{stop: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			if b := dirBytes(dir); b > s.peak.Load() {
				s.peak.Store(b)
			}
			s.n.Add(1)
			select {
			case <-s.stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return s
}

func (s *sampler) done() int64 {
	close(s.stop)
	s.wg.Wait()
	return s.peak.Load()
}

// TestLogsBoundedWhileTaskWritesGigabyte: a task that writes 1 GiB to its
// stdout as fast as it can, with logs { max_files = 2 max_file_size = 10 },
// never makes its logs take much more than the 20 MiB they may keep — the
// rotation is woken by its writes instead of waiting for its next tick, and
// drops what comes faster than it can copy — and ends with at most those
// 20 MiB. The peak is logged: 32 to 40 MiB on a busy 2-core machine;
// without the rotation woken by writes it was the whole gigabyte.
func TestLogsBoundedWhileTaskWritesGigabyte(t *testing.T) {
	const maxFiles, maxMB = 2, 10
	// The slack: a copy in progress (maxMB + 1), the live file's flood
	// bound (2*maxMB + 1) and what the task writes until it is truncated,
	// which depends on how soon the rotator gets a CPU: generous.
	const slack = 5 * maxMB << 20
	d := rawexec.New(nil, rawexec.Config{Enabled: true})
	root := testutil.AllocRoot(t)
	alloc := testAlloc(drover.JobTypeBatch, noRestart, &drover.Task{Name: "flood", Driver: rawexec.Name,
		Config:    map[string]any{"command": "/bin/sh", "args": []any{"-c", "head -c 1073741824 /dev/zero"}},
		LogConfig: &drover.LogConfig{MaxFiles: maxFiles, MaxFileSizeMB: maxMB}})
	w, err := logfile.NewWatcher()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	// The client's default interval: the watcher, not the ticker, keeps up.
	ar, err := New(Config{Alloc: alloc, Drivers: driver.NewRegistry(d), AllocRoot: root,
		State: clientstate.NewMemory(), Path: os.Getenv("PATH"), LogWatcher: w, LogRotateInterval: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ar.Kill)
	logs := LogDir(filepath.Join(root, alloc.ID))
	s := sample(logs)
	start := time.Now()
	ar.Run()
	waitForLong(t, "the task to write its gigabyte", 5*time.Minute, func() bool {
		return ar.Alloc().ClientStatus == drover.AllocClientStatusComplete
	})
	peak := s.done()
	t.Logf("1 GiB written in %s; logs peaked at %.1f MiB over %d samples (bound %d MiB + %d MiB slack)",
		time.Since(start).Round(time.Millisecond), float64(peak)/(1<<20), s.n.Load(), maxFiles*maxMB, slack>>20)
	if ts := ar.Alloc().TaskStates["flood"]; ts.Failed {
		t.Fatalf("task failed: %v", eventTypes(ts))
	}
	if peak > maxFiles*maxMB<<20+slack {
		t.Errorf("logs took %d bytes at their peak, over %d + %d", peak, maxFiles*maxMB<<20, slack)
	}
	waitFor(t, "the last rotation", func() bool { return dirBytes(logs) <= maxFiles*maxMB<<20+1<<20 })
}

func waitForLong(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLogDiskFull: the task's logs live on a 2 MiB tmpfs that something
// else fills. The task keeps running (its writes fail; it is not failed or
// restarted), the rotation neither crashes nor spins, the task gets an
// event saying the disk is full — once — and when space is freed its
// output is kept again and an event says so.
func TestLogDiskFull(t *testing.T) {
	testutil.Require(t, testutil.Root)
	d := rawexec.New(nil, rawexec.Config{Enabled: true})
	root := testutil.AllocRoot(t)
	alloc := testAlloc(drover.JobTypeService, noRestart, &drover.Task{Name: "chatty", Driver: rawexec.Name,
		Config:    map[string]any{"command": "/bin/sh", "args": []any{"-c", `i=0; while :; do i=$((i+1)); echo "line $i ........................................................................................"; sleep 0.001; done`}},
		LogConfig: &drover.LogConfig{MaxFiles: 2, MaxFileSizeMB: 1}})
	logs := LogDir(filepath.Join(root, alloc.ID))
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", logs, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=2m"); err != nil {
		t.Fatalf("mount: %v", err)
	}
	filler := filepath.Join(logs, "filler")
	if err := os.WriteFile(filler, make([]byte, 2048<<10-96<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := logfile.NewWatcher()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	ar, err := New(Config{Alloc: alloc, Drivers: driver.NewRegistry(d), AllocRoot: root, State: clientstate.NewMemory(),
		Path: os.Getenv("PATH"), LogWatcher: w, LogRotateInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ar.Kill)
	ar.Run()
	state := func() *drover.TaskState { return ar.Alloc().TaskStates["chatty"] }
	waitFor(t, "a Log Disk Full event", func() bool { return hasEvent(state(), drover.TaskLogDiskFull) != nil })

	// While the disk stays full: no more events, little CPU, the task runs.
	var before unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &before); err != nil {
		t.Fatal(err)
	}
	fullEvents := count(state(), drover.TaskLogDiskFull)
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	var after unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &after); err != nil {
		t.Fatal(err)
	}
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) * time.Nanosecond
	if cpu > 500*time.Millisecond {
		t.Errorf("the agent used %s of CPU in 1s of full disk: it spins", cpu)
	}
	s := state()
	if n := count(s, drover.TaskLogDiskFull); n != 1 || fullEvents != 1 {
		t.Errorf("%d Log Disk Full events (%d a second earlier), want one", n, fullEvents)
	}
	if s.State != drover.TaskStateRunning || s.Failed || s.Restarts != 0 {
		t.Fatalf("task on a full log disk: %s failed=%v restarts=%d, want it running", s.State, s.Failed, s.Restarts)
	}
	lastLine := func() int {
		b, _ := os.ReadFile(filepath.Join(logs, "chatty.stdout"))
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		f := strings.Fields(lines[len(lines)-1])
		if len(f) < 2 {
			return 0
		}
		n, _ := strconv.Atoi(f[1])
		return n
	}
	stuck := lastLine()

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a Log Disk Space event", func() bool { return hasEvent(state(), drover.TaskLogDiskSpace) != nil })
	waitFor(t, "the task's output to be kept again", func() bool { return lastLine() > stuck+10 })
	if s := state(); s.State != drover.TaskStateRunning || s.Failed {
		t.Fatalf("task after the disk has space: %s failed=%v", s.State, s.Failed)
	}
}
