package allocrunner

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
