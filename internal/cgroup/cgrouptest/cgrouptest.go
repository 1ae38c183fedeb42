// Package cgrouptest gives tests a real cgroup version 2 hierarchy on any
// Linux host, including a version 1 or hybrid one, so that the version 2
// code runs against the kernel and not only against a fake directory tree.
package cgrouptest

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// MountV2 mounts the kernel's unified hierarchy on a directory of its own
// and returns it, with parent (one path element) to group a test's cgroups
// under: a name no other test or agent uses. At cleanup every group left
// under parent is removed and the hierarchy unmounted. It needs root (see
// testutil.Require). On a hybrid host the hierarchy offers only the
// controllers version 1 has not claimed, often none: enough for process
// placement, cgroup.kill and CLONE_INTO_CGROUP, not for limits. The caller
// requires root first (testutil.Require).
func MountV2(t testing.TB) (mount, parent string) {
	t.Helper()
	mount = t.TempDir()
	if err := unix.Mount("cgroup2", mount, "cgroup2", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		t.Fatalf("mount cgroup2 on %s: %v", mount, err)
	}
	parent = "drover-test-" + filepath.Base(filepath.Dir(mount))
	t.Cleanup(func() {
		removeTree(t, filepath.Join(mount, parent))
		if err := unix.Unmount(mount, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", mount, err)
		}
	})
	return mount, parent
}

// removeTree removes a cgroup directory and the groups below it, deepest
// first (a cgroup directory is removed with rmdir, never unlinked).
func removeTree(t testing.TB, dir string) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	for _, e := range entries {
		if e.IsDir() {
			removeTree(t, filepath.Join(dir, e.Name()))
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := syscall.Rmdir(dir)
		if err == nil || errors.Is(err, syscall.ENOENT) {
			return
		}
		if !errors.Is(err, syscall.EBUSY) || time.Now().After(deadline) {
			t.Errorf("remove cgroup %s: %v", dir, err)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
