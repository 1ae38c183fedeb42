package logfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Rotator keeps one live log file within bounds by copy-and-truncate: when
// the live file has grown past maxBytes, Check copies it to the next rotated
// name (<live>.<n>, n one more than the highest present) and truncates it to
// zero, then deletes the oldest rotated copies so that at most maxFiles
// files remain, the live one included. With maxFiles <= 1 nothing is kept:
// the live file is just truncated.
//
// Disk use is bounded by about maxFiles * maxBytes plus what the task
// writes between two checks, and one copy in progress: the oldest copies
// are deleted before a new one is made. Run with a Watcher checks at each
// write, so even a task writing at disk speed stays near the bound; without
// one, a task may write a whole interval's worth before it is rotated.
//
// A full disk: a copy that fails for want of space is dropped and the live
// file truncated all the same — the output that cannot be kept is lost,
// and the task's next output has room. When the file system holding the
// logs has no space left (the task's writes then fail and its output is
// lost), Run logs it and calls OnDiskFull once, and again with false once
// there is space.
//
// Window of loss: the task writes without any coordination with the
// rotator. Bytes it appends after the copy has read to the end of the file
// and before the truncate takes effect are in neither file. The copy reads
// until it meets the end of the file, so the window is the few microseconds
// between that last read and ftruncate; a task writing continuously may lose
// a fragment (possibly part of a line) at each rotation. This is inherent to
// copy-and-truncate and the price of tasks writing straight into their files.
//
// A Rotator is safe for concurrent use; Check calls are serialised.
type Rotator struct {
	live     string
	maxFiles int
	maxBytes int64
	logger   *slog.Logger

	// OnDiskFull, when set before Run, is called with true when Run finds
	// the log file system full and with false when it has space again.
	OnDiskFull func(full bool)

	mu   sync.Mutex
	full bool // the file system was full at the last check (under mu)
	// src is the live file, held open between checks (under mu): on ext4,
	// closing a descriptor of a file truncated to zero flushes its dirty
	// pages (auto_da_alloc), which would stall each rotation of a task
	// writing fast for as long as the flush takes.
	src *os.File
}

// NewRotator returns a rotator for the live file at live. logger may be nil.
func NewRotator(live string, maxFiles int, maxBytes int64, logger *slog.Logger) *Rotator {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Rotator{
		live:     live,
		maxFiles: maxFiles,
		maxBytes: maxBytes,
		logger:   logger.With("log_file", live),
	}
}

// Run calls Check every interval until ctx is done, then once more, so
// that output written just before the task ended is rotated too. A failed
// check is logged and retried at the next tick: there is no caller to hand
// it to, and a transient failure (disk full) must not stop rotation for
// good.
func (r *Rotator) Run(ctx context.Context, interval time.Duration) {
	r.RunWatched(ctx, interval, nil)
}

// RunWatched is Run that also checks at every value from wake (a
// Watcher's channel for the live file): a task writing fast is rotated as
// it writes. After a failed check, wakes are ignored until the next tick,
// so that a failing disk does not make the rotator spin.
func (r *Rotator) RunWatched(ctx context.Context, interval time.Duration, wake <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	defer r.Close()
	armed := wake
	check := func() {
		err := r.Check()
		r.noteDisk(err)
		if err != nil {
			r.logger.Warn("log rotation failed", "error", err)
			armed = nil
		}
	}
	for {
		select {
		case <-ctx.Done():
			if err := r.Check(); err != nil {
				r.logger.Warn("log rotation failed", "error", err)
			}
			return
		case <-t.C:
			armed = wake
			check()
		case <-armed:
			check()
		}
	}
}

// noteDisk looks at whether the log file system is full after a check
// (whose error, err, may say so) and reports a change.
func (r *Rotator) noteDisk(err error) {
	full := errors.Is(err, syscall.ENOSPC)
	if !full {
		var st syscall.Statfs_t
		if serr := syscall.Statfs(filepath.Dir(r.live), &st); serr == nil {
			full = st.Bavail == 0
		}
	}
	r.mu.Lock()
	changed := full != r.full
	r.full = full
	r.mu.Unlock()
	if !changed {
		return
	}
	if full {
		r.logger.Warn("log disk full: the task's output is lost until there is space")
	} else {
		r.logger.Info("log disk has space again: the task's output is kept")
	}
	if r.OnDiskFull != nil {
		r.OnDiskFull(full)
	}
}

// Check rotates the live file if it is larger than maxBytes. A missing live
// file is not an error (the task has not started yet).
func (r *Rotator) Check() error {
	r.mu.Lock()
	defer r.mu.Unlock()

	fi, err := os.Stat(r.live)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stat live log: %w", err)
	}
	if fi.Size() <= r.maxBytes {
		return nil
	}
	if err := r.openLive(fi); err != nil {
		return err
	}

	lk := openLock(r.live)
	defer lk.close()
	lk.exclusive()
	defer lk.unlock()

	// A live file far over its bound means the task writes faster than
	// copies can be made: copying would let it grow meanwhile by as much
	// again, so its output is dropped instead until it slows down.
	if flood := fi.Size() > r.floodBound(); r.maxFiles <= 1 || flood {
		if err := os.Truncate(r.live, 0); err != nil {
			return fmt.Errorf("truncate live log: %w", err)
		}
		if flood {
			r.logger.Debug("log written faster than it can be rotated: output dropped", "size", fi.Size())
		}
	} else if err := r.rotate(); err != nil {
		if errors.Is(err, errDropped) {
			err = errors.Join(err, lk.bump())
		}
		return err
	}
	return lk.bump()
}

// floodFactor: a live file found over floodFactor*maxBytes (plus 1 MiB) is
// truncated without a copy (see floodBound).
const floodFactor = 2

// openLive makes r.src the live file described by fi, opening it again
// when the file was replaced.
func (r *Rotator) openLive(fi os.FileInfo) error {
	if r.src != nil {
		if st, err := r.src.Stat(); err == nil && os.SameFile(st, fi) {
			return nil
		}
		r.src.Close()
		r.src = nil
	}
	f, err := os.Open(r.live)
	if err != nil {
		return fmt.Errorf("open live log: %w", err)
	}
	r.src = f
	return nil
}

// Close releases the live file the rotator holds open. Run closes it when
// it returns; a caller of Check alone closes it when done.
func (r *Rotator) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.src == nil {
		return nil
	}
	err := r.src.Close()
	r.src = nil
	return err
}

// errDropped marks a rotation that could not copy the live file for want
// of space and truncated it all the same.
var errDropped = errors.New("the live log was truncated without a copy: its output is lost")

// rotate does one copy-and-truncate under the exclusive lock. The copy is
// made under a hidden name and renamed into place only after the truncate,
// so a rotated file never appears half written; readers, holding the lock
// shared, see either none of the rotation or all of it.
func (r *Rotator) rotate() error {
	existing, err := listRotated(r.live)
	if err != nil {
		return err
	}
	next := 0
	if len(existing) > 0 {
		next = existing[len(existing)-1].n + 1
	}
	// Make room first: once the new copy is in place, maxFiles-1 copies
	// are kept, so the oldest beyond maxFiles-2 go now rather than after
	// the copy, which would need their space too.
	for len(existing) > r.maxFiles-2 {
		if err := os.Remove(existing[0].path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete old log: %w", err)
		}
		existing = existing[1:]
	}

	tmp := hiddenPath(r.live, "rotating")
	if err := r.copyLive(tmp); err != nil {
		os.Remove(tmp)
		if !errors.Is(err, syscall.ENOSPC) {
			return err
		}
		// No room for the copy: drop the output rather than leave the
		// task no room for the next.
		if terr := os.Truncate(r.live, 0); terr != nil {
			return errors.Join(err, fmt.Errorf("truncate live log: %w", terr))
		}
		return fmt.Errorf("%w (%w)", err, errDropped)
	}
	if err := os.Truncate(r.live, 0); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("truncate live log: %w", err)
	}
	dst := r.live + "." + strconv.Itoa(next)
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("rename rotated log: %w", err)
	}
	return nil
}

// copyLive copies the live file, up to its end at the time of the last
// read but at most 1 MiB over maxBytes, into a new file at dst: a rotated
// copy is never much larger than a log file may be. The copy goes in
// chunks and stops early when the live file grows past the flood bound
// meanwhile (the task writes faster than the copy is made), so that the
// truncate comes before the live file grows without bound. What was not
// copied is lost with the truncate.
func (r *Rotator) copyLive(dst string) error {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("create rotated log: %w", err)
	}
	const chunk = 1 << 20
	var off int64
	for left := r.maxBytes + 1<<20; left > 0; left -= chunk {
		want := min(chunk, left)
		n, err := copyRange(out, r.src, off, want)
		off += n
		if err != nil {
			out.Close()
			return fmt.Errorf("copy live log: %w", err)
		}
		if n < want {
			break // the end of the file
		}
		if fi, err := r.src.Stat(); err == nil && fi.Size() > r.floodBound() {
			r.logger.Debug("log written faster than it can be rotated: the rest of it is dropped", "size", fi.Size())
			break
		}
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("close rotated log: %w", err)
	}
	return nil
}

// copyRange appends up to n bytes of src from offset off to out, in the
// kernel where it can (copy_file_range), and returns how many it copied;
// fewer than n means src ended.
func copyRange(out, src *os.File, off, n int64) (int64, error) {
	var done int64
	for done < n {
		o := off + done
		c, err := unix.CopyFileRange(int(src.Fd()), &o, int(out.Fd()), nil, int(n-done), 0)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if done == 0 && (errors.Is(err, unix.EXDEV) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP)) {
				return io.Copy(out, io.NewSectionReader(src, off, n))
			}
			return done, err
		}
		if c == 0 {
			break
		}
		done += int64(c)
	}
	return done, nil
}

// floodBound is the size of a live file that shows the task writes faster
// than copies can be made: it is truncated without (more of) a copy.
func (r *Rotator) floodBound() int64 { return floodFactor*r.maxBytes + 1<<20 }
