package logfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/drover-sh/drover"
)

// Origins of a Reader's offset, as in Nomad's logs API.
const (
	// OriginStart counts the offset forward from the first byte of the
	// oldest file.
	OriginStart = "start"
	// OriginEnd counts the offset back from the last byte of the live file.
	OriginEnd = "end"
)

// DefaultPollInterval is how often a following Reader looks for new output
// when none was given.
const DefaultPollInterval = 250 * time.Millisecond

// liveIdx marks the live file as the Reader's current file.
const liveIdx = -1

// Reader reads a task stream's log files as one sequence: the rotated copies
// oldest first, then the live file. A following Reader keeps reading as the
// live file grows and follows it through rotations: when the live file has
// been copied and truncated, it first reads the rest of what it had not yet
// read from the new rotated copy, then carries on at offset 0 of the live
// file. Data the rotator lost (see Rotator) or deleted before the Reader got
// to it is skipped; everything it returns is in the order it was written.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	live   string
	follow bool
	ctx    context.Context
	poll   time.Duration
	lock   *fileLock

	cur         int // rotated index being read, or liveIdx
	f           *os.File
	path        string
	off         int64
	lastRotated int    // highest rotated index older than the live file's contents; -1 none
	gen         uint64 // rotation count when the files were last listed
	genKnown    bool
	closed      bool
}

// NewReader returns a Reader of a task stream's files in logDir that stops
// with io.EOF at the current end of the live file. origin is OriginStart or
// OriginEnd ("" means OriginStart); offset (>= 0) counts bytes from the start
// of the whole sequence for OriginStart, back from its end for OriginEnd,
// and is clamped to the sequence. A bad origin or offset is a drover.ErrInvalid.
func NewReader(logDir, task, stream, origin string, offset int64) (*Reader, error) {
	return newReader(context.Background(), logDir, task, stream, origin, offset, false, 0)
}

// NewFollowReader is like NewReader but, at the end of the live file, waits
// for more output (looking every poll; DefaultPollInterval when poll <= 0)
// until ctx is done, when Read returns io.EOF. The live file need not exist
// yet.
func NewFollowReader(ctx context.Context, logDir, task, stream, origin string, offset int64, poll time.Duration) (*Reader, error) {
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	return newReader(ctx, logDir, task, stream, origin, offset, true, poll)
}

func newReader(ctx context.Context, logDir, task, stream, origin string, offset int64, follow bool, poll time.Duration) (*Reader, error) {
	if origin == "" {
		origin = OriginStart
	}
	if origin != OriginStart && origin != OriginEnd {
		return nil, drover.Errorf(drover.ErrInvalid, "log origin %q: must be %q or %q", origin, OriginStart, OriginEnd)
	}
	if offset < 0 {
		return nil, drover.Errorf(drover.ErrInvalid, "log offset %d: must not be negative", offset)
	}
	live := LivePath(logDir, task, stream)
	r := &Reader{
		live:   live,
		follow: follow,
		ctx:    ctx,
		poll:   poll,
		lock:   openLock(live),
		cur:    liveIdx,
		path:   live,
	}
	if err := r.seek(origin, offset); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// seek positions the reader at offset from origin over the files as they
// are now.
func (r *Reader) seek(origin string, offset int64) error {
	r.lock.shared()
	defer r.lock.unlock()

	rs, err := listRotated(r.live)
	if err != nil {
		return err
	}
	r.lastRotated = -1
	if len(rs) > 0 {
		r.lastRotated = rs[len(rs)-1].n
	}
	type part struct {
		idx  int
		path string
		size int64
	}
	var parts []part
	var total int64
	for _, f := range rs {
		fi, err := os.Stat(f.path)
		if err != nil {
			continue
		}
		parts = append(parts, part{f.n, f.path, fi.Size()})
		total += fi.Size()
	}
	var liveSize int64
	if fi, err := os.Stat(r.live); err == nil {
		liveSize = fi.Size()
	}
	parts = append(parts, part{liveIdx, r.live, liveSize})
	total += liveSize

	target := min(offset, total)
	if origin == OriginEnd {
		target = total - target
	}
	for i, p := range parts {
		if target < p.size || i == len(parts)-1 {
			return r.open(p.idx, p.path, min(target, p.size))
		}
		target -= p.size
	}
	return nil
}

// open makes path (rotated index idx, or liveIdx) the current file. A
// missing live file is not an error: it reads as empty until it appears.
func (r *Reader) open(idx int, path string, off int64) error {
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
	r.cur, r.path, r.off = idx, path, off
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && idx == liveIdx {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	r.f = f
	return nil
}

// Position returns the file the Reader is in and its offset in that file:
// where the next byte read comes from.
func (r *Reader) Position() (path string, offset int64) {
	return r.path, r.off
}

// Read reads the next bytes of the sequence. A following Reader blocks until
// there is output or its context is done.
func (r *Reader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, os.ErrClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, atEnd, err := r.readOnce(p)
		if n > 0 || err != nil {
			return n, err
		}
		if !atEnd {
			continue // moved to another file
		}
		if !r.follow {
			return 0, io.EOF
		}
		if !r.wait() {
			return 0, io.EOF
		}
	}
}

// wait sleeps one poll interval; false when the context ended first.
func (r *Reader) wait() bool {
	t := time.NewTimer(r.poll)
	defer t.Stop()
	select {
	case <-r.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// readOnce reads from the current file under the shared lock, so that a
// rotation is never seen half done. atEnd reports that the live file has no
// more bytes for now; n == 0 && !atEnd means the reader moved to another
// file and should read again.
func (r *Reader) readOnce(p []byte) (n int, atEnd bool, err error) {
	if r.lock == nil {
		r.lock = openLock(r.live) // the log dir may have appeared since
	}
	r.lock.shared()
	defer r.lock.unlock()

	if r.cur != liveIdx {
		n, err := r.readCurrent(p)
		if n > 0 || err != nil {
			return n, false, err
		}
		return 0, false, r.nextAfterRotated()
	}

	moved, err := r.followRotation()
	if moved || err != nil {
		return 0, false, err
	}
	if r.f == nil {
		if err := r.open(liveIdx, r.live, 0); err != nil || r.f == nil {
			return 0, true, err
		}
	}
	fi, err := r.f.Stat()
	if err != nil {
		return 0, false, fmt.Errorf("stat live log: %w", err)
	}
	if fi.Size() < r.off {
		// Truncated with no copy kept (maxFiles <= 1): start over.
		r.off = 0
	}
	n, err = r.readCurrent(p)
	return n, n == 0 && err == nil, err
}

// readCurrent reads at the current offset; io.EOF is reported as 0, nil.
func (r *Reader) readCurrent(p []byte) (int, error) {
	if r.f == nil {
		return 0, nil
	}
	n, err := r.f.ReadAt(p, r.off)
	r.off += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		return n, fmt.Errorf("read log: %w", err)
	}
	return n, nil
}

// nextAfterRotated moves on from a fully read rotated file: to the next
// rotated copy if there is one, else to the start of the live file, whose
// contents all came after the copy just read.
func (r *Reader) nextAfterRotated() error {
	rs, err := listRotated(r.live)
	if err != nil {
		return err
	}
	for _, f := range rs {
		if f.n > r.cur {
			return r.open(f.n, f.path, 0)
		}
	}
	r.lastRotated = r.cur
	return r.open(liveIdx, r.live, 0)
}

// followRotation checks, while on the live file, whether it was rotated
// since the reader started on it. If so the oldest new copy holds what the
// reader was reading: it continues there at the same offset (the copy is the
// live file's prefix). If retention already deleted that copy, it continues
// at the start of the oldest copy left.
func (r *Reader) followRotation() (bool, error) {
	gen, ok := r.lock.generation()
	if ok && r.genKnown && gen == r.gen {
		return false, nil // no rotation since the last look
	}
	rs, err := listRotated(r.live)
	if err != nil {
		return false, err
	}
	r.gen, r.genKnown = gen, ok
	for _, f := range rs {
		if f.n <= r.lastRotated {
			continue
		}
		off := r.off
		if f.n != r.lastRotated+1 {
			off = 0
		}
		return true, r.open(f.n, f.path, off)
	}
	return false, nil
}

// Close releases the Reader's files. It does not end a blocked Read; cancel
// the context for that.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
	r.lock.close()
	return nil
}
