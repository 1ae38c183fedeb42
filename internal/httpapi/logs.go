package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/drover-sh/drover"
)

// StreamFrame is one frame of a framed log stream, as Nomad's: Data holds
// the bytes (base64 in JSON), Offset the position in the stream after them,
// File the file they came from relative to the allocation directory.
type StreamFrame struct {
	Offset    int64
	Data      []byte
	File      string
	FileEvent string
}

// logParams are the query parameters of /v1/client/fs/logs/<alloc>.
type logParams struct {
	task   string
	stream string // "stdout" | "stderr"
	origin string // "start" | "end"
	offset int64
	follow bool
	plain  bool
}

func parseLogParams(r *http.Request) (logParams, error) {
	v := r.URL.Query()
	p := logParams{task: v.Get("task"), stream: v.Get("type"), origin: v.Get("origin")}
	switch p.stream {
	case "stdout", "stderr":
	case "":
		return p, drover.Errorf(drover.ErrInvalid, "type is required: stdout or stderr")
	default:
		return p, drover.Errorf(drover.ErrInvalid, "type %q is unknown: expected stdout or stderr", p.stream)
	}
	switch p.origin {
	case "":
		p.origin = "start"
	case "start", "end":
	default:
		return p, drover.Errorf(drover.ErrInvalid, "origin %q is unknown: expected start or end", p.origin)
	}
	if s := v.Get("offset"); s != "" {
		off, err := strconv.ParseInt(s, 10, 64)
		if err != nil || off < 0 {
			return p, drover.Errorf(drover.ErrInvalid, "offset %q is not a non-negative integer", s)
		}
		p.offset = off
	}
	var err error
	if p.follow, err = boolParam(r, "follow"); err != nil {
		return p, err
	}
	if p.plain, err = boolParam(r, "plain"); err != nil {
		return p, err
	}
	return p, nil
}

// handleAllocLogs streams a task's log from the local client: framed JSON by
// default, raw bytes with plain=true. With follow it streams until the
// requester disconnects. With no task named, the allocation's only task is
// used.
func handleAllocLogs(rpc RPC, client Client, region string, log *slog.Logger) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		p, err := parseLogParams(r)
		if err != nil {
			writeError(w, err)
			return
		}
		alloc, handled := forwardIfElsewhere(w, r, rpc, client, q, r.PathValue("alloc"))
		if handled {
			return
		}
		allocID := alloc.ID
		if p.task == "" {
			if p.task, err = onlyTask(alloc); err != nil {
				writeError(w, err)
				return
			}
		}
		if client == nil {
			writeError(w, drover.Errorf(drover.ErrConflict, "allocation %s is not placed on a node yet: it has no logs", drover.ShortID(alloc.ID)))
			return
		}
		rc, err := client.AllocLogs(r.Context(), allocID, p.task, p.stream, p.origin, p.offset, p.follow)
		if err != nil {
			writeError(w, err)
			return
		}
		// A follow blocked in Read ends when the requester goes away:
		// the reader follows the request's context. It is closed only
		// once reading is over, as a reader need not allow Close during
		// a Read.
		defer rc.Close()

		file := "alloc/logs/" + p.task + "." + p.stream
		start := int64(0)
		if p.origin == "start" {
			start = p.offset
		}
		if p.plain {
			err = streamPlain(w, rc)
		} else {
			err = streamFrames(w, rc, file, start)
		}
		if err != nil && r.Context().Err() == nil {
			log.Debug("log stream ended", "alloc", allocID, "task", p.task, "error", err)
		}
	})
}

// onlyTask names the allocation's task when it has exactly one; with
// several, the request must name one.
func onlyTask(alloc *drover.Allocation) (string, error) {
	tasks := allocTaskNames(alloc)
	if len(tasks) != 1 {
		return "", drover.Errorf(drover.ErrInvalid, "task is required: allocation %s has tasks %s",
			drover.ShortID(alloc.ID), strings.Join(tasks, ", "))
	}
	return tasks[0], nil
}

// allocTaskNames lists the allocation's task names, sorted.
func allocTaskNames(alloc *drover.Allocation) []string {
	var names []string
	if alloc.Job != nil {
		if tg := alloc.Job.LookupTaskGroup(alloc.TaskGroup); tg != nil {
			for _, t := range tg.Tasks {
				names = append(names, t.Name)
			}
		}
	}
	if names == nil {
		for name := range alloc.TaskStates {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// streamHeartbeat is how long a framed stream may be idle before the agent
// sends a heartbeat frame.
var streamHeartbeat = time.Second

// heartbeatFrame is the frame sent when a stream is idle: no data, no file,
// no offset, which Nomad's client and drover's both skip.
var heartbeatFrame = []byte("{}\n")

// logPositioner is a log reader that knows the file and the offset in it
// of the next byte it reads, as the client's log reader does.
type logPositioner interface {
	Position() (path string, offset int64)
}

// streamFrames copies rc to w as JSON StreamFrames, flushing each as it is
// read. A frame's File and Offset are, as in Nomad's, the file its data
// came from (a rotated copy or the live file, relative to the allocation
// directory) and the offset in that file after the data. A reader that
// does not tell its position is taken as file with start the offset of
// its first byte.
func streamFrames(w http.ResponseWriter, rc io.Reader, file string, start int64) error {
	w.Header().Set("Content-Type", "application/json")
	s := newStreamWriter(w)
	enc := json.NewEncoder(w)
	off := start
	pos, _ := rc.(logPositioner)
	return pump(s, rc, heartbeatFrame, func(b []byte) error {
		off += int64(len(b))
		f := StreamFrame{Offset: off, Data: b, File: file}
		if pos != nil {
			if p, o := pos.Position(); p != "" {
				f.File, f.Offset = path.Join(path.Dir(file), filepath.Base(p)), o
			}
		}
		return enc.Encode(f)
	})
}

// streamPlain copies rc to w as raw bytes, flushing each read.
func streamPlain(w http.ResponseWriter, rc io.Reader) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	return pump(newStreamWriter(w), rc, nil, func(b []byte) error {
		_, err := w.Write(b)
		return err
	})
}

// streamWriter sends a streamed answer: each chunk flushed as soon as it
// is written and, on a framed stream, a heartbeat frame after every idle
// streamHeartbeat, as Nomad's agent does. Nomad's client looks at its
// cancel channel only when a frame arrives, so without heartbeats a
// client that stopped following an idle log would hold the request (and
// the agent's shutdown) open until the task wrote again.
type streamWriter struct {
	w   http.ResponseWriter
	ctl *http.ResponseController

	mu   sync.Mutex // serialises the stream's writes and the heartbeats
	sent bool       // something was sent since the last heartbeat tick
}

func newStreamWriter(w http.ResponseWriter) *streamWriter {
	return &streamWriter{w: w, ctl: http.NewResponseController(w)}
}

// send runs write, which writes to the response, and flushes it.
func (s *streamWriter) send(write func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = true
	if err := write(); err != nil {
		return err
	}
	return s.ctl.Flush()
}

// heartbeats sends frame whenever the stream was idle for streamHeartbeat,
// until the returned stop is called; stop returns once no heartbeat can be
// written any more, so the handler may return.
func (s *streamWriter) heartbeats(frame []byte) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(streamHeartbeat)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
			}
			s.mu.Lock()
			idle := !s.sent
			s.sent = false
			var err error
			if idle {
				if _, err = s.w.Write(frame); err == nil {
					err = s.ctl.Flush()
				}
			}
			s.mu.Unlock()
			if err != nil {
				return // the requester is gone; the stream's next write fails too
			}
		}
	}()
	return func() { close(quit); <-done }
}

// pump sends the headers at once (a follower may wait long for data), then
// hands every chunk read from rc to write and flushes it, with heartbeat
// frames between chunks while rc has nothing (none when heartbeat is nil).
// It returns nil at the end of rc.
func pump(s *streamWriter, rc io.Reader, heartbeat []byte, write func([]byte) error) error {
	s.w.WriteHeader(http.StatusOK)
	if err := s.ctl.Flush(); err != nil {
		return err
	}
	if heartbeat != nil {
		defer s.heartbeats(heartbeat)()
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := rc.Read(buf)
		if n > 0 {
			if werr := s.send(func() error { return write(buf[:n]) }); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
