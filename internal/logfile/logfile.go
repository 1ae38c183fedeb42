// Package logfile owns the on-disk layout of task stdout/stderr logs: the
// live files drivers append to, their rotation by copy-and-truncate, and
// readers that stream them back in order, optionally following new output.
//
// Layout, in a task's log directory (<allocDir>/alloc/logs):
//
//	<task>.<stream>      the live file ("web.stdout"); the task writes to it
//	                     through a descriptor opened with O_APPEND
//	<task>.<stream>.<n>  rotated copies, n = 0, 1, 2, ...; oldest lowest
//	.<task>.<stream>.lock      a lock that keeps readers and the rotator
//	                           from seeing a rotation half done
//	.<task>.<stream>.rotating  a copy being made; never part of the logs
//
// Rotation copies the live file to the next rotated name and truncates the
// live file to zero. The task keeps its descriptor: because it writes in
// append mode, its next write lands at offset 0 of the emptied file. This
// keeps tasks free of any log-shipping process and lets logging go on while
// the agent is down, at the price of a small window of loss described on
// Rotator.
package logfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// OpenAppend opens (creating it with mode 0644 if needed) the live log file
// at path for appending. Drivers hand the result to the task as its stdout or
// stderr; append mode is what makes copy-and-truncate rotation safe.
func OpenAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log file: %w", err)
	}
	return f, nil
}

// LivePath returns the path of the live file of a task's stream
// ("stdout" or "stderr") in logDir.
func LivePath(logDir, task, stream string) string {
	return filepath.Join(logDir, task+"."+stream)
}

// rotated is one rotated copy: its index and path.
type rotated struct {
	n    int
	path string
}

// listRotated returns the rotated copies of the live file at live, ordered
// oldest (lowest index) first. A missing directory yields none.
func listRotated(live string) ([]rotated, error) {
	dir, base := filepath.Split(live)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list log dir: %w", err)
	}
	prefix := base + "."
	var out []rotated
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || e.IsDir() {
			continue
		}
		suffix := name[len(prefix):]
		if suffix == "" || strings.TrimLeft(suffix, "0123456789") != "" {
			continue
		}
		n, err := strconv.Atoi(suffix)
		if err != nil {
			continue // absurdly long digit string: not ours
		}
		out = append(out, rotated{n: n, path: filepath.Join(dir, name)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].n < out[j].n })
	return out, nil
}

// Files returns the log files of a task's stream in logDir, in the order
// their contents were written: rotated copies oldest first, then the live
// file. The live file is listed only when it exists. A missing logDir yields
// no files and no error.
func Files(logDir, task, stream string) ([]string, error) {
	live := LivePath(logDir, task, stream)
	rs, err := listRotated(live)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rs)+1)
	for _, r := range rs {
		out = append(out, r.path)
	}
	if _, err := os.Stat(live); err == nil {
		out = append(out, live)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("stat live log: %w", err)
	}
	return out, nil
}

// hiddenPath returns the path of a helper file (lock, copy in progress)
// that sits beside the live file and never matches Files' pattern.
func hiddenPath(live, suffix string) string {
	dir, base := filepath.Split(live)
	return filepath.Join(dir, "."+base+"."+suffix)
}

// fileLock is an flock(2) on the stream's lock file. The rotator holds it
// exclusively for a whole rotation; readers hold it shared while they look
// at the files, so they never see the live file truncated before its copy
// is in place. A nil *fileLock (lock file could not be opened, e.g. a
// read-only directory) locks nothing.
type fileLock struct{ f *os.File }

func openLock(live string) *fileLock {
	p := hiddenPath(live, "lock")
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		f, err = os.Open(p)
		if err != nil {
			return nil
		}
	}
	return &fileLock{f: f}
}

func (l *fileLock) lock(how int) {
	if l == nil {
		return
	}
	for {
		err := syscall.Flock(int(l.f.Fd()), how)
		if err != syscall.EINTR {
			return
		}
	}
}

func (l *fileLock) shared()    { l.lock(syscall.LOCK_SH) }
func (l *fileLock) exclusive() { l.lock(syscall.LOCK_EX) }
func (l *fileLock) unlock()    { l.lock(syscall.LOCK_UN) }

// generation returns the rotation count the rotator keeps in the lock
// file, so a reader learns cheaply (one pread instead of listing the
// directory) whether a rotation happened. ok is false when unknown.
func (l *fileLock) generation() (gen uint64, ok bool) {
	if l == nil {
		return 0, false
	}
	var b [8]byte
	n, err := l.f.ReadAt(b[:], 0)
	if n == 0 && errors.Is(err, io.EOF) {
		return 0, true // no rotation yet
	}
	if n != len(b) {
		return 0, false
	}
	return binary.BigEndian.Uint64(b[:]), true
}

// bump increments the rotation count; the caller holds the lock
// exclusively.
func (l *fileLock) bump() error {
	if l == nil {
		return nil
	}
	gen, _ := l.generation()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], gen+1)
	if _, err := l.f.WriteAt(b[:], 0); err != nil {
		return fmt.Errorf("record rotation: %w", err)
	}
	return nil
}

func (l *fileLock) close() {
	if l != nil {
		l.f.Close()
	}
}
