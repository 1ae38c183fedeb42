package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"strconv"
)

// v1Controllers are the version 1 controllers a group is made in; the
// value says whether the group needs it (memory does: it is the limit that
// protects the host).
var v1Controllers = map[string]bool{
	"memory": true, "cpu": false, "cpuacct": false, "pids": false, "freezer": false,
}

// v1Manager places groups in the version 1 hierarchies, under parent in
// each controller's mount.
type v1Manager struct {
	mounts map[string]string // controller → mount point
	parent string
}

func newV1(mounts map[string]string, parent string) (*v1Manager, error) {
	return &v1Manager{mounts: mounts, parent: parent}, nil
}

func (m *v1Manager) Version() int { return 1 }

// dirs returns the group's directory per controller this host mounts.
func (m *v1Manager) dirs(name string) map[string]string {
	out := map[string]string{}
	for c, mp := range m.mounts {
		out[c] = path.Join(mp, m.parent, name)
	}
	return out
}

func (m *v1Manager) Create(name string, l Limits) (Group, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	g := &v1Group{name: name, dirs: m.dirs(name)}
	for _, c := range g.controllers() {
		if err := os.MkdirAll(g.dirs[c], 0o755); err != nil {
			return nil, fmt.Errorf("create cgroup: %w", err)
		}
	}
	if err := g.Kill(); err != nil { // a leftover of an earlier run
		return nil, err
	}
	if err := g.setLimits(l); err != nil {
		g.Destroy()
		return nil, err
	}
	return g, nil
}

func (m *v1Manager) Open(name string) (Group, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	g := &v1Group{name: name, dirs: m.dirs(name)}
	if _, err := os.Stat(g.dirs["memory"]); err != nil {
		return nil, fmt.Errorf("open cgroup %s: %w", name, err)
	}
	return g, nil
}

// v1Group is a group made of one directory per controller.
type v1Group struct {
	name string
	dirs map[string]string
}

func (g *v1Group) Name() string { return g.name }

// controllers lists the group's controllers in a fixed order; co-mounted
// controllers ("cpu,cpuacct") share a directory and appear once.
func (g *v1Group) controllers() []string {
	seen := map[string]bool{}
	var out []string
	cs := make([]string, 0, len(g.dirs))
	for c := range g.dirs {
		cs = append(cs, c)
	}
	sort.Strings(cs)
	for _, c := range cs {
		if !seen[g.dirs[c]] {
			seen[g.dirs[c]] = true
			out = append(out, c)
		}
	}
	return out
}

func (g *v1Group) setLimits(l Limits) error {
	mem := g.dirs["memory"]
	if l.MemoryBytes > 0 {
		v := strconv.FormatInt(l.MemoryBytes, 10)
		if err := writeFile(mem, "memory.limit_in_bytes", v); err != nil {
			return err
		}
		// With swap accounting on, memory+swap gets the same limit: the task
		// may not escape its limit into swap.
		if _, err := os.Stat(path.Join(mem, "memory.memsw.limit_in_bytes")); err == nil {
			if err := writeFile(mem, "memory.memsw.limit_in_bytes", v); err != nil {
				return err
			}
		}
	}
	if cpu, ok := g.dirs["cpu"]; ok && l.CPUShares > 0 {
		if err := writeFile(cpu, "cpu.shares", strconv.FormatInt(max(l.CPUShares, 2), 10)); err != nil {
			return err
		}
	}
	if l.PidsMax > 0 {
		pids, ok := g.dirs["pids"]
		if !ok {
			return errors.New("cgroup: a pids limit is set but the pids controller is not mounted")
		}
		if err := writeFile(pids, "pids.max", strconv.FormatInt(l.PidsMax, 10)); err != nil {
			return err
		}
	}
	return nil
}

// Add writes pid to every controller's cgroup.procs.
func (g *v1Group) Add(pid int) error {
	for _, c := range g.controllers() {
		if err := writeFile(g.dirs[c], "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("add to cgroup: %w", err)
		}
	}
	return nil
}

func (g *v1Group) Pids() ([]int, error) { return readPids(g.dirs["memory"]) }

// OOMKilled reads the oom_kill count of memory.oom_control (kernels since
// 4.13); older kernels only say under_oom, which is read instead.
func (g *v1Group) OOMKilled() (bool, error) {
	n, ok, err := readKeyed(g.dirs["memory"], "memory.oom_control", "oom_kill")
	if err != nil {
		return false, err
	}
	if ok {
		return n > 0, nil
	}
	n, _, err = readKeyed(g.dirs["memory"], "memory.oom_control", "under_oom")
	return n > 0, err
}

func (g *v1Group) Usage() (Usage, error) {
	var u Usage
	var err error
	if u.MemoryBytes, err = g.memoryInUse(); err != nil {
		return u, err
	}
	if d, ok := g.dirs["cpuacct"]; ok {
		if u.CPUNanos, err = readUint(d, "cpuacct.usage"); err != nil {
			return u, err
		}
	}
	if d, ok := g.dirs["pids"]; ok {
		if u.Pids, err = readUint(d, "pids.current"); err != nil {
			return u, err
		}
	}
	return u, nil
}

// memoryInUse is usage_in_bytes less the page cache the kernel can drop,
// which is what the task itself holds.
func (g *v1Group) memoryInUse() (uint64, error) {
	mem := g.dirs["memory"]
	total, err := readUint(mem, "memory.usage_in_bytes")
	if err != nil {
		return 0, err
	}
	inactive, ok, err := readKeyed(mem, "memory.stat", "total_inactive_file")
	if err != nil || !ok || inactive > total {
		return total, err
	}
	return total - inactive, nil
}

func (g *v1Group) freeze(on bool) error {
	d, ok := g.dirs["freezer"]
	if !ok {
		return errors.New("no freezer controller")
	}
	state := "THAWED"
	if on {
		state = "FROZEN"
	}
	return writeFile(d, "freezer.state", state)
}

func (g *v1Group) Kill() error {
	var freeze func(bool) error
	if _, ok := g.dirs["freezer"]; ok {
		freeze = g.freeze
	}
	if err := killAll(g.Pids, freeze); err != nil {
		return fmt.Errorf("kill cgroup %s: %w", g.name, err)
	}
	return nil
}

func (g *v1Group) Destroy() error {
	if err := g.Kill(); err != nil {
		return err
	}
	var errs []error
	for _, c := range g.controllers() {
		errs = append(errs, removeDir(g.dirs[c]))
	}
	return errors.Join(errs...)
}
