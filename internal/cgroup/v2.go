package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"

	"golang.org/x/sys/unix"
)

// v2Manager places groups in the unified hierarchy under mount/parent.
type v2Manager struct {
	mount, parent string
}

// v2Controllers are enabled for the parent's children.
var v2Controllers = []string{"memory", "cpu", "pids"}

func newV2(mount, parent string) (*v2Manager, error) {
	return &v2Manager{mount: mount, parent: parent}, nil
}

// OpenV2 returns a Manager over the unified hierarchy mounted at mount,
// grouping under parent (one path element), whatever Detect would pick for
// the host: a cgroup2 filesystem can be mounted beside a version 1 layout.
// Only the controllers the hierarchy offers are delegated; a limit whose
// controller it lacks fails Create. mount must be a cgroup2 filesystem.
func OpenV2(mount, parent string) (Manager, error) {
	if err := checkName(parent); err != nil {
		return nil, err
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(mount, &fs); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if fs.Type != unix.CGROUP2_SUPER_MAGIC {
		return nil, fmt.Errorf("%w: %s is not a cgroup2 filesystem", ErrUnavailable, mount)
	}
	return newV2(mount, parent)
}

func (m *v2Manager) Version() int { return 2 }

// prepareParent makes the parent group and enables the controllers for its
// children, in the root first (a controller reaches a group only when every
// ancestor delegates it). A controller the hierarchy does not offer is left
// out: the limit that needs it then fails in Create, naming its file.
func (m *v2Manager) prepareParent() error {
	dir := path.Join(m.mount, m.parent)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create cgroup parent: %w", err)
	}
	for _, d := range []string{m.mount, dir} {
		b, err := os.ReadFile(path.Join(d, "cgroup.subtree_control"))
		if err != nil {
			return fmt.Errorf("cgroup parent: %w", err)
		}
		offered, err := os.ReadFile(path.Join(d, "cgroup.controllers"))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("cgroup parent: %w", err)
		}
		for _, c := range v2Controllers {
			if hasWord(string(b), c) || (err == nil && !hasWord(string(offered), c)) {
				continue
			}
			if err := writeFile(d, "cgroup.subtree_control", "+"+c); err != nil {
				return fmt.Errorf("enable the %s controller: %w", c, err)
			}
		}
	}
	return nil
}

func (m *v2Manager) Create(name string, l Limits) (Group, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if err := m.prepareParent(); err != nil {
		return nil, err
	}
	g := &v2Group{name: name, dir: path.Join(m.mount, m.parent, name)}
	// A leftover of an earlier run is removed, not emptied and reused: the
	// kernel (seen on 6.18) SIGKILLs a process started into a group with
	// CLONE_INTO_CGROUP when that group was ever written cgroup.kill, so a
	// task needs a group that never was. A new directory is a new group.
	if _, err := os.Stat(g.dir); err == nil {
		if err := g.Destroy(); err != nil {
			return nil, fmt.Errorf("remove leftover cgroup: %w", err)
		}
	}
	if err := os.Mkdir(g.dir, 0o755); err != nil {
		return nil, fmt.Errorf("create cgroup: %w", err)
	}
	if err := g.setLimits(l); err != nil {
		g.Destroy()
		return nil, err
	}
	return g, nil
}

func (m *v2Manager) Open(name string) (Group, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	g := &v2Group{name: name, dir: path.Join(m.mount, m.parent, name)}
	if _, err := os.Stat(g.dir); err != nil {
		return nil, fmt.Errorf("open cgroup %s: %w", name, err)
	}
	return g, nil
}

// v2Group is one directory of the unified hierarchy.
type v2Group struct {
	name, dir string
}

func (g *v2Group) Name() string { return g.name }

// cpuWeight maps v1-style shares (MHz) onto cpu.weight's 1..10000, so that
// 1024 shares land near the default weight of 100 as with systemd.
func cpuWeight(shares int64) int64 {
	shares = max(shares, 2)
	w := 1 + (shares-2)*9999/262142
	return min(max(w, 1), 10000)
}

func (g *v2Group) setLimits(l Limits) error {
	if l.MemoryBytes > 0 {
		if err := writeFile(g.dir, "memory.max", strconv.FormatInt(l.MemoryBytes, 10)); err != nil {
			return err
		}
		// The task may not escape its limit into swap.
		if _, err := os.Stat(path.Join(g.dir, "memory.swap.max")); err == nil {
			if err := writeFile(g.dir, "memory.swap.max", "0"); err != nil {
				return err
			}
		}
	}
	if l.CPUShares > 0 {
		if err := writeFile(g.dir, "cpu.weight", strconv.FormatInt(cpuWeight(l.CPUShares), 10)); err != nil {
			return err
		}
	}
	if l.PidsMax > 0 {
		if err := writeFile(g.dir, "pids.max", strconv.FormatInt(l.PidsMax, 10)); err != nil {
			return err
		}
	}
	return nil
}

func (g *v2Group) Add(pid int) error {
	if err := writeFile(g.dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("add to cgroup: %w", err)
	}
	return nil
}

func (g *v2Group) Pids() ([]int, error) { return readPids(g.dir) }

func (g *v2Group) OOMKilled() (bool, error) {
	n, _, err := readKeyed(g.dir, "memory.events", "oom_kill")
	return n > 0, err
}

func (g *v2Group) Usage() (Usage, error) {
	var u Usage
	var err error
	if u.MemoryBytes, err = readUint(g.dir, "memory.current"); err != nil {
		return u, err
	}
	if inactive, ok, err := readKeyed(g.dir, "memory.stat", "inactive_file"); err == nil && ok && inactive <= u.MemoryBytes {
		u.MemoryBytes -= inactive
	}
	usec, _, err := readKeyed(g.dir, "cpu.stat", "usage_usec")
	if err != nil {
		return u, err
	}
	u.CPUNanos = usec * 1000
	if u.Pids, err = readUint(g.dir, "pids.current"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return u, err
	}
	return u, nil
}

// Kill uses cgroup.kill (kernel 5.14+), which kills atomically even a
// forking group, and falls back to signalling each listed process.
func (g *v2Group) Kill() error {
	if _, err := os.Stat(path.Join(g.dir, "cgroup.kill")); err == nil {
		if err := writeFile(g.dir, "cgroup.kill", "1"); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("kill cgroup %s: %w", g.name, err)
		}
	}
	if err := killAll(g.Pids, nil); err != nil {
		return fmt.Errorf("kill cgroup %s: %w", g.name, err)
	}
	return nil
}

func (g *v2Group) Destroy() error {
	if err := g.Kill(); err != nil {
		return err
	}
	return removeDir(g.dir)
}
