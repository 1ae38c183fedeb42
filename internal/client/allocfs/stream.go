package allocfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
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

// Stream opens file p (as Open does) and returns a reader from offset
// counted from origin ("start" or "end"; "" = start), clamped to the file.
// With follow the reader waits for the file to grow, looking every poll
// (DefaultPollInterval when <= 0), until ctx is done, when Read returns
// io.EOF; a file truncated under it is read again from its start. Without
// follow it ends at the file's current end. Start reports the file offset
// of the reader's first byte.
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
	f, err := d.Open(p)
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
	return &StreamReader{f: f, off: off, start: off, follow: follow, ctx: ctx, poll: poll}, nil
}

// StreamReader reads one file of an allocation directory from an offset,
// following its growth when asked. It is not safe for concurrent use.
type StreamReader struct {
	f      *os.File
	off    int64
	start  int64
	follow bool
	ctx    context.Context
	poll   time.Duration
}

// Start returns the file offset of the first byte the reader returned.
func (s *StreamReader) Start() int64 { return s.start }

// Read reads the next bytes; a following reader blocks until there are
// some or its context is done.
func (s *StreamReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
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
		if fi, err := s.f.Stat(); err == nil && fi.Size() < s.off {
			s.off = 0 // truncated: what is there now is new
			continue
		}
		if !s.wait() {
			return 0, io.EOF
		}
	}
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
