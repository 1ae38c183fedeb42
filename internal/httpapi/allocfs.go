package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/drover-sh/drover"
)

// AllocFS is the part of the local client that serves the files of its
// allocations' directories (/v1/client/fs/ls, stat, cat, readat, stream)
// and collects terminal allocations (/v1/client/gc). Paths are relative to
// the allocation directory; one that leads outside it is a
// drover.ErrInvalid, a file in a task's secrets/ a drover.ErrPermission,
// an allocation the client does not hold a drover.ErrNotFound.
type AllocFS interface {
	// AllocFileList lists a directory; symlinks are listed as links.
	AllocFileList(allocID, path string) ([]*drover.AllocFileInfo, error)
	// AllocFileStat describes a file; a symlink is described as itself.
	AllocFileStat(allocID, path string) (*drover.AllocFileInfo, error)
	// AllocFileReadAt reads at most limit bytes (all when limit < 0) of a
	// file from offset.
	AllocFileReadAt(allocID, path string, offset, limit int64) (io.ReadCloser, error)
	// AllocFileStream reads a file from offset counted from origin
	// ("start" or "end"), following what is appended with follow until ctx
	// ends; it also returns the file offset of the first byte.
	AllocFileStream(ctx context.Context, allocID, path, origin string, offset int64, follow bool) (io.ReadCloser, int64, error)
	// CollectAllGarbage removes every terminal allocation's directory and
	// local state, returning how many.
	CollectAllGarbage() (int, error)
	// CollectAllocGarbage removes one terminal allocation's directory and
	// local state; one still running is a drover.ErrConflict.
	CollectAllocGarbage(allocID string) error
}

// fsPath returns the path query parameter; "" means the allocation
// directory itself.
func fsPath(r *http.Request) string {
	if p := r.URL.Query().Get("path"); p != "" {
		return p
	}
	return "/"
}

// withLocalAlloc serves a client fs request once it is known that the
// allocation exists and runs on this agent's node. When another node runs
// it, the request is forwarded to that node's agent (see forward.go).
func withLocalAlloc(rpc RPC, client Client, region string, serve func(w http.ResponseWriter, r *http.Request, allocID string)) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		alloc, handled := forwardIfElsewhere(w, r, rpc, client, q, r.PathValue("alloc"))
		if handled {
			return
		}
		if alloc.NodeID == "" {
			writeError(w, drover.Errorf(drover.ErrNotFound, "allocation %s is not placed on a node yet: it has no files",
				drover.ShortID(alloc.ID)))
			return
		}
		serve(w, r, alloc.ID)
	})
}

// handleFSList answers GET /v1/client/fs/ls/<alloc>?path= with the
// directory's entries.
func handleFSList(rpc RPC, client Client, region string) http.Handler {
	return withLocalAlloc(rpc, client, region, func(w http.ResponseWriter, r *http.Request, allocID string) {
		files, err := client.AllocFileList(allocID, fsPath(r))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, files)
	})
}

// handleFSStat answers GET /v1/client/fs/stat/<alloc>?path=.
func handleFSStat(rpc RPC, client Client, region string) http.Handler {
	return withLocalAlloc(rpc, client, region, func(w http.ResponseWriter, r *http.Request, allocID string) {
		info, err := client.AllocFileStat(allocID, fsPath(r))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, info)
	})
}

// handleFSCat answers GET /v1/client/fs/cat/<alloc>?path= with the file's
// bytes.
func handleFSCat(rpc RPC, client Client, region string, log *slog.Logger) http.Handler {
	return withLocalAlloc(rpc, client, region, func(w http.ResponseWriter, r *http.Request, allocID string) {
		path, ok := requiredPath(w, r)
		if !ok {
			return
		}
		rc, err := client.AllocFileReadAt(allocID, path, 0, -1)
		if err != nil {
			writeError(w, err)
			return
		}
		defer rc.Close()
		copyRaw(w, rc, log, allocID, path)
	})
}

// handleFSReadAt answers GET /v1/client/fs/readat/<alloc>?path=&offset=&limit=
// with at most limit bytes of the file from offset; both are required, as
// in Nomad. A limit of 0 or less reads to the end of the file, as Nomad's
// client promises.
func handleFSReadAt(rpc RPC, client Client, region string, log *slog.Logger) http.Handler {
	return withLocalAlloc(rpc, client, region, func(w http.ResponseWriter, r *http.Request, allocID string) {
		path, ok := requiredPath(w, r)
		if !ok {
			return
		}
		offset, err := intParam(r, "offset", true)
		if err != nil {
			writeError(w, err)
			return
		}
		limit, err := limitParam(r)
		if err != nil {
			writeError(w, err)
			return
		}
		rc, err := client.AllocFileReadAt(allocID, path, offset, limit)
		if err != nil {
			writeError(w, err)
			return
		}
		defer rc.Close()
		copyRaw(w, rc, log, allocID, path)
	})
}

// handleFSStream answers GET /v1/client/fs/stream/<alloc>?path=&offset=&origin=&follow=&plain=
// with the file's bytes in the logs endpoint's frames (raw with plain=true),
// following the file as it grows unless follow=false.
func handleFSStream(rpc RPC, client Client, region string, log *slog.Logger) http.Handler {
	return withLocalAlloc(rpc, client, region, func(w http.ResponseWriter, r *http.Request, allocID string) {
		path, ok := requiredPath(w, r)
		if !ok {
			return
		}
		p, err := parseStreamParams(r)
		if err != nil {
			writeError(w, err)
			return
		}
		rc, start, err := client.AllocFileStream(r.Context(), allocID, path, p.origin, p.offset, p.follow)
		if err != nil {
			writeError(w, err)
			return
		}
		// The stream ends with the request's context; it is closed once
		// reading is over (see handleAllocLogs).
		defer rc.Close()
		if p.plain {
			err = streamPlain(w, &fileEventReader{r: rc, onEvent: func(string) error { return nil }})
		} else {
			err = streamFileFrames(w, rc, path, start)
		}
		if err != nil && r.Context().Err() == nil {
			log.Debug("file stream ended", "alloc", allocID, "path", path, "error", err)
		}
	})
}

// handleClientGC answers /v1/client/gc: every terminal allocation's
// directory on this agent's client is removed now.
func handleClientGC(client Client) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if client == nil {
			writeError(w, drover.Errorf(drover.ErrNotSupported, "this agent runs no client: nothing to collect"))
			return
		}
		if _, err := client.CollectAllGarbage(); err != nil {
			writeError(w, err)
			return
		}
		// {} rather than no body: Nomad's client decodes the answer.
		writeJSON(w, http.StatusOK, struct{}{})
	})
}

// handleClientAllocGC answers /v1/client/allocation/<alloc>/gc: the
// allocation's directory and local state are removed now, if it is
// terminal (409 otherwise).
func handleClientAllocGC(rpc RPC, client Client, region string) http.Handler {
	return withLocalAlloc(rpc, client, region, func(w http.ResponseWriter, r *http.Request, allocID string) {
		if err := client.CollectAllocGarbage(allocID); err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, struct{}{})
	})
}

// streamParams are the query parameters of /v1/client/fs/stream.
type streamParams struct {
	origin string
	offset int64
	follow bool
	plain  bool
}

func parseStreamParams(r *http.Request) (streamParams, error) {
	p := streamParams{origin: r.URL.Query().Get("origin"), follow: true}
	switch p.origin {
	case "":
		p.origin = "start"
	case "start", "end":
	default:
		return p, drover.Errorf(drover.ErrInvalid, "origin %q is unknown: expected start or end", p.origin)
	}
	var err error
	if p.offset, err = intParam(r, "offset", false); err != nil {
		return p, err
	}
	if r.URL.Query().Has("follow") {
		if p.follow, err = boolParam(r, "follow"); err != nil {
			return p, err
		}
	}
	if p.plain, err = boolParam(r, "plain"); err != nil {
		return p, err
	}
	return p, nil
}

// requiredPath returns the path parameter of a request that reads a file,
// answering 400 when it is missing.
func requiredPath(w http.ResponseWriter, r *http.Request) (string, bool) {
	p := r.URL.Query().Get("path")
	if p == "" {
		writeError(w, drover.Errorf(drover.ErrInvalid, "path is required: the file to read, relative to the allocation directory"))
		return "", false
	}
	return p, true
}

// intParam parses a non-negative integer query parameter; absent, it is 0
// unless required.
func intParam(r *http.Request, name string, required bool) (int64, error) {
	v := r.URL.Query()
	if !v.Has(name) {
		if required {
			return 0, drover.Errorf(drover.ErrInvalid, "%s is required", name)
		}
		return 0, nil
	}
	n, err := strconv.ParseInt(v.Get(name), 10, 64)
	if err != nil || n < 0 {
		return 0, drover.Errorf(drover.ErrInvalid, "%s %q is not a non-negative integer", name, v.Get(name))
	}
	return n, nil
}

// limitParam parses readat's required limit: a number of bytes, where 0
// or less means no limit (-1).
func limitParam(r *http.Request) (int64, error) {
	v := r.URL.Query()
	if !v.Has("limit") {
		return 0, drover.Errorf(drover.ErrInvalid, "limit is required (0 or less: to the end of the file)")
	}
	n, err := strconv.ParseInt(v.Get("limit"), 10, 64)
	if err != nil {
		return 0, drover.Errorf(drover.ErrInvalid, "limit %q is not an integer", v.Get("limit"))
	}
	if n <= 0 {
		return -1, nil
	}
	return n, nil
}

// copyRaw sends a file's bytes. The status is sent with the first bytes:
// a read error after that can only cut the answer short.
func copyRaw(w http.ResponseWriter, rc io.Reader, log *slog.Logger, allocID, path string) {
	w.Header().Set("Content-Type", "application/octet-stream")
	if _, err := io.Copy(w, rc); err != nil {
		log.Debug("file read ended early", "alloc", allocID, "path", path, "error", err)
	}
}

// fileEvent is how a file stream reports, as a Read error with no data, a
// change of the file other than growth: "file truncated" (reading goes on
// from its start) or "file deleted" (the stream ends).
type fileEvent interface {
	error
	FileEvent() string
}

// fileEventReader hands a stream's file events to onEvent and its data on.
type fileEventReader struct {
	r       io.Reader
	onEvent func(event string) error
}

func (e *fileEventReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	var ev fileEvent
	if errors.As(err, &ev) {
		return n, e.onEvent(ev.FileEvent())
	}
	return n, err
}

// streamFileFrames sends rc as the logs endpoint's frames, plus a frame
// with FileEvent and no data for each file event, as Nomad does. start is
// the file offset of rc's first byte.
func streamFileFrames(w http.ResponseWriter, rc io.Reader, file string, start int64) error {
	w.Header().Set("Content-Type", "application/json")
	s := newStreamWriter(w)
	enc := json.NewEncoder(w)
	off := start
	src := &fileEventReader{r: rc, onEvent: func(event string) error {
		if event == "file truncated" {
			off = 0
		}
		return s.send(func() error { return enc.Encode(StreamFrame{Offset: off, File: file, FileEvent: event}) })
	}}
	return pump(s, src, heartbeatFrame, func(b []byte) error {
		off += int64(len(b))
		return enc.Encode(StreamFrame{Offset: off, Data: b, File: file})
	})
}
