package rawexec

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/drover-sh/drover/internal/cgroup"
	"github.com/drover-sh/drover/internal/driver"
)

// A task with a cgroup has its usage read from it: memory and CPU time of
// every process in it, including those that left the process group. A task without one has it read from /proc: the sum over every
// process of its process group, which is the set the driver signals and
// kills. A process that left the group (setsid) is not counted then, as it
// is not stopped either.

// clockTick is the unit of the CPU times in /proc/<pid>/stat. The kernel
// reports them in USER_HZ, which is 100 on every Linux architecture Go
// supports.
const clockTick = 10 * time.Millisecond

// procSnapshotMaxAge is how long one scan of /proc serves further tasks'
// readings: the client reads every task at once, so a node with many tasks
// scans /proc once per round instead of once per task.
const procSnapshotMaxAge = 200 * time.Millisecond

var (
	measuredCPU    = []string{driver.MeasuredSystemMode, driver.MeasuredUserMode, driver.MeasuredPercent}
	measuredMemory = []string{driver.MeasuredRSS, driver.MeasuredSwap}
)

var _ driver.StatsDriver = (*Driver)(nil)

// proc is what one /proc/<pid>/stat line says about a process.
type proc struct {
	pid, pgrp int
	// utime, stime and the times of reaped children, in clock ticks.
	utime, stime, cutime, cstime uint64
	rssPages                     uint64
}

// procTable caches one scan of /proc.
type procTable struct {
	mu    sync.Mutex
	at    time.Time
	procs []proc
}

// get returns the processes seen by a scan at most procSnapshotMaxAge old,
// and when that scan began.
func (pt *procTable) get(now time.Time) ([]proc, time.Time, error) {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	if pt.procs != nil && now.Sub(pt.at) >= 0 && now.Sub(pt.at) < procSnapshotMaxAge {
		return pt.procs, pt.at, nil
	}
	procs, err := scanProcs("/proc")
	if err != nil {
		return nil, time.Time{}, err
	}
	pt.at, pt.procs = now, procs
	return procs, now, nil
}

// TaskStats reads the task's usage from its cgroup when it has one (see
// cgroupUsage), else sums the CPU times, RSS and swap of the processes in
// the task's process group. CPU times include those of children the task
// has reaped, so work done by short-lived children counts too.
func (d *Driver) TaskStats(taskID string) (*driver.TaskResourceUsage, error) {
	t, err := d.lookup(taskID)
	if err != nil {
		return nil, err
	}
	if t.Exited() {
		return nil, fmt.Errorf("raw_exec task %q has exited: no usage to read", taskID)
	}
	if t.group != nil {
		return cgroupUsage(t, time.Now())
	}
	procs, at, err := d.procs.get(time.Now())
	if err != nil {
		return nil, fmt.Errorf("raw_exec task %q stats: %w", taskID, err)
	}
	u := groupUsage(procs, t.pgid, os.Getpagesize())
	u.Timestamp = at // the counters are as of the scan, which may serve several tasks
	for _, p := range procs {
		if p.pgrp == t.pgid {
			u.Memory.Swap += swapOf("/proc", p.pid)
		}
	}
	return u, nil
}

// cgroupUsage reads the task's usage from its cgroup: CPU time by mode,
// and memory both as resident (anonymous) memory and as the group's usage
// (charged memory less the page cache the kernel can drop at once). Swap
// is not read, so it is not reported as measured.
func cgroupUsage(t *task, now time.Time) (*driver.TaskResourceUsage, error) {
	u, err := t.group.Usage()
	if err != nil {
		return nil, fmt.Errorf("raw_exec task %q stats from cgroup %s: %w", t.id, t.group.Name(), err)
	}
	det, err := cgroup.ReadDetail(t.group)
	if err != nil {
		return nil, fmt.Errorf("raw_exec task %q stats: %w", t.id, err)
	}
	return &driver.TaskResourceUsage{
		Timestamp: now,
		CPU: driver.CPUUsage{UserTime: det.UserTime, SystemTime: det.SystemTime,
			Measured: measuredCPU},
		Memory: driver.MemoryUsage{RSS: det.RSSBytes, Usage: u.MemoryBytes,
			Measured: []string{driver.MeasuredRSS, driver.MeasuredUsage}},
	}, nil
}

// groupUsage sums the usage of the processes of group pgid.
func groupUsage(procs []proc, pgid, pageSize int) *driver.TaskResourceUsage {
	var user, sys, rss uint64
	for _, p := range procs {
		if p.pgrp != pgid {
			continue
		}
		user += p.utime + p.cutime
		sys += p.stime + p.cstime
		rss += p.rssPages
	}
	return &driver.TaskResourceUsage{
		CPU: driver.CPUUsage{
			UserTime:   time.Duration(user) * clockTick,
			SystemTime: time.Duration(sys) * clockTick,
			Measured:   measuredCPU,
		},
		Memory: driver.MemoryUsage{RSS: rss * uint64(pageSize), Measured: measuredMemory},
	}
}

// scanProcs reads the stat line of every process under root. Processes
// that exit during the scan are skipped.
func scanProcs(root string) ([]proc, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	procs := make([]proc, 0, len(entries))
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		b, err := os.ReadFile(root + "/" + e.Name() + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		p, err := parseProcStat(pid, string(b))
		if err != nil {
			return nil, fmt.Errorf("process %d: %w", pid, err)
		}
		procs = append(procs, p)
	}
	return procs, nil
}

// parseProcStat reads the fields of a /proc/<pid>/stat line the usage
// needs. Fields are counted after the last ')', as the command name may
// hold spaces and parentheses; field n is at index n-3 then.
func parseProcStat(pid int, s string) (proc, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return proc{}, errors.New("malformed /proc stat: no ')'")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 22 {
		return proc{}, fmt.Errorf("malformed /proc stat: %d fields after the name, want at least 22", len(f))
	}
	p := proc{pid: pid}
	pgrp, err := strconv.Atoi(f[5-3])
	if err != nil {
		return proc{}, fmt.Errorf("malformed /proc stat pgrp %q", f[5-3])
	}
	p.pgrp = pgrp
	for _, fld := range []struct {
		n   int
		dst *uint64
	}{{14, &p.utime}, {15, &p.stime}, {16, &p.cutime}, {17, &p.cstime}, {24, &p.rssPages}} {
		v, err := strconv.ParseInt(f[fld.n-3], 10, 64)
		if err != nil {
			return proc{}, fmt.Errorf("malformed /proc stat field %d %q", fld.n, f[fld.n-3])
		}
		*fld.dst = uint64(max(v, 0)) // cutime and cstime are signed in the kernel's format
	}
	return p, nil
}

// swapOf returns the process's swapped-out memory in bytes (VmSwap of
// /proc/<pid>/status), 0 when it cannot be read (a kernel thread, an exited
// process).
func swapOf(root string, pid int) uint64 {
	b, err := os.ReadFile(root + "/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmSwap:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}
