package allocfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/drover-sh/drover"
)

// Origins of a Stream's offset, as in Nomad's fs stream API.
const (
	// OriginStart counts the offset forward from the file's first byte.
	OriginStart = "start"
	// OriginEnd counts the offset back from the file's end.
	OriginEnd = "end"
)

// DefaultPollInterval is how often a following stream looks for new bytes
// when none was given.
const DefaultPollInterval = 250 * time.Millisecond

// FileEvent is what a following StreamReader's Read returns, with no data,
// when the file it follows changes other than by growing. Its values are
// Nomad's stream frame FileEvent values.
type FileEvent string

const (
	// FileTruncated: the file shrank; reading goes on from its start.
	FileTruncated FileEvent = "file truncated"
	// FileDeleted: the path no longer names the file; the stream ends
	// (Read returns io.EOF from then on).
	FileDeleted FileEvent = "file deleted"
)

// Error makes a FileEvent an error Read can return.
func (e FileEvent) Error() string { return string(e) }

// FileEvent returns the event's name, so callers can recognise events
// through an interface without importing this package.
func (e FileEvent) FileEvent() string { return string(e) }

// Stream opens file p (as Open does) and returns a reader from offset
// counted from origin ("start" or "end"; "" = start), clamped to the file.
// With follow the reader waits for the file to grow, looking every poll
// (DefaultPollInterval when <= 0), until ctx is done, when Read returns
// io.EOF; a truncation or deletion of the file is reported by a FileEvent
// error (see there). Without follow it ends at the file's current end.
func (d *Dir) Stream(ctx context.Context, p, origin string, offset int64, follow bool, poll time.Duration) (*StreamReader, error) {
	if origin == "" {
		origin = OriginStart
	}
	if origin != OriginStart && origin != OriginEnd {
		return nil, drover.Errorf(drover.ErrInvalid, "origin %q is unknown: expected %q or %q", origin, OriginStart, OriginEnd)
	}
	if offset < 0 {
		return nil, drover.Errorf(drover.ErrInvalid, "offset %d must not be negative", offset)
	}
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	f, rel, err := d.openFile(p)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %q: %w", p, err)
	}
	off := min(offset, fi.Size())
	if origin == OriginEnd {
		off = fi.Size() - off
	}
	return &StreamReader{f: f, path: filepath.Join(d.root, filepath.FromSlash(rel)), off: off, start: off,
		follow: follow, ctx: ctx, poll: poll}, nil
}

// StreamReader reads one file of an allocation directory from an offset,
// following its growth when asked. It is not safe for concurrent use.
type StreamReader struct {
	f       *os.File
	path    string // where the file was opened, to notice its deletion
	off     int64
	start   int64
	follow  bool
	ctx     context.Context
	poll    time.Duration
	deleted bool
}

// Start returns the file offset of the first byte the reader returned.
func (s *StreamReader) Start() int64 { return s.start }

// Read reads the next bytes; a following reader blocks until there are
// some, the file changes (a FileEvent error), or its context is done.
func (s *StreamReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for !s.deleted {
		n, err := s.f.ReadAt(p, s.off)
		s.off += int64(n)
		if n > 0 {
			return n, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("read %s: %w", s.f.Name(), err)
		}
		if !s.follow {
			return 0, io.EOF
		}
		if ev := s.changed(); ev != "" {
			return 0, ev
		}
		if !s.wait() {
			return 0, io.EOF
		}
	}
	return 0, io.EOF
}

// changed looks, at the end of the file, for a truncation (reading starts
// over) or a deletion (the stream ends).
func (s *StreamReader) changed() FileEvent {
	fi, err := s.f.Stat()
	if err == nil && fi.Size() < s.off {
		s.off = 0
		return FileTruncated
	}
	now, serr := os.Stat(s.path)
	if err == nil && (serr != nil || !os.SameFile(fi, now)) {
		s.deleted = true
		return FileDeleted
	}
	return ""
}

// wait sleeps one poll interval; false when the context ended first.
func (s *StreamReader) wait() bool {
	t := time.NewTimer(s.poll)
	defer t.Stop()
	select {
	case <-s.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Close closes the file. It does not end a blocked Read; cancel the
// context for that.
func (s *StreamReader) Close() error { return s.f.Close() }
