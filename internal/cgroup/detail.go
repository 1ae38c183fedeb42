package cgroup

import (
	"errors"
	"fmt"
	"time"
)

// Detail is what a group says beyond Usage, for drivers that report CPU
// time by mode and resident memory, as /proc would for the same processes.
type Detail struct {
	// UserTime and SystemTime are the CPU time the group's processes spent
	// in user and kernel mode. On version 1 they are counted in clock ticks
	// (10ms) by the kernel.
	UserTime, SystemTime time.Duration
	// RSSBytes is the group's anonymous memory (v1 total_rss, v2 anon): what
	// its processes hold resident, less file pages.
	RSSBytes uint64
}

// userHZTick is the unit of v1 cpuacct.stat: USER_HZ is 100 on every Linux
// architecture Go supports.
const userHZTick = 10 * time.Millisecond

// ReadDetail reads g's CPU time by mode and resident memory.
func ReadDetail(g Group) (Detail, error) {
	switch g := g.(type) {
	case *v1Group:
		return g.detail()
	case *v2Group:
		return g.detail()
	}
	return Detail{}, errors.New("cgroup: ReadDetail of a group not made by this package")
}

func (g *v1Group) detail() (Detail, error) {
	var d Detail
	rss, ok, err := readKeyed(g.dirs["memory"], "memory.stat", "total_rss")
	if err != nil || !ok {
		return d, fmt.Errorf("cgroup %s: no total_rss in memory.stat (%v)", g.name, err)
	}
	d.RSSBytes = rss
	dir, ok := g.dirs["cpuacct"]
	if !ok {
		return d, fmt.Errorf("cgroup %s: the cpuacct controller is not mounted", g.name)
	}
	for key, dst := range map[string]*time.Duration{"user": &d.UserTime, "system": &d.SystemTime} {
		n, ok, err := readKeyed(dir, "cpuacct.stat", key)
		if err != nil || !ok {
			return d, fmt.Errorf("cgroup %s: no %s in cpuacct.stat (%v)", g.name, key, err)
		}
		*dst = time.Duration(n) * userHZTick
	}
	return d, nil
}

func (g *v2Group) detail() (Detail, error) {
	var d Detail
	rss, ok, err := readKeyed(g.dir, "memory.stat", "anon")
	if err != nil || !ok {
		return d, fmt.Errorf("cgroup %s: no anon in memory.stat (%v)", g.name, err)
	}
	d.RSSBytes = rss
	for key, dst := range map[string]*time.Duration{"user_usec": &d.UserTime, "system_usec": &d.SystemTime} {
		n, ok, err := readKeyed(g.dir, "cpu.stat", key)
		if err != nil || !ok {
			return d, fmt.Errorf("cgroup %s: no %s in cpu.stat (%v)", g.name, key, err)
		}
		*dst = time.Duration(n) * time.Microsecond
	}
	return d, nil
}
