package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/testutil"
)

// fsFixture is an agent whose client runs testAlloc("n1") in a directory
// holding a log, a secret and symlinks out.
func fsFixture(t *testing.T) (http.Handler, string) {
	t.Helper()
	dir := t.TempDir()
	for p, data := range map[string]string{
		"alloc/logs/server.stdout": "line one\nline two\n",
		"server/secrets/token":     "s3cret",
		"server/local/index.html":  "<html><body>hi</body></html>",
	} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for p, target := range map[string]string{"server/local/passwd": "/etc/passwd", "server/local/etc": "/etc"} {
		if err := os.Symlink(target, filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	f := &testutil.FakeRPC{AllocGetAlloc: func(a *drover.AllocSpecificRequest, r *drover.SingleAllocResponse) error {
		if a.AllocID == testAlloc("n1").ID {
			r.Alloc = testAlloc("n1")
		}
		return nil
	}}
	return New(Config{RPC: f, Client: &fakeClient{Node: "n1", AllocDir: dir}}), dir
}

const fsAlloc = "a1b2c3d4-0000-0000-0000-000000000001"

func TestFSList(t *testing.T) {
	h, _ := fsFixture(t)
	w := serve(t, h, "GET", "/v1/client/fs/ls/"+fsAlloc+"?path=/server/local", "")
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var raw []map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range raw {
		for _, k := range []string{"Name", "IsDir", "Size", "FileMode", "ModTime"} {
			if _, ok := e[k]; !ok {
				t.Errorf("entry %v lacks %s", e, k)
			}
		}
		got = append(got, e["Name"].(string)+" "+e["FileMode"].(string)[:1])
	}
	if strings.Join(got, ",") != "etc L,index.html -,passwd L" {
		t.Errorf("listing %v", got)
	}
	// No path: the allocation directory itself.
	w = serve(t, h, "GET", "/v1/client/fs/ls/"+fsAlloc, "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"Name":"alloc"`) || !strings.Contains(w.Body.String(), `"Name":"server"`) {
		t.Errorf("root listing %d: %s", w.Code, w.Body)
	}
}

func TestFSStatAndCat(t *testing.T) {
	h, _ := fsFixture(t)
	w := serve(t, h, "GET", "/v1/client/fs/stat/"+fsAlloc+"?path=server/local/index.html", "")
	var fi drover.AllocFileInfo
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &fi) != nil {
		t.Fatalf("stat %d: %s", w.Code, w.Body)
	}
	if fi.Name != "index.html" || fi.Size != 28 || fi.IsDir || !strings.HasPrefix(fi.ContentType, "text/html") {
		t.Errorf("stat %+v", fi)
	}
	w = serve(t, h, "GET", "/v1/client/fs/stat/"+fsAlloc+"?path=server/local/passwd", "")
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &fi) != nil || fi.FileMode[0] != 'L' {
		t.Errorf("stat of a link out is the link: %d %s", w.Code, w.Body)
	}
	w = serve(t, h, "GET", "/v1/client/fs/cat/"+fsAlloc+"?path=alloc/logs/server.stdout", "")
	if w.Code != 200 || w.Body.String() != "line one\nline two\n" {
		t.Errorf("cat %d %q", w.Code, w.Body)
	}
	w = serve(t, h, "GET", "/v1/client/fs/readat/"+fsAlloc+"?path=alloc/logs/server.stdout&offset=5&limit=3", "")
	if w.Code != 200 || w.Body.String() != "one" {
		t.Errorf("readat %d %q", w.Code, w.Body)
	}
}

func TestFSRefusals(t *testing.T) {
	h, _ := fsFixture(t)
	for _, tt := range []struct {
		target string
		want   int
		msg    string
	}{
		{"cat/" + fsAlloc + "?path=../../etc/passwd", 400, `path "../../etc/passwd" leads outside the allocation directory`},
		{"cat/" + fsAlloc + "?path=/etc/passwd", 404, `path "/etc/passwd"`},
		{"cat/" + fsAlloc + "?path=server/local/passwd", 400, "symlink to /etc/passwd, outside the allocation directory"},
		{"cat/" + fsAlloc + "?path=server/local/etc/shadow", 400, "symlink to /etc, outside"},
		{"ls/" + fsAlloc + "?path=server/local/etc", 400, "symlink to /etc"},
		{"ls/" + fsAlloc + "?path=..", 400, "leads outside"},
		{"stat/" + fsAlloc + "?path=server/../..", 400, "leads outside"},
		{"stream/" + fsAlloc + "?path=server/local/passwd", 400, "outside"},
		{"readat/" + fsAlloc + "?path=server/local/passwd&offset=0&limit=1", 400, "outside"},
		{"cat/" + fsAlloc + "?path=server/secrets/token", 403, "secrets directory"},
		{"stream/" + fsAlloc + "?path=server/secrets/token", 403, "secrets directory"},
		{"cat/" + fsAlloc, 400, "path is required"},
		{"cat/" + fsAlloc + "?path=server/local", 400, "is a directory"},
		{"readat/" + fsAlloc + "?path=alloc/logs/server.stdout&offset=1", 400, "limit is required"},
		{"readat/" + fsAlloc + "?path=alloc/logs/server.stdout&offset=-1&limit=2", 400, `offset "-1"`},
		{"stream/" + fsAlloc + "?path=alloc/logs/server.stdout&origin=middle", 400, `origin "middle"`},
		{"stream/" + fsAlloc + "?path=alloc/logs/server.stdout&follow=maybe", 400, `follow "maybe"`},
		{"ls/nope", 404, "alloc not found"},
	} {
		t.Run(tt.target, func(t *testing.T) {
			w := serve(t, h, "GET", "/v1/client/fs/"+tt.target, "")
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
			if msg := errorOf(t, w); !strings.Contains(msg, tt.msg) {
				t.Errorf("message %q, want it to contain %q", msg, tt.msg)
			}
		})
	}
	// Secrets are listed and stat'ed, only not read.
	w := serve(t, h, "GET", "/v1/client/fs/ls/"+fsAlloc+"?path=server/secrets", "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"Name":"token"`) {
		t.Errorf("secrets listing %d: %s", w.Code, w.Body)
	}
}

func TestFSStreamFrames(t *testing.T) {
	h, _ := fsFixture(t)
	w := serve(t, h, "GET", "/v1/client/fs/stream/"+fsAlloc+"?path=alloc/logs/server.stdout&origin=end&offset=9&follow=false", "")
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	dec := json.NewDecoder(w.Body)
	var data strings.Builder
	var last StreamFrame
	for dec.More() {
		if err := dec.Decode(&last); err != nil {
			t.Fatal(err)
		}
		data.Write(last.Data)
	}
	if data.String() != "line two\n" || last.Offset != 18 || last.File != "alloc/logs/server.stdout" {
		t.Errorf("data %q, last frame %+v", data.String(), last)
	}
	w = serve(t, h, "GET", "/v1/client/fs/stream/"+fsAlloc+"?path=alloc/logs/server.stdout&offset=5&follow=false&plain=true", "")
	if w.Code != 200 || w.Body.String() != "one\nline two\n" {
		t.Errorf("plain %d %q", w.Code, w.Body)
	}
}

func TestFSElsewhere(t *testing.T) {
	f := &testutil.FakeRPC{AllocGetAlloc: func(a *drover.AllocSpecificRequest, r *drover.SingleAllocResponse) error {
		r.Alloc = testAlloc("n2")
		return nil
	}}
	// Forwarded here by another agent, but this node does not run it
	// either: refused, never forwarded again.
	for _, c := range []Client{&fakeClient{Node: "n1"}, nil} {
		req := httptest.NewRequest("GET", "/v1/client/fs/ls/"+fsAlloc, nil)
		req.Header.Set(forwardedHeader, "1")
		w := httptest.NewRecorder()
		New(Config{RPC: f, Client: c}).ServeHTTP(w, req)
		if w.Code != 501 || !strings.Contains(errorOf(t, w), "runs on node node-1 (n2), not on this agent's node") {
			t.Errorf("client %v, already forwarded: %d %s", c, w.Code, w.Body)
		}
	}
	// Not forwarded yet: asked of the node's agent.
	remote := New(Config{RPC: controlRPC("n2", nil), Client: &fakeClient{Node: "n2", AllocDir: t.TempDir()}})
	srv := httptest.NewServer(remote)
	defer srv.Close()
	local := New(Config{RPC: controlRPC("n2", map[string]string{"n2": strings.TrimPrefix(srv.URL, "http://")})})
	if w := serve(t, local, "GET", "/v1/client/fs/ls/"+testAlloc("").ID, ""); w.Code != 200 || !strings.HasPrefix(w.Body.String(), "[") {
		t.Errorf("forwarded ls: %d %s", w.Code, w.Body)
	}
	unplaced := &testutil.FakeRPC{AllocGetAlloc: func(a *drover.AllocSpecificRequest, r *drover.SingleAllocResponse) error {
		r.Alloc = testAlloc("")
		return nil
	}}
	w := serve(t, New(Config{RPC: unplaced, Client: &fakeClient{Node: "n1"}}), "GET", "/v1/client/fs/ls/"+fsAlloc, "")
	if w.Code != 404 || !strings.Contains(errorOf(t, w), "not placed on a node yet") {
		t.Errorf("unplaced: %d %s", w.Code, w.Body)
	}
}

func TestClientGC(t *testing.T) {
	calls := 0
	c := &fakeClient{Node: "n1", GC: func() (int, error) { calls++; return 3, nil }}
	for _, m := range []string{"GET", "PUT"} {
		w := serve(t, New(Config{RPC: fullFake(), Client: c}), m, "/v1/client/gc", "")
		if w.Code != 200 {
			t.Errorf("%s: %d %s", m, w.Code, w.Body)
		}
	}
	if calls != 2 {
		t.Errorf("GC called %d times", calls)
	}
	c.GC = func() (int, error) { return 0, errors.New("disk on fire") }
	w := serve(t, New(Config{RPC: fullFake(), Client: c}), "PUT", "/v1/client/gc", "")
	if w.Code != 500 || !strings.Contains(errorOf(t, w), "disk on fire") {
		t.Errorf("failing gc: %d %s", w.Code, w.Body)
	}
	w = serve(t, New(Config{RPC: fullFake()}), "PUT", "/v1/client/gc", "")
	if w.Code != 501 {
		t.Errorf("no client: %d %s", w.Code, w.Body)
	}
}

// TestFSStreamFollow follows a file over a real connection: appended data
// arrives, a truncation and a deletion arrive as FileEvent frames, and the
// deletion ends the stream.
func TestFSStreamFollow(t *testing.T) {
	h, dir := fsFixture(t)
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v1/client/fs/stream/" + fsAlloc + "?path=alloc/logs/server.stdout&origin=end")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	frames := make(chan StreamFrame)
	go func() {
		defer close(frames)
		dec := json.NewDecoder(resp.Body)
		for {
			var f StreamFrame
			if dec.Decode(&f) != nil {
				return
			}
			frames <- f
		}
	}()
	next := func(what string) StreamFrame {
		t.Helper()
		select {
		case f, ok := <-frames:
			if !ok {
				t.Fatalf("stream ended waiting for %s", what)
			}
			return f
		case <-time.After(10 * time.Second):
			t.Fatalf("no frame for %s", what)
		}
		return StreamFrame{}
	}
	log := filepath.Join(dir, "alloc/logs/server.stdout")
	f, err := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("line three\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got := next("appended data"); string(got.Data) != "line three\n" || got.Offset != 29 {
		t.Fatalf("frame %+v", got)
	}
	if err := os.WriteFile(log, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := next("truncation"); got.FileEvent != "file truncated" || len(got.Data) != 0 || got.Offset != 0 {
		t.Fatalf("frame %+v", got)
	}
	if got := next("data after truncation"); string(got.Data) != "x\n" || got.Offset != 2 {
		t.Fatalf("frame %+v", got)
	}
	if err := os.Remove(log); err != nil {
		t.Fatal(err)
	}
	if got := next("deletion"); got.FileEvent != "file deleted" {
		t.Fatalf("frame %+v", got)
	}
	select {
	case f, ok := <-frames:
		if ok {
			t.Fatalf("frame %+v after the deletion; want the stream to end", f)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stream did not end after the deletion")
	}
}

func TestClientAllocGC(t *testing.T) {
	var got []string
	c := &fakeClient{Node: "n1", AllocGC: func(id string) error {
		got = append(got, id)
		if len(got) == 3 {
			return drover.Errorf(drover.ErrConflict, "allocation %s is not terminal", id)
		}
		return nil
	}}
	f := &testutil.FakeRPC{AllocGetAlloc: func(a *drover.AllocSpecificRequest, r *drover.SingleAllocResponse) error {
		if a.AllocID == fsAlloc {
			r.Alloc = testAlloc("n1")
		}
		return nil
	}}
	h := New(Config{RPC: f, Client: c})
	for _, m := range []string{"GET", "PUT"} {
		if w := serve(t, h, m, "/v1/client/allocation/"+fsAlloc+"/gc", ""); w.Code != 200 {
			t.Errorf("%s: %d %s", m, w.Code, w.Body)
		}
	}
	if w := serve(t, h, "PUT", "/v1/client/allocation/"+fsAlloc+"/gc", ""); w.Code != 409 || !strings.Contains(errorOf(t, w), "not terminal") {
		t.Errorf("running: %d %s", w.Code, w.Body)
	}
	if w := serve(t, h, "PUT", "/v1/client/allocation/nope/gc", ""); w.Code != 404 {
		t.Errorf("unknown: %d %s", w.Code, w.Body)
	}
	if len(got) != 3 || got[0] != fsAlloc {
		t.Errorf("collected %v", got)
	}
}
