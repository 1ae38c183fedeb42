package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// AllocFS reads files of allocations from the agent on their node.
type AllocFS struct{ c *Client }

// AllocFS returns the allocation file endpoints.
func (c *Client) AllocFS() *AllocFS { return &AllocFS{c: c} }

// streamFrame is one frame of the agent's framed log stream.
type streamFrame struct {
	Offset    int64
	Data      []byte
	File      string
	FileEvent string
}

// Logs streams a task's stdout or stderr ("stdout" | "stderr") from origin
// ("start" | "end", "" = start) moved by offset bytes. task may be "" when
// the allocation has one task. With follow the reader keeps returning data
// as the task writes it, until ctx ends or the reader is closed. The reader
// yields the log's bytes; the caller closes it.
func (a *AllocFS) Logs(ctx context.Context, allocID, task, stream string, follow bool, origin string, offset int64) (io.ReadCloser, error) {
	params := url.Values{}
	params.Set("type", stream)
	if task != "" {
		params.Set("task", task)
	}
	if origin != "" {
		params.Set("origin", origin)
	}
	if offset != 0 {
		params.Set("offset", strconv.FormatInt(offset, 10))
	}
	if follow {
		params.Set("follow", "true")
	}
	resp, err := a.c.do(ctx, request{method: http.MethodGet, path: "/v1/client/fs/logs/" + pathEscape(allocID), params: params})
	if err != nil {
		return nil, err
	}
	return &frameReader{body: resp.Body, dec: json.NewDecoder(resp.Body)}, nil
}

// frameReader turns a stream of JSON frames into the bytes they carry.
type frameReader struct {
	body io.ReadCloser
	dec  *json.Decoder
	buf  []byte // undelivered data of the current frame
}

// Read returns the data of the frames in order, skipping empty frames.
func (f *frameReader) Read(p []byte) (int, error) {
	for len(f.buf) == 0 {
		var fr streamFrame
		if err := f.dec.Decode(&fr); err != nil {
			if errors.Is(err, io.EOF) {
				return 0, io.EOF
			}
			return 0, fmt.Errorf("api: reading log stream: %w", err)
		}
		f.buf = fr.Data // empty for heartbeat and file-event frames
	}
	n := copy(p, f.buf)
	f.buf = f.buf[n:]
	return n, nil
}

func (f *frameReader) Close() error { return f.body.Close() }
