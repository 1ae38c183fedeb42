package logfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"
)

// Rotator keeps one live log file within bounds by copy-and-truncate: when
// the live file has grown past maxBytes, Check copies it to the next rotated
// name (<live>.<n>, n one more than the highest present) and truncates it to
// zero, then deletes the oldest rotated copies so that at most maxFiles
// files remain, the live one included. With maxFiles <= 1 nothing is kept:
// the live file is just truncated.
//
// Disk use is bounded by about maxFiles * (maxBytes + what the task writes
// between two checks).
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

	mu sync.Mutex
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

// Run calls Check every interval until ctx is done. A failed check is logged
// and retried at the next tick: there is no caller to hand it to, and a
// transient failure (disk full) must not stop rotation for good.
func (r *Rotator) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.Check(); err != nil {
				r.logger.Warn("log rotation failed", "error", err)
			}
		}
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

	lk := openLock(r.live)
	defer lk.close()
	lk.exclusive()
	defer lk.unlock()

	if r.maxFiles <= 1 {
		if err := os.Truncate(r.live, 0); err != nil {
			return fmt.Errorf("truncate live log: %w", err)
		}
	} else if err := r.rotate(); err != nil {
		return err
	}
	return lk.bump()
}

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

	tmp := hiddenPath(r.live, "rotating")
	if err := r.copyLive(tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Truncate(r.live, 0); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("truncate live log: %w", err)
	}
	dst := r.live + "." + strconv.Itoa(next)
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("rename rotated log: %w", err)
	}
	existing = append(existing, rotated{n: next, path: dst})

	// Keep maxFiles-1 rotated copies beside the live file.
	for len(existing) > r.maxFiles-1 {
		if err := os.Remove(existing[0].path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete old log: %w", err)
		}
		existing = existing[1:]
	}
	return nil
}

// copyLive copies the live file, up to its end at the time of the last
// read, into a new file at dst. The copy is capped so that a task writing
// faster than the disk copies cannot keep it going forever; what lies past
// the cap is lost with the truncate.
func (r *Rotator) copyLive(dst string) error {
	src, err := os.Open(r.live)
	if err != nil {
		return fmt.Errorf("open live log: %w", err)
	}
	defer src.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("create rotated log: %w", err)
	}
	limit := 4*r.maxBytes + 1<<20
	if _, err := io.Copy(out, io.LimitReader(src, limit)); err != nil {
		out.Close()
		return fmt.Errorf("copy live log: %w", err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("close rotated log: %w", err)
	}
	return nil
}
