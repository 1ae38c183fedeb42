// Package cgroup puts processes in Linux control groups: it creates a group
// per task with memory, CPU-weight and pids limits, tells whether the kernel
// OOM-killed something in it, reports its usage, kills everything in it and
// removes it. Version 1 (one hierarchy per controller) and version 2 (one
// unified hierarchy) hosts are served through the same Manager and Group
// interfaces; Detect picks the one this host has from /proc/self/mounts.
package cgroup

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrUnavailable is returned by Detect when the host has no usable cgroup
// hierarchy (no memory controller mounted, or no cgroupfs at all).
var ErrUnavailable = errors.New("cgroups unavailable")

// Limits are what a group enforces. A zero field leaves that limit unset.
type Limits struct {
	// MemoryBytes is the hard memory limit: over it the kernel reclaims,
	// then OOM-kills inside the group.
	MemoryBytes int64
	// CPUShares is the task's CPU in MHz; it becomes a relative weight
	// (v1 cpu.shares, v2 cpu.weight), not a cap.
	CPUShares int64
	// PidsMax bounds the processes and threads in the group.
	PidsMax int64
}

// Usage is a group's resource use at one moment.
type Usage struct {
	// MemoryBytes is the memory charged to the group now, less the page
	// cache the kernel can drop at once (inactive file pages): what the
	// task itself holds.
	MemoryBytes uint64
	// CPUNanos is the CPU time its processes used in total.
	CPUNanos uint64
	// Pids is the number of processes and threads in it.
	Pids uint64
}

// Manager creates and opens groups under one parent ("drover").
type Manager interface {
	// Version is 1 or 2.
	Version() int
	// Create makes the group name (one path element) with limits l. A group
	// left over by name from an earlier run is emptied and reused.
	Create(name string, l Limits) (Group, error)
	// Open returns the existing group name, as a restarted agent does for a
	// task it reattaches to. It fails when the group does not exist.
	Open(name string) (Group, error)
}

// Group is one task's control group.
type Group interface {
	// Name is the group's name, for Open.
	Name() string
	// Add moves pid into the group.
	Add(pid int) error
	// Pids lists the processes in the group.
	Pids() ([]int, error)
	// OOMKilled reports whether the kernel OOM-killed a process of the group.
	OOMKilled() (bool, error)
	// Usage samples the group's resource use.
	Usage() (Usage, error)
	// Kill SIGKILLs every process in the group and waits until it is empty.
	Kill() error
	// Destroy kills what is left and removes the group.
	Destroy() error
}

// Detect returns the Manager for this host's cgroups, grouping under parent
// (one path element, "drover"). A host whose cgroup2 hierarchy offers the
// memory controller gets version 2; one with a version 1 memory hierarchy
// gets version 1 (the hybrid layout, whose cgroup2 mount holds no
// controllers, is a version 1 host).
func Detect(parent string) (Manager, error) {
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer f.Close()
	return detect(f, parent)
}

func detect(mounts io.Reader, parent string) (Manager, error) {
	if err := checkName(parent); err != nil {
		return nil, err
	}
	v1 := map[string]string{}
	var v2 []string
	sc := bufio.NewScanner(mounts)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		switch f[2] {
		case "cgroup2":
			v2 = append(v2, unescape(f[1]))
		case "cgroup":
			for _, opt := range strings.Split(f[3], ",") {
				if _, ok := v1Controllers[opt]; ok {
					if _, dup := v1[opt]; !dup {
						v1[opt] = unescape(f[1])
					}
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: read mounts: %v", ErrUnavailable, err)
	}
	for _, mp := range v2 {
		b, err := os.ReadFile(path.Join(mp, "cgroup.controllers"))
		if err == nil && hasWord(string(b), "memory") {
			return newV2(mp, parent)
		}
	}
	if _, ok := v1["memory"]; ok {
		return newV1(v1, parent)
	}
	return nil, fmt.Errorf("%w: no memory controller mounted (looked for cgroup2 with memory, or a cgroup v1 memory hierarchy)", ErrUnavailable)
}

// unescape undoes the octal escapes of /proc/self/mounts (" " is \040).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}

// checkName refuses names that are not one plain path element, so a task ID
// can never address a group outside the parent.
func checkName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return fmt.Errorf("cgroup name %q: must be one path element", name)
	}
	return nil
}

// SafeName turns an arbitrary ID ("<alloc>/<task>/<n>") into a group name:
// characters other than letters, digits, '.', '-' and '_' become '_'.
func SafeName(id string) string {
	b := []byte(id)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_'
		if !ok {
			b[i] = '_'
		}
	}
	s := string(b)
	if s == "." || s == ".." || s == "" {
		s = "_" + s
	}
	return s
}

func writeFile(dir, file, value string) error {
	p := path.Join(dir, file)
	if err := os.WriteFile(p, []byte(value), 0o644); err != nil {
		return fmt.Errorf("write %q to %s: %w", value, p, err)
	}
	return nil
}

func readUint(dir, file string) (uint64, error) {
	b, err := os.ReadFile(path.Join(dir, file))
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", path.Join(dir, file), err)
	}
	return n, nil
}

// readKeyed returns the value of key in a "key value" per line file
// (memory.events, memory.oom_control, cpu.stat).
func readKeyed(dir, file, key string) (uint64, bool, error) {
	b, err := os.ReadFile(path.Join(dir, file))
	if err != nil {
		return 0, false, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == key {
			n, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				return 0, false, fmt.Errorf("parse %s %s: %w", file, key, err)
			}
			return n, true, nil
		}
	}
	return 0, false, nil
}

// readPids parses a cgroup.procs file.
func readPids(dir string) ([]int, error) {
	b, err := os.ReadFile(path.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("parse %s/cgroup.procs: %w", dir, err)
		}
		pids = append(pids, n)
	}
	return pids, nil
}

// killWait bounds how long Kill waits for a group to empty after SIGKILL.
const killWait = 10 * time.Second

// killAll SIGKILLs the processes pids lists until it lists none. freeze,
// when not nil, stops the group from forking while it is being killed.
func killAll(pids func() ([]int, error), freeze func(bool) error) error {
	if freeze != nil {
		if err := freeze(true); err == nil {
			defer freeze(false)
		}
	}
	deadline := time.Now().Add(killWait)
	delay := time.Millisecond
	for {
		ps, err := pids()
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(ps) == 0 {
			return nil
		}
		for _, p := range ps {
			if err := syscall.Kill(p, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				return fmt.Errorf("kill pid %d: %w", p, err)
			}
		}
		if freeze != nil {
			// A frozen process dies only once thawed.
			freeze(false)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cgroup still holds pids %v %v after SIGKILL", ps, killWait)
		}
		time.Sleep(delay) // the kernel gives no event for "group empty" on v1
		if delay < 50*time.Millisecond {
			delay *= 2
		}
	}
}

// removeDir removes a group directory, retrying while the kernel still
// counts exiting processes in it (EBUSY).
func removeDir(dir string) error {
	deadline := time.Now().Add(killWait)
	for {
		err := syscall.Rmdir(dir)
		if err == nil || errors.Is(err, syscall.ENOENT) {
			return nil
		}
		if !errors.Is(err, syscall.EBUSY) || time.Now().After(deadline) {
			return fmt.Errorf("remove cgroup %s: %w", dir, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
