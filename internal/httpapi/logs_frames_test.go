package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// positionedLog is a log reader over several files, as the client's:
// it reads chunks in turn and tells the file and offset of the next byte.
type positionedLog struct {
	chunks []positionedChunk
	i      int
}

type positionedChunk struct {
	data string
	path string // the file the data comes from
	end  int64  // the offset in it after the data
}

func (p *positionedLog) Read(b []byte) (int, error) {
	if p.i >= len(p.chunks) {
		return 0, io.EOF
	}
	n := copy(b, p.chunks[p.i].data)
	p.i++
	return n, nil
}

func (p *positionedLog) Position() (string, int64) {
	if p.i == 0 {
		return "", 0
	}
	c := p.chunks[p.i-1]
	return c.path, c.end
}

func (p *positionedLog) Close() error { return nil }

// TestLogsFramesTellFileAndOffset: a log read across a rotated copy and
// the live file gives frames whose File and Offset are the file the data
// came from and the offset in it, as Nomad's frames do.
func TestLogsFramesTellFileAndOffset(t *testing.T) {
	c := &fakeClient{Node: "n1", Logs: func(context.Context, string, string, string, string, int64, bool) (io.ReadCloser, error) {
		return &positionedLog{chunks: []positionedChunk{
			{"old tail\n", "/var/drover/alloc/a1/alloc/logs/server.stdout.3", 109},
			{"new\n", "/var/drover/alloc/a1/alloc/logs/server.stdout", 4},
		}}, nil
	}}
	w := serve(t, New(Config{RPC: fullFake(), Client: c}), "GET", "/v1/client/fs/logs/a1?task=server&type=stdout&origin=end&offset=13", "")
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got []StreamFrame
	dec := json.NewDecoder(w.Body)
	for dec.More() {
		var f StreamFrame
		if err := dec.Decode(&f); err != nil {
			t.Fatal(err)
		}
		got = append(got, f)
	}
	want := []StreamFrame{
		{Offset: 109, Data: []byte("old tail\n"), File: "alloc/logs/server.stdout.3"},
		{Offset: 4, Data: []byte("new\n"), File: "alloc/logs/server.stdout"},
	}
	if len(got) != len(want) {
		t.Fatalf("frames %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Offset != want[i].Offset || string(got[i].Data) != string(want[i].Data) || got[i].File != want[i].File {
			t.Errorf("frame %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestFramedStreamsSendHeartbeats: an idle followed log or file stream
// sends heartbeat frames (no data, file or offset), which is how Nomad's
// client, which checks its cancel channel between frames, gets to stop.
func TestFramedStreamsSendHeartbeats(t *testing.T) {
	old := streamHeartbeat
	streamHeartbeat = 20 * time.Millisecond
	t.Cleanup(func() { streamHeartbeat = old })

	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "alloc", "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "alloc", "logs", "server.stdout"), []byte("hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &fakeClient{Node: "n1", AllocDir: dir, Logs: func(ctx context.Context, _, _, _, _ string, _ int64, _ bool) (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() {
			pw.Write([]byte("hi\n"))
			<-ctx.Done() // then nothing more until the requester leaves
			pw.Close()
		}()
		return pr, nil
	}}
	srv := httptest.NewServer(New(Config{RPC: fullFake(), Client: c}))
	defer srv.Close()

	for _, target := range []string{
		"/v1/client/fs/logs/a1?task=server&type=stdout&follow=true",
		"/v1/client/fs/stream/a1?path=alloc/logs/server.stdout",
	} {
		t.Run(target, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			req := httptest.NewRequest("GET", srv.URL+target, nil).WithContext(ctx)
			req.RequestURI = ""
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			lines := bufio.NewScanner(resp.Body)
			var frames []string
			for len(frames) < 3 && lines.Scan() {
				frames = append(frames, lines.Text())
			}
			if len(frames) < 3 {
				t.Fatalf("stream ended after %q: %v", frames, lines.Err())
			}
			var first StreamFrame
			if err := json.Unmarshal([]byte(frames[0]), &first); err != nil || string(first.Data) != "hi\n" {
				t.Fatalf("first frame %s, want the data", frames[0])
			}
			for _, f := range frames[1:] {
				if strings.TrimSpace(f) != "{}" {
					t.Errorf("frame %s of an idle stream, want a heartbeat {}", f)
				}
			}
		})
	}
}

// TestFSReadAtNoLimit: a readat limit of 0 or less reads to the end of the
// file, as Nomad's client documents it; one that is not a number is a 400.
func TestFSReadAtNoLimit(t *testing.T) {
	h, _ := fsFixture(t)
	for _, limit := range []string{"0", "-1"} {
		w := serve(t, h, "GET", "/v1/client/fs/readat/"+fsAlloc+"?path=alloc/logs/server.stdout&offset=5&limit="+limit, "")
		if w.Code != 200 || w.Body.String() != "one\nline two\n" {
			t.Errorf("readat limit=%s: %d %q, want the rest of the file", limit, w.Code, w.Body)
		}
	}
	w := serve(t, h, "GET", "/v1/client/fs/readat/"+fsAlloc+"?path=alloc/logs/server.stdout&offset=5&limit=many", "")
	if w.Code != 400 || !strings.Contains(errorOf(t, w), `limit "many" is not an integer`) {
		t.Errorf("readat limit=many: %d %s", w.Code, w.Body)
	}
}

// TestGCAnswersJSON: the gc endpoints answer {}, which Nomad's client
// decodes (it refuses an empty body).
func TestGCAnswersJSON(t *testing.T) {
	h, _ := fsFixture(t)
	for _, target := range []string{"/v1/client/gc", "/v1/client/allocation/" + fsAlloc + "/gc"} {
		w := serve(t, h, "PUT", target, "")
		if w.Code != 200 || strings.TrimSpace(w.Body.String()) != "{}" {
			t.Errorf("PUT %s: %d %q, want 200 {}", target, w.Code, w.Body)
		}
	}
}
