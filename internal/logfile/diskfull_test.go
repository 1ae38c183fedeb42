package logfile_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drover-sh/drover/internal/logfile"
	"github.com/drover-sh/drover/internal/mountinfo"
	"github.com/drover-sh/drover/internal/testutil"
)

// TestRotatorDiskFullDropsAndRecovers: on a full disk a live file over its
// bound cannot be copied; the rotator truncates it all the same (its output
// is lost, the task's next output has room), says the disk was full, says
// when it has space again, and rotates normally afterwards.
func TestRotatorDiskFullDropsAndRecovers(t *testing.T) {
	testutil.Require(t, testutil.Root)
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatalf("mount: %v", err)
	}
	t.Cleanup(func() { _ = mountinfo.UnmountUnder(dir) })
	live := filepath.Join(dir, "web.stdout")
	f, err := logfile.OpenAppend(live)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, 600<<10)); err != nil {
		t.Fatal(err)
	}
	// Fill what is left.
	filler, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := filler.Write(make([]byte, 4096)); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	filler.Close()

	var (
		mu      sync.Mutex
		reports []bool
	)
	rot := logfile.NewRotator(live, 3, 256<<10, nil)
	rot.OnDiskFull = func(full bool) {
		mu.Lock()
		reports = append(reports, full)
		mu.Unlock()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); rot.Run(ctx, 5*time.Millisecond) }()
	defer func() { cancel(); <-done }()
	testutil.WaitFor(t, 10*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(reports) < 2 {
			return errors.New("no full-then-space reports yet")
		}
		if !reports[0] || reports[1] {
			t.Fatalf("reports %v, want full then space", reports)
		}
		return nil
	})
	if fi, err := os.Stat(live); err != nil || fi.Size() != 0 {
		t.Fatalf("live file after a failed copy: %v, %v; want it truncated", fi.Size(), err)
	}
	// With room again, rotation works as usual.
	if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(make([]byte, 300<<10)); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, func() error {
		files, err := logfile.Files(dir, "web", "stdout")
		if err != nil || len(files) != 2 {
			return errors.New("no rotated copy yet")
		}
		return nil
	})
}
