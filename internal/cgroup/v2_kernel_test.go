package cgroup_test

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/cgroup"
	"github.com/drover-sh/drover/internal/cgroup/cgrouptest"
	"github.com/drover-sh/drover/internal/testutil"
)

// TestV2OnTheKernel runs the version 2 code against the kernel's unified
// hierarchy, mounted for the test, on any host: a process started into a
// group with CLONE_INTO_CGROUP is in it from the start, and so is what it
// forks, even a child that leaves its session; Kill (cgroup.kill) empties
// the group, Destroy removes it, and Open then fails.
func TestV2OnTheKernel(t *testing.T) {
	testutil.Require(t, testutil.Root)
	mount, parent := cgrouptest.MountV2(t)
	m, err := cgroup.OpenV2(mount, parent)
	if err != nil {
		t.Fatal(err)
	}
	if m.Version() != 2 {
		t.Fatalf("Version = %d", m.Version())
	}
	g, err := m.Create("task", cgroup.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := cgroup.OpenDirFD(g)
	if err != nil {
		t.Fatal(err)
	}
	// The shell starts a grandchild in a new session, prints its pid, and
	// waits; both must be in the group.
	cmd := exec.Command("sh", "-c", "setsid sleep 1000 & echo $!; exec sleep 1000")
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(dir.Fd())}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start into the group: %v", err)
	}
	dir.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	buf := make([]byte, 32)
	n, rerr := out.Read(buf)
	if n == 0 {
		t.Fatalf("read the grandchild pid: %v (task exit: %v)", rerr, <-done)
	}
	grandchild, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil {
		t.Fatalf("grandchild pid %q: %v", buf[:n], err)
	}
	want := fmt.Sprintf("0::/%s/task", parent)
	for _, pid := range []int{cmd.Process.Pid, grandchild} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("pid %d's cgroups:\n%s\nwant the line %q", pid, b, want)
		}
	}
	testutil.WaitFor(t, 10*time.Second, func() error {
		pids, err := g.Pids()
		if err != nil || len(pids) != 2 {
			return fmt.Errorf("Pids = %v, %v; want the shell's sleep and the grandchild", pids, err)
		}
		return nil
	})
	opened, err := m.Open("task")
	if err != nil {
		t.Fatal(err)
	}
	if err := opened.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the group's first process survived Kill")
	}
	if err := syscall.Kill(grandchild, 0); err == nil {
		// Reaped by init shortly after SIGKILL; give it that moment.
		testutil.WaitFor(t, 10*time.Second, func() error {
			if syscall.Kill(grandchild, 0) == nil {
				return fmt.Errorf("grandchild %d outside the session survived Kill", grandchild)
			}
			return nil
		})
	}
	if err := g.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Open("task"); err == nil {
		t.Fatal("Open after Destroy succeeded")
	}
}

// TestV2LimitWithoutController: a limit whose controller the hierarchy
// does not delegate fails Create with the file it could not write, and
// leaves no group behind.
func TestV2LimitWithoutController(t *testing.T) {
	testutil.Require(t, testutil.Root)
	mount, parent := cgrouptest.MountV2(t)
	offered, err := os.ReadFile(mount + "/cgroup.controllers")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(offered), "pids") {
		t.Logf("this host's unified hierarchy offers pids (%q): the limit applies", strings.TrimSpace(string(offered)))
		return
	}
	m, err := cgroup.OpenV2(mount, parent)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Create("limited", cgroup.Limits{PidsMax: 10})
	if err == nil || !strings.Contains(err.Error(), "pids.max") {
		t.Fatalf("Create with a pids limit = %v; want an error naming pids.max", err)
	}
	if _, err := m.Open("limited"); err == nil {
		t.Fatal("a group was left behind")
	}
}

// TestOpenV2RefusesOtherFilesystems: OpenV2 checks it was given a cgroup2
// mount.
func TestOpenV2RefusesOtherFilesystems(t *testing.T) {
	if _, err := cgroup.OpenV2(t.TempDir(), "drover"); err == nil || !strings.Contains(err.Error(), "not a cgroup2 filesystem") {
		t.Fatalf("OpenV2 on a plain directory = %v", err)
	}
}

// TestV2LeftoverReplaced: creating a group whose name an earlier run left
// behind, with a process still in it, kills that process and gives a group
// a new process can be started into and keeps running in (the kernel kills
// a process cloned into a group that was ever killed).
func TestV2LeftoverReplaced(t *testing.T) {
	testutil.Require(t, testutil.Root)
	mount, parent := cgrouptest.MountV2(t)
	m, err := cgroup.OpenV2(mount, parent)
	if err != nil {
		t.Fatal(err)
	}
	startIn := func(g cgroup.Group) (*exec.Cmd, chan error) {
		t.Helper()
		dir, err := cgroup.OpenDirFD(g)
		if err != nil {
			t.Fatal(err)
		}
		defer dir.Close()
		cmd := exec.Command("sleep", "1000")
		cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(dir.Fd())}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		return cmd, done
	}
	old, err := m.Create("reused", cgroup.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	_, oldDone := startIn(old)
	again, err := m.Create("reused", cgroup.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-oldDone:
	case <-time.After(10 * time.Second):
		t.Fatal("the leftover's process survived Create")
	}
	cmd, done := startIn(again)
	defer again.Destroy()
	select {
	case err := <-done:
		t.Fatalf("a process started into the new group ended at once: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	if pids, err := again.Pids(); err != nil || len(pids) != 1 || pids[0] != cmd.Process.Pid {
		t.Fatalf("Pids = %v, %v; want [%d]", pids, err, cmd.Process.Pid)
	}
}
