package driver

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// These help process drivers (exec, raw_exec) tell a task's process from a
// later one that reused its pid, and watch a process that is no longer the
// agent's child (a task recovered after an agent restart).

// ProcStat reads a process's state (field 3) and start time in clock ticks
// after boot (field 22) from /proc/<pid>/stat.
func ProcStat(pid int) (state byte, startTicks uint64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	return ParseProcStat(string(b))
}

// ParseProcStat parses the text of /proc/<pid>/stat. The command name
// (field 2) is in parentheses and may hold spaces or parentheses, so
// fields are counted after the last ')'.
func ParseProcStat(s string) (state byte, startTicks uint64, err error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, errors.New("malformed /proc stat: no ')'")
	}
	fields := strings.Fields(s[i+1:])
	// fields[0] is field 3 (state); field 22 is fields[19].
	if len(fields) < 20 || len(fields[0]) != 1 {
		return 0, 0, errors.New("malformed /proc stat: too few fields")
	}
	ticks, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("malformed /proc stat start time: %w", err)
	}
	return fields[0][0], ticks, nil
}

// SameProcessAlive reports whether pid is a live (not zombie) process that
// started at startTicks.
func SameProcessAlive(pid int, startTicks uint64) bool {
	state, ticks, err := ProcStat(pid)
	return err == nil && ticks == startTicks && state != 'Z' && state != 'X'
}

// WatchRecovered polls every interval until the process pid, started at
// startTicks and no longer the agent's child, has exited, then calls
// exited. pidfd (-1 for none) makes the check exact: it turns readable
// when the process exits; without it /proc is read. It returns without
// calling exited once forget is closed, and closes pidfd in any case.
func WatchRecovered(pidfd, pid int, startTicks uint64, interval time.Duration, forget <-chan struct{}, exited func()) {
	if pidfd >= 0 {
		defer unix.Close(pidfd)
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if recoveredExited(pidfd, pid, startTicks) {
			exited()
			return
		}
		select {
		case <-forget:
			return
		case <-tick.C:
		}
	}
}

func recoveredExited(pidfd, pid int, startTicks uint64) bool {
	if pidfd >= 0 {
		fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
		if n, err := unix.Poll(fds, 0); err == nil {
			return n > 0
		}
	}
	return !SameProcessAlive(pid, startTicks)
}
