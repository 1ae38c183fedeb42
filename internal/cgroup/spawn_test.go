package cgroup

import (
	"errors"
	"os"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/drover-sh/drover/internal/testutil"
)

// TestOpenDirFD opens a version 2 group's own directory, and refuses a
// version 1 group, which has no single directory.
func TestOpenDirFD(t *testing.T) {
	dir := path.Join(t.TempDir(), "drover", "task1")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := OpenDirFD(&v2Group{name: "task1", dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(fi, want) {
		t.Errorf("OpenDirFD opened %s, want the group directory %s", f.Name(), dir)
	}

	if _, err := OpenDirFD(&v1Group{name: "task1", dirs: map[string]string{"memory": dir}}); !errors.Is(err, ErrNoDirFD) {
		t.Errorf("OpenDirFD(v1 group) = %v, want ErrNoDirFD", err)
	}
	if _, err := OpenDirFD(&v2Group{name: "gone", dir: path.Join(dir, "gone")}); err == nil {
		t.Error("OpenDirFD of a missing directory succeeded")
	}
}

// TestAddThread moves one thread of this process into a real version 1
// group and back; a version 2 group is refused.
func TestAddThread(t *testing.T) {
	testutil.Require(t, testutil.Root)
	m, err := Detect("drover-test")
	if err != nil {
		t.Fatal(err)
	}
	g, err := m.Create("addthread", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Destroy()
	if m.Version() != 1 {
		// Version 2 starts a task in its group with CLONE_INTO_CGROUP:
		// moving a thread there is refused.
		if _, err := AddThread(g, unix.Gettid()); !errors.Is(err, ErrNoThreadMove) {
			t.Fatalf("AddThread into a version 2 group: %v, want ErrNoThreadMove", err)
		}
		return
	}
	done := make(chan error)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid := unix.Gettid()
		restore, err := AddThread(g, tid)
		if err != nil {
			done <- err
			return
		}
		in := threadIn(t, g, tid)
		if err := restore(); err != nil {
			done <- err
			return
		}
		if !in {
			done <- errors.New("thread not in the group after AddThread")
		} else if threadIn(t, g, tid) {
			done <- errors.New("thread still in the group after restore")
		}
		done <- nil
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := AddThread(&v2Group{name: "task1", dir: t.TempDir()}, 4242); !errors.Is(err, ErrNoThreadMove) {
		t.Errorf("AddThread(v2 group) = %v, want ErrNoThreadMove", err)
	}
}

func threadIn(t *testing.T, g Group, tid int) bool {
	b, err := os.ReadFile(path.Join(g.(*v1Group).dirs["memory"], "tasks"))
	if err != nil {
		t.Error(err)
		return false
	}
	return slices.Contains(strings.Fields(string(b)), strconv.Itoa(tid))
}

func TestV1Path(t *testing.T) {
	s := "9:name=systemd:/\n4:memory:/a/b\n2:cpu,cpuacct:/c\n0::/\n"
	for c, want := range map[string]string{"memory": "/a/b", "cpuacct": "/c", "cpu": "/c"} {
		if got, ok := v1Path(s, c); !ok || got != want {
			t.Errorf("v1Path(%s) = %q, %v; want %q", c, got, ok, want)
		}
	}
	if _, ok := v1Path(s, "pids"); ok {
		t.Error("v1Path found an unlisted controller")
	}
}
