package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/testutil"
)

// logCall records one AllocLogs call.
type logCall struct {
	allocID, task, stream, origin string
	offset                        int64
	follow                        bool
}

// staticLogs is a client whose logs are text, recording the call.
func staticLogs(text string, got *logCall) *fakeClient {
	return &fakeClient{Node: "n1", Logs: func(ctx context.Context, allocID, task, stream, origin string, offset int64, follow bool) (io.ReadCloser, error) {
		*got = logCall{allocID, task, stream, origin, offset, follow}
		return io.NopCloser(strings.NewReader(text)), nil
	}}
}

func TestLogsFramed(t *testing.T) {
	var got logCall
	h := New(Config{RPC: fullFake(), Client: staticLogs("hello\nworld\n", &got)})
	w := serve(t, h, "GET", "/v1/client/fs/logs/a1?task=server&type=stderr&origin=end&offset=10&follow=false", "")
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	// The client gets the allocation's full ID, whatever prefix was asked.
	if got != (logCall{testAlloc("n1").ID, "server", "stderr", "end", 10, false}) {
		t.Errorf("AllocLogs called with %+v", got)
	}
	dec := json.NewDecoder(w.Body)
	var data strings.Builder
	var last map[string]any
	for dec.More() {
		var frame map[string]any
		if err := dec.Decode(&frame); err != nil {
			t.Fatalf("frame: %v", err)
		}
		for _, k := range []string{"Offset", "Data", "File", "FileEvent"} {
			if _, ok := frame[k]; !ok {
				t.Errorf("frame %v lacks %s", frame, k)
			}
		}
		var sf StreamFrame
		b, _ := json.Marshal(frame)
		if err := json.Unmarshal(b, &sf); err != nil {
			t.Fatal(err)
		}
		data.Write(sf.Data)
		last = frame
	}
	if data.String() != "hello\nworld\n" {
		t.Errorf("data %q", data.String())
	}
	if last["File"] != "alloc/logs/server.stderr" || last["Offset"] != float64(12) {
		t.Errorf("last frame %v", last)
	}
}

func TestLogsPlain(t *testing.T) {
	var got logCall
	h := New(Config{RPC: fullFake(), Client: staticLogs("raw bytes\n", &got)})
	w := serve(t, h, "GET", "/v1/client/fs/logs/a1?task=server&type=stdout&plain=true", "")
	if w.Code != 200 || w.Body.String() != "raw bytes\n" {
		t.Fatalf("got %d %q", w.Code, w.Body)
	}
	if !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Errorf("Content-Type %q", w.Header().Get("Content-Type"))
	}
	if got.origin != "start" || got.offset != 0 || got.follow {
		t.Errorf("defaults: %+v", got)
	}
}

func TestLogsTaskResolution(t *testing.T) {
	twoTasks := testAlloc("n1")
	twoTasks.Job.TaskGroups[0].Tasks = append(twoTasks.Job.TaskGroups[0].Tasks, &drover.Task{Name: "sidecar"})
	tests := []struct {
		name     string
		alloc    *drover.Allocation
		client   bool
		query    string
		want     int
		wantTask string
		msg      string
		// forwarded marks the request as forwarded by another agent: it
		// is answered here or refused, never forwarded again.
		forwarded bool
	}{
		{"only task", testAlloc("n1"), true, "type=stdout", 200, "server", "", false},
		{"named task", testAlloc("n1"), true, "type=stdout&task=x", 200, "x", "", false},
		{"two tasks", twoTasks, true, "type=stdout", 400, "", "task is required: allocation a1b2c3d4 has tasks server, sidecar", false},
		{"unknown alloc", nil, true, "type=stdout", 404, "", "alloc not found", false},
		{"other node, already forwarded", testAlloc("n2"), true, "type=stdout", 501, "", "runs on node node-1 (n2), not on this agent's node", true},
		{"no client, already forwarded", testAlloc("n1"), false, "type=stdout&task=server", 501, "", "runs on node node-1 (n1), not on this agent's node", true},
		{"no client, not placed", testAlloc(""), false, "type=stdout&task=server", 409, "", "not placed on a node yet", false},
		{"lookup fails", nil, true, "type=stdout&task=x", 500, "", "state read failed", false},
		{"no type", testAlloc("n1"), true, "", 400, "", "type is required", false},
		{"bad type", testAlloc("n1"), true, "type=stdin", 400, "", `type "stdin" is unknown`, false},
		{"bad origin", testAlloc("n1"), true, "type=stdout&origin=middle", 400, "", `origin "middle"`, false},
		{"bad offset", testAlloc("n1"), true, "type=stdout&offset=-3", 400, "", "offset", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &testutil.FakeRPC{AllocGetAlloc: func(a *drover.AllocSpecificRequest, r *drover.SingleAllocResponse) error {
				if tt.name == "lookup fails" {
					return errors.New("state read failed")
				}
				r.Alloc = tt.alloc
				return nil
			}}
			var got logCall
			cfg := Config{RPC: f}
			if tt.client {
				cfg.Client = staticLogs("x", &got)
			}
			req := httptest.NewRequest("GET", "/v1/client/fs/logs/a1?"+tt.query, nil)
			if tt.forwarded {
				req.Header.Set(forwardedHeader, "1")
			}
			w := httptest.NewRecorder()
			New(cfg).ServeHTTP(w, req)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
			if tt.want != 200 {
				if msg := errorOf(t, w); !strings.Contains(msg, tt.msg) {
					t.Errorf("message %q, want it to contain %q", msg, tt.msg)
				}
				return
			}
			if got.task != tt.wantTask {
				t.Errorf("task %q, want %q", got.task, tt.wantTask)
			}
		})
	}
}

func TestLogsClientErrorKind(t *testing.T) {
	c := &fakeClient{Node: "n1", Logs: func(context.Context, string, string, string, string, int64, bool) (io.ReadCloser, error) {
		return nil, drover.Errorf(drover.ErrNotFound, "task %q not found in allocation", "nope")
	}}
	w := serve(t, New(Config{RPC: fullFake(), Client: c}), "GET", "/v1/client/fs/logs/a1?task=nope&type=stdout", "")
	if w.Code != 404 || errorOf(t, w) != `task "nope" not found in allocation` {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
}

// followReader is a followed log: it returns what the test writes and
// blocks until closed.
type followReader struct {
	*io.PipeReader
	closed chan struct{}
}

func (f *followReader) Close() error {
	close(f.closed)
	return f.PipeReader.Close()
}

func TestLogsFollowStreamsAndEndsOnDisconnect(t *testing.T) {
	for _, plain := range []bool{false, true} {
		pr, pw := io.Pipe()
		rc := &followReader{PipeReader: pr, closed: make(chan struct{})}
		ctxs := make(chan context.Context, 1)
		c := &fakeClient{Node: "n1", Logs: func(ctx context.Context, _, _, _, _ string, _ int64, follow bool) (io.ReadCloser, error) {
			if !follow {
				t.Error("follow not passed")
			}
			ctxs <- ctx
			// As the client's reader does, a follow ends with ctx.
			context.AfterFunc(ctx, func() { pw.Close() })
			return rc, nil
		}}
		srv := httptest.NewServer(New(Config{RPC: fullFake(), Client: c}))
		ctx, cancel := context.WithCancel(context.Background())
		target := srv.URL + "/v1/client/fs/logs/a1?task=server&type=stdout&follow=true"
		if plain {
			target += "&plain=true"
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", target, nil)
		type result struct {
			resp  *http.Response
			first string
			err   error
		}
		done := make(chan result, 1)
		go func() {
			// Do returns only once the headers are flushed, before any data.
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				done <- result{err: err}
				return
			}
			go pw.Write([]byte("first line\n"))
			buf := make([]byte, 256)
			n, err := resp.Body.Read(buf)
			done <- result{resp, string(buf[:n]), err}
		}()
		var res result
		select {
		case res = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("plain=%v: headers or first data not flushed", plain)
		}
		if res.err != nil {
			t.Fatal(res.err)
		}
		resp := res.resp
		if want := map[bool]string{false: `"Data":"Zmlyc3QgbGluZQo="`, true: "first line\n"}[plain]; !strings.Contains(res.first, want) {
			t.Fatalf("plain=%v: first read %q, want it to contain %q", plain, res.first, want)
		}
		cancel()
		resp.Body.Close()
		select {
		case <-rc.closed:
		case <-time.After(10 * time.Second):
			t.Fatalf("plain=%v: log reader not closed after the client disconnected", plain)
		}
		select {
		case <-(<-ctxs).Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("plain=%v: AllocLogs context not cancelled after disconnect", plain)
		}
		srv.Close()
	}
}

// TestLogsForwardedToNode: an agent whose client does not run the
// allocation (here a server-only one) streams the logs from the agent of
// the node that does, passing the token on.
func TestLogsForwardedToNode(t *testing.T) {
	var got logCall
	var token string
	remote := New(Config{RPC: controlRPC("n2", nil), Client: &fakeClient{Node: "n2",
		Logs: func(ctx context.Context, allocID, task, stream, origin string, offset int64, follow bool) (io.ReadCloser, error) {
			got = logCall{allocID, task, stream, origin, offset, follow}
			return io.NopCloser(strings.NewReader("from n2\n")), nil
		}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token = r.Header.Get("X-Nomad-Token")
		remote.ServeHTTP(w, r)
	}))
	defer srv.Close()
	local := New(Config{RPC: controlRPC("n2", map[string]string{"n2": strings.TrimPrefix(srv.URL, "http://")})})
	id := testAlloc("").ID
	req := httptest.NewRequest("GET", "/v1/client/fs/logs/"+id+"?task=server&type=stdout&plain=true", nil)
	req.Header.Set("X-Nomad-Token", "tok")
	w := httptest.NewRecorder()
	local.ServeHTTP(w, req)
	if w.Code != 200 || w.Body.String() != "from n2\n" {
		t.Fatalf("forwarded logs: %d %q", w.Code, w.Body)
	}
	if got.allocID != id || got.task != "server" || token != "tok" {
		t.Errorf("remote got %+v with token %q", got, token)
	}
	// The node is gone: 503, saying so.
	lost := New(Config{RPC: controlRPC("n2", nil)})
	if w := serve(t, lost, "GET", "/v1/client/fs/logs/"+id+"?task=server&type=stdout", ""); w.Code != 503 {
		t.Errorf("node gone: %d %s", w.Code, w.Body)
	}
}
