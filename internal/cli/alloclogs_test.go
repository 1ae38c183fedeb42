package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// logServer answers the log endpoint of allocID with the framed stream of
// content, split in two frames like a server that sends the backlog then
// more.
func logServer(f *fakeAgent, allocID string, content map[string]string) {
	f.handle("GET /v1/client/fs/logs/"+allocID, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		data, ok := content[q.Get("task")+"."+q.Get("type")]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]string{"Error": "no such log"})
			return
		}
		enc := json.NewEncoder(w)
		half := len(data) / 2
		_ = enc.Encode(map[string]any{"Offset": 0, "Data": []byte(data[:half]), "File": "alloc/logs/x"})
		_ = enc.Encode(map[string]any{"Offset": half, "Data": []byte(data[half:]), "File": "alloc/logs/x"})
	}))
}

func TestAllocLogs(t *testing.T) {
	logs := map[string]string{
		"hello.stdout":   "one\ntwo\nthree\nfour\n",
		"hello.stderr":   "oops\n",
		"sidecar.stdout": "side\n",
	}
	tests := []struct {
		name      string
		args      []string
		code      int
		stdout    string
		wantQuery map[string]string // query parameters the log request must carry
	}{
		{"whole", []string{"cb31"}, 0, logs["hello.stdout"], map[string]string{"task": "hello", "type": "stdout"}},
		{"stderr", []string{"-stderr", "cb31", "hello"}, 0, "oops\n", map[string]string{"type": "stderr"}},
		{"tail", []string{"-tail", "-n", "2", "cb31"}, 0, "three\nfour\n", map[string]string{"origin": "end", "offset": "768"}},
		{"n_implies_tail", []string{"-n", "1", "cb31"}, 0, "four\n", map[string]string{"origin": "end"}},
		{"follow_tail", []string{"-f", "-n", "1", "cb31"}, 0, "three\nfour\n", map[string]string{"follow": "true"}},
		{"named_task", []string{alloc2ID, "sidecar"}, 0, "side\n", map[string]string{"task": "sidecar"}},
		{"task_required", []string{alloc2ID}, 2, "", nil},
		{"unknown_task", []string{"cb31", "nope"}, 1, "", nil},
		{"missing_log", []string{"-stderr", alloc2ID, "sidecar"}, 1, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAgent(t)
			cluster(f)
			logServer(f, allocID, logs)
			logServer(f, alloc2ID, logs)
			r := runCLI(context.Background(), t, f, "", append([]string{"alloc", "logs"}, tt.args...)...)
			if r.code != tt.code {
				t.Fatalf("exit code %d, want %d; stderr: %s", r.code, tt.code, r.stderr)
			}
			if r.stdout != tt.stdout {
				t.Errorf("stdout %q, want %q", r.stdout, tt.stdout)
			}
			if tt.code != 0 && r.stderr == "" {
				t.Errorf("a failure must say why on stderr")
			}
			var reqs []*recordedRequest
			for _, id := range []string{allocID, alloc2ID} {
				reqs = append(reqs, f.find("GET /v1/client/fs/logs/"+id)...)
			}
			if tt.wantQuery == nil {
				return
			}
			if len(reqs) != 1 {
				t.Fatalf("got %d log requests, want 1", len(reqs))
			}
			for k, v := range tt.wantQuery {
				if got := strings.Join(reqs[0].Query[k], ","); got != v {
					t.Errorf("log request %s=%q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestVersion(t *testing.T) {
	r := runCLI(context.Background(), t, nil, "", "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Drover "+Version) {
		t.Errorf("version: exit %d, stdout %q", r.code, r.stdout)
	}
	r = runCLI(context.Background(), t, nil, "", "version", "-json")
	var v versionInfo
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v.Version != Version {
		t.Errorf("version -json: %q: %v", r.stdout, err)
	}
	r = runCLI(context.Background(), t, nil, "", "-version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Drover ") {
		t.Errorf("-version: exit %d, stdout %q", r.code, r.stdout)
	}
}

// TestAgentUnreachable: a command that cannot reach its agent fails with
// exit 1 and says which address it tried.
func TestAgentUnreachable(t *testing.T) {
	r := runCLI(context.Background(), t, nil, "", "job", "status")
	if r.code != 1 || !strings.Contains(r.stderr, "127.0.0.1:1") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestAllocLogsFromNode: when the agent at -address does not run the
// allocation, the logs are read from the agent of its node.
func TestAllocLogsFromNode(t *testing.T) {
	nodeAgent := newFakeAgent(t)
	logServer(nodeAgent, allocID, map[string]string{"hello.stdout": "from the node\n"})
	f := newFakeAgent(t)
	cluster(f)
	node := helloNode()
	node.HTTPAddr = strings.TrimPrefix(nodeAgent.srv.URL, "http://")
	f.handle("GET /v1/node/"+nodeID, node)
	f.handle("GET /v1/client/fs/logs/"+allocID, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotImplemented)
		_ = json.NewEncoder(w).Encode(map[string]string{"Error": "this agent runs no client"})
	}))
	r := runCLI(context.Background(), t, f, "", "alloc", "logs", "-token", "tok", "cb31")
	if r.code != 0 || r.stdout != "from the node\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	reqs := nodeAgent.find("GET /v1/client/fs/logs/" + allocID)
	if len(reqs) != 1 || reqs[0].Token != "tok" {
		t.Errorf("want one log request to the node's agent with the token, got %+v", reqs)
	}
}
