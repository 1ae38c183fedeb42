package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/drover-sh/drover"
)

// The allocation file endpoints are served by the agent of the node that
// runs the allocation; another agent answers with an error whose kind is
// drover.ErrNotSupported, naming the node.

// List lists the directory at path ("" or "/" = the allocation directory)
// of an allocation. Symlinks are listed as links.
func (a *AllocFS) List(ctx context.Context, allocID, path string) ([]*drover.AllocFileInfo, error) {
	var out []*drover.AllocFileInfo
	if err := a.getJSON(ctx, "ls", allocID, path, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Stat describes the file at path; a symlink is described as itself.
func (a *AllocFS) Stat(ctx context.Context, allocID, path string) (*drover.AllocFileInfo, error) {
	var out drover.AllocFileInfo
	if err := a.getJSON(ctx, "stat", allocID, path, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Cat returns a reader of the whole file at path; the caller closes it.
func (a *AllocFS) Cat(ctx context.Context, allocID, path string) (io.ReadCloser, error) {
	resp, err := a.c.do(ctx, request{method: http.MethodGet, path: "/v1/client/fs/cat/" + pathEscape(allocID),
		params: url.Values{"path": {path}}})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// ReadAt returns a reader of at most limit bytes of the file at path from
// offset; the caller closes it.
func (a *AllocFS) ReadAt(ctx context.Context, allocID, path string, offset, limit int64) (io.ReadCloser, error) {
	params := url.Values{"path": {path}, "offset": {strconv.FormatInt(offset, 10)}, "limit": {strconv.FormatInt(limit, 10)}}
	resp, err := a.c.do(ctx, request{method: http.MethodGet, path: "/v1/client/fs/readat/" + pathEscape(allocID), params: params})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// Stream returns a reader of the file at path from offset counted from
// origin ("start" | "end", "" = start). With follow it keeps returning what
// is appended until ctx ends or the reader is closed. The caller closes it.
func (a *AllocFS) Stream(ctx context.Context, allocID, path, origin string, offset int64, follow bool) (io.ReadCloser, error) {
	params := url.Values{"path": {path}, "follow": {strconv.FormatBool(follow)}}
	if origin != "" {
		params.Set("origin", origin)
	}
	if offset != 0 {
		params.Set("offset", strconv.FormatInt(offset, 10))
	}
	resp, err := a.c.do(ctx, request{method: http.MethodGet, path: "/v1/client/fs/stream/" + pathEscape(allocID), params: params})
	if err != nil {
		return nil, err
	}
	return &frameReader{body: resp.Body, dec: json.NewDecoder(resp.Body)}, nil
}

// GarbageCollect asks the agent's client to remove the directories and
// local state of all its terminal allocations now (PUT /v1/client/gc).
func (a *AllocFS) GarbageCollect(ctx context.Context) error {
	resp, err := a.c.do(ctx, request{method: http.MethodPut, path: "/v1/client/gc"})
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// GarbageCollectAlloc asks the agent that runs the allocation to remove
// its directory and local state now (PUT /v1/client/allocation/<id>/gc).
// An allocation still running is a drover.ErrConflict.
func (a *AllocFS) GarbageCollectAlloc(ctx context.Context, allocID string) error {
	resp, err := a.c.do(ctx, request{method: http.MethodPut, path: "/v1/client/allocation/" + pathEscape(allocID) + "/gc"})
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func (a *AllocFS) getJSON(ctx context.Context, op, allocID, path string, out any) error {
	params := url.Values{}
	if path != "" {
		params.Set("path", path)
	}
	resp, err := a.c.do(ctx, request{method: http.MethodGet, path: "/v1/client/fs/" + op + "/" + pathEscape(allocID), params: params})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decodeJSON(resp, out)
}
