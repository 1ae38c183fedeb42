package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
)

// These help start a process inside a group, so that not even its first
// instructions run, and no process it forks is made, outside it.

// ErrNoDirFD is returned by OpenDirFD for a group that has no single
// directory to start a process in: a version 1 group spans one directory
// per controller, so its processes are moved in with Add after they start.
var ErrNoDirFD = errors.New("cgroup: only a version 2 group can be opened as one directory")

// OpenDirFD opens the directory of a version 2 group, for
// syscall.SysProcAttr.CgroupFD: the kernel then creates the child inside
// the group (clone3 with CLONE_INTO_CGROUP), so not even its first
// instruction runs outside it. The caller closes the file after the start.
// A version 1 group yields ErrNoDirFD.
func OpenDirFD(g Group) (*os.File, error) {
	v2, ok := g.(*v2Group)
	if !ok {
		return nil, ErrNoDirFD
	}
	f, err := os.Open(v2.dir)
	if err != nil {
		return nil, fmt.Errorf("open cgroup %s: %w", v2.name, err)
	}
	return f, nil
}

// ErrNoThreadMove is returned by AddThread for a version 2 group: the
// unified hierarchy moves whole processes, not single threads, into a
// domain group.
var ErrNoThreadMove = errors.New("cgroup: only a version 1 group can take a single thread")

// AddThread moves one thread (tid, from gettid) of the calling process into
// a version 1 group, by writing it to each controller's tasks file; the
// other threads stay where they are. A process the thread then forks is
// born in the group. restore moves the thread back into the groups it was
// in before; the caller must call it once the fork is done, or else end the
// thread. A version 2 group yields ErrNoThreadMove.
func AddThread(g Group, tid int) (restore func() error, err error) {
	v1, ok := g.(*v1Group)
	if !ok {
		return nil, ErrNoThreadMove
	}
	b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(tid) + "/cgroup")
	if err != nil {
		return nil, fmt.Errorf("add thread to cgroup: %w", err)
	}
	back := map[string]string{} // directory in the group → where the thread was
	for _, c := range v1.controllers() {
		dir := v1.dirs[c]
		was, ok := v1Path(string(b), c)
		if !ok {
			return nil, fmt.Errorf("add thread to cgroup: thread %d is in no %s group", tid, c)
		}
		back[dir] = path.Join(path.Dir(path.Dir(dir)), was) // the controller's mount + its path
	}
	restore = func() error {
		var errs []error
		for _, was := range back {
			errs = append(errs, writeFile(was, "tasks", strconv.Itoa(tid)))
		}
		return errors.Join(errs...)
	}
	for _, c := range v1.controllers() {
		if err := writeFile(v1.dirs[c], "tasks", strconv.Itoa(tid)); err != nil {
			if rerr := restore(); rerr != nil {
				err = errors.Join(err, rerr)
			}
			return nil, fmt.Errorf("add thread to cgroup: %w", err)
		}
	}
	return restore, nil
}

// v1Path finds controller's group path in a /proc/<pid>/cgroup text
// ("4:memory:/a/b"; co-mounted controllers are listed together).
func v1Path(procCgroup, controller string) (string, bool) {
	for _, line := range strings.Split(procCgroup, "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		for _, c := range strings.Split(f[1], ",") {
			if c == controller {
				return f[2], true
			}
		}
	}
	return "", false
}
