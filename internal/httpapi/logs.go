package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

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
		// Close the reader when the requester goes away, so a follow
		// blocked in Read ends.
		closeOnce := sync.OnceValue(rc.Close)
		stop := context.AfterFunc(r.Context(), func() { closeOnce() })
		defer func() { stop(); closeOnce() }()

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

// streamFrames copies rc to w as JSON StreamFrames, flushing each as it is
// read. start is the stream offset of rc's first byte.
func streamFrames(w http.ResponseWriter, rc io.Reader, file string, start int64) error {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	off := start
	return pump(w, rc, func(b []byte) error {
		off += int64(len(b))
		return enc.Encode(StreamFrame{Offset: off, Data: b, File: file})
	})
}

// streamPlain copies rc to w as raw bytes, flushing each read.
func streamPlain(w http.ResponseWriter, rc io.Reader) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	return pump(w, rc, func(b []byte) error {
		_, err := w.Write(b)
		return err
	})
}

// pump sends the headers at once (a follower may wait long for data), then
// hands every chunk read from rc to write and flushes it. It returns nil at
// the end of rc.
func pump(w http.ResponseWriter, rc io.Reader, write func([]byte) error) error {
	ctl := http.NewResponseController(w)
	w.WriteHeader(http.StatusOK)
	if err := ctl.Flush(); err != nil {
		return err
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := rc.Read(buf)
		if n > 0 {
			if werr := write(buf[:n]); werr != nil {
				return werr
			}
			if ferr := ctl.Flush(); ferr != nil {
				return ferr
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
