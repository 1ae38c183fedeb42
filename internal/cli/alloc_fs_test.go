package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	drover "github.com/drover-sh/drover"
)

// fsEntries is the canned allocation directory of the alloc fs tests.
var fsEntries = map[string]*drover.AllocFileInfo{
	"/":                     {Name: "/", IsDir: true, Size: 4096, FileMode: "drwxrwxrwx", ModTime: t0},
	"alloc":                 {Name: "alloc", IsDir: true, Size: 4096, FileMode: "drwxrwxrwx", ModTime: t0},
	"hello":                 {Name: "hello", IsDir: true, Size: 4096, FileMode: "drwxrwxrwx", ModTime: t0},
	"alloc/logs/big.bin":    {Name: "big.bin", Size: 5 << 20, FileMode: "-rw-r--r--", ModTime: t0},
	"alloc/logs/hello.out":  {Name: "hello.out", Size: 24, FileMode: "-rw-r--r--", ModTime: t0, ContentType: "text/plain; charset=utf-8"},
	"hello/local/passwd":    {Name: "passwd", Size: 11, FileMode: "Lrwxrwxrwx", ModTime: t0},
	"hello/local/data-link": {Name: "data-link", Size: 13, FileMode: "Lrwxrwxrwx", ModTime: t0},
}

const fsContent = "one\ntwo\nthree\nfour\nfive\n"

// fsServer answers the allocation file endpoints of allocID from
// fsEntries, refusing as the agent does a ../ path and the link out.
func fsServer(f *fakeAgent, allocID string) {
	refuse := func(w http.ResponseWriter, status int, msg string) {
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"Error": msg})
	}
	lookup := func(w http.ResponseWriter, r *http.Request) (string, bool) {
		p := strings.TrimPrefix(r.URL.Query().Get("path"), "/")
		switch {
		case p == "":
			p = "/"
		case strings.HasPrefix(p, ".."):
			refuse(w, 400, `path "`+p+`" leads outside the allocation directory`)
			return "", false
		case fsEntries[p] == nil:
			refuse(w, 404, `path "`+p+`" does not exist`)
			return "", false
		}
		return p, true
	}
	f.handle("GET /v1/client/fs/stat/"+allocID, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := lookup(w, r); ok {
			writeFakeJSON(w, fsEntries[p])
		}
	}))
	f.handle("GET /v1/client/fs/ls/"+allocID, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := lookup(w, r)
		switch {
		case !ok:
		case p == "/":
			writeFakeJSON(w, []*drover.AllocFileInfo{fsEntries["alloc"], fsEntries["hello"]})
		case p == "hello/local/data-link":
			writeFakeJSON(w, []*drover.AllocFileInfo{fsEntries["alloc/logs/big.bin"]})
		case p == "hello/local/passwd":
			refuse(w, 400, `path "hello/local/passwd": hello/local/passwd is a symlink to /etc/passwd, outside the allocation directory`)
		default:
			refuse(w, 400, `path "`+p+`" is a file, not a directory: read it with cat`)
		}
	}))
	f.handle("GET /v1/client/fs/cat/"+allocID, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := lookup(w, r)
		switch {
		case !ok:
		case p == "hello/local/passwd":
			refuse(w, 400, `path "hello/local/passwd": hello/local/passwd is a symlink to /etc/passwd, outside the allocation directory`)
		default:
			_, _ = w.Write([]byte(fsContent))
		}
	}))
	f.handle("GET /v1/client/fs/stream/"+allocID, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := lookup(w, r); !ok {
			return
		}
		data := fsContent
		if r.URL.Query().Get("origin") == "end" {
			n := len(data)
			if off, err := parseInt(r.URL.Query().Get("offset")); err == nil && off < n {
				n = off
			}
			data = data[len(data)-n:]
		}
		enc := json.NewEncoder(w)
		half := len(data) / 2
		_ = enc.Encode(map[string]any{"Offset": half, "Data": []byte(data[:half]), "File": "x"})
		_ = enc.Encode(map[string]any{"Offset": len(data), "Data": []byte(data[half:]), "File": "x"})
	}))
}

func parseInt(s string) (int, error) { return strconv.Atoi(s) }

func TestAllocFS(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		code      int
		endpoint  string            // the request that must have been made
		wantQuery map[string]string // with these query parameters
	}{
		{"alloc_fs_root", []string{"cb31"}, 0, "ls", map[string]string{"path": "/"}},
		{"alloc_fs_root_exact", []string{"-H", "cb31", "/"}, 0, "ls", nil},
		{"alloc_fs_json", []string{"-json", "cb31"}, 0, "ls", nil},
		{"alloc_fs_stat", []string{"-stat", "cb31", "alloc/logs/big.bin"}, 0, "stat", map[string]string{"path": "alloc/logs/big.bin"}},
		{"alloc_fs_stat_json", []string{"-stat", "-json", "cb31", "alloc/logs/hello.out"}, 0, "stat", nil},
		{"alloc_fs_cat", []string{"cb31", "alloc/logs/hello.out"}, 0, "cat", map[string]string{"path": "alloc/logs/hello.out"}},
		{"alloc_fs_tail", []string{"-tail", "-n", "2", "cb31", "alloc/logs/hello.out"}, 0, "stream", map[string]string{"origin": "end", "offset": "768", "follow": "false"}},
		{"alloc_fs_tail_bytes", []string{"-c", "5", "cb31", "alloc/logs/hello.out"}, 0, "stream", map[string]string{"origin": "end", "offset": "5"}},
		{"alloc_fs_follow", []string{"-f", "cb31", "alloc/logs/hello.out"}, 0, "stream", map[string]string{"follow": "true"}},
		{"alloc_fs_link_dir", []string{"cb31", "hello/local/data-link"}, 0, "ls", nil},
		{"alloc_fs_link_out", []string{"cb31", "hello/local/passwd"}, 1, "cat", nil},
		{"alloc_fs_escape", []string{"cb31", "../../etc/passwd"}, 1, "stat", nil},
		{"alloc_fs_missing", []string{"cb31", "nope"}, 1, "stat", nil},
		{"alloc_fs_n_and_c", []string{"-n", "1", "-c", "1", "cb31", "x"}, 2, "", nil},
		{"alloc_fs_no_args", nil, 2, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAgent(t)
			cluster(f)
			fsServer(f, allocID)
			args := append([]string{"alloc", "fs"}, tt.args...)
			r := runCLI(context.Background(), t, f, "", args...)
			if r.code != tt.code {
				t.Fatalf("exit code %d, want %d; stderr: %s", r.code, tt.code, r.stderr)
			}
			if tt.code == 2 {
				if !strings.Contains(r.stderr, "Usage: drover alloc fs") {
					t.Errorf("misuse must show the usage: %s", r.stderr)
				}
				return
			}
			checkGolden(t, tt.name, f, args, r)
			if tt.endpoint == "" {
				return
			}
			reqs := f.find("GET /v1/client/fs/" + tt.endpoint + "/" + allocID)
			if len(reqs) != 1 {
				t.Fatalf("%d %s requests, want 1; requests: %v", len(reqs), tt.endpoint, f.requested())
			}
			for k, v := range tt.wantQuery {
				if got := strings.Join(reqs[0].Query[k], ","); got != v {
					t.Errorf("%s request %s=%q, want %q", tt.endpoint, k, got, v)
				}
			}
		})
	}
}

// TestAllocFSFromNode: when the agent at -address does not run the
// allocation, its files are read from the agent of its node.
func TestAllocFSFromNode(t *testing.T) {
	nodeAgent := newFakeAgent(t)
	fsServer(nodeAgent, allocID)
	f := newFakeAgent(t)
	cluster(f)
	node := helloNode()
	node.HTTPAddr = strings.TrimPrefix(nodeAgent.srv.URL, "http://")
	f.handle("GET /v1/node/"+nodeID, node)
	f.handle("GET /v1/client/fs/stat/"+allocID, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotImplemented)
		_ = json.NewEncoder(w).Encode(map[string]string{"Error": "this agent runs no client"})
	}))
	r := runCLI(context.Background(), t, f, "", "alloc", "fs", "-token", "tok", "cb31", "alloc/logs/hello.out")
	if r.code != 0 || r.stdout != fsContent {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	for _, ep := range []string{"stat", "cat"} {
		reqs := nodeAgent.find("GET /v1/client/fs/" + ep + "/" + allocID)
		if len(reqs) != 1 || reqs[0].Token != "tok" {
			t.Errorf("want one %s request to the node's agent with the token, got %+v", ep, reqs)
		}
	}
}
