package agent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// lockFileName is the file in data_dir that an agent holds an exclusive lock
// on for its whole life, so two agents never share one data directory.
const lockFileName = "agent.lock"

// dataDirLock is a held lock on a data directory.
type dataDirLock struct {
	f *os.File
}

// ErrDataDirLocked is returned when another process holds the data dir.
var ErrDataDirLocked = errors.New("data_dir is locked by another agent")

// lockDataDir creates dir if needed and takes an exclusive, non-blocking
// lock on dir/agent.lock. The kernel drops the lock when the process dies,
// so a crashed agent never leaves a stale lock behind.
func lockDataDir(dir string) (*dataDirLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data_dir: %w", err)
	}
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		holder := "another process"
		if b, rerr := os.ReadFile(path); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				holder = fmt.Sprintf("process %d", pid)
			}
		}
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s holds the lock on %s; stop that agent or use another data_dir", ErrDataDirLocked, holder, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "%d\n", os.Getpid())
		f.Sync()
	}
	return &dataDirLock{f: f}, nil
}

// release drops the lock.
func (l *dataDirLock) release() {
	if l == nil || l.f == nil {
		return
	}
	unix.Flock(int(l.f.Fd()), unix.LOCK_UN)
	l.f.Close()
	l.f = nil
}
