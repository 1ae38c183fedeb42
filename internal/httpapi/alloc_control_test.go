package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/testutil"
)

// controlCall records one restart or signal that reached a client.
type controlCall struct {
	allocID, task, signal string
	all                   bool
}

// controlClient is a local client on node that records the controls it is
// asked for.
func controlClient(node string, mu *sync.Mutex, calls *[]controlCall) *fakeClient {
	return &fakeClient{Node: node,
		Restart: func(allocID, task string, all bool) error {
			mu.Lock()
			defer mu.Unlock()
			*calls = append(*calls, controlCall{allocID: allocID, task: task, all: all})
			return nil
		},
		Signal: func(allocID, task, signal string) error {
			mu.Lock()
			defer mu.Unlock()
			*calls = append(*calls, controlCall{allocID: allocID, task: task, signal: signal})
			return nil
		},
	}
}

// controlRPC knows one allocation, testAlloc(allocNode), and nodes whose
// HTTP addresses are in addrs.
func controlRPC(allocNode string, addrs map[string]string) *testutil.FakeRPC {
	return &testutil.FakeRPC{
		AllocGetAlloc: func(a *drover.AllocSpecificRequest, r *drover.SingleAllocResponse) error {
			if al := testAlloc(allocNode); a.AllocID == al.ID {
				r.Alloc = al
			}
			return nil
		},
		NodeGetNode: func(a *drover.NodeSpecificRequest, r *drover.SingleNodeResponse) error {
			if addr, ok := addrs[a.NodeID]; ok {
				r.Node = &drover.Node{ID: a.NodeID, Name: a.NodeID, HTTPAddr: addr}
			}
			return nil
		},
		AllocStop: func(a *drover.AllocStopRequest, r *drover.AllocStopResponse) error {
			if a.AllocID != testAlloc("").ID {
				return drover.Errorf(drover.ErrNotFound, "allocation %s not found", a.AllocID)
			}
			r.EvalID, r.Index = "e-stop", 77
			return nil
		},
	}
}

func TestAllocStopEndpoint(t *testing.T) {
	h := New(Config{RPC: controlRPC("n1", nil)})
	id := testAlloc("").ID
	for _, method := range []string{"PUT", "POST"} {
		w := serve(t, h, method, "/v1/allocation/"+id+"/stop", "")
		if w.Code != 200 {
			t.Fatalf("%s: status %d: %s", method, w.Code, w.Body)
		}
		var body map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if body["EvalID"] != "e-stop" || body["Index"] != float64(77) || w.Header().Get("X-Nomad-Index") != "77" {
			t.Errorf("%s: body %v, index header %q", method, body, w.Header().Get("X-Nomad-Index"))
		}
	}
	if w := serve(t, h, "PUT", "/v1/allocation/nope/stop", ""); w.Code != 404 {
		t.Errorf("unknown alloc: %d %s", w.Code, w.Body)
	}
	if w := serve(t, h, "PUT", "/v1/allocation/"+id+"/stop?no_shutdown_delay=maybe", ""); w.Code != 400 {
		t.Errorf("bad no_shutdown_delay: %d %s", w.Code, w.Body)
	}
}

func TestAllocRestartAndSignalLocal(t *testing.T) {
	var mu sync.Mutex
	var calls []controlCall
	h := New(Config{RPC: controlRPC("n1", nil), Client: controlClient("n1", &mu, &calls)})
	id := testAlloc("").ID
	base := "/v1/client/allocation/" + id
	tests := []struct {
		path, body string
		want       controlCall
	}{
		{"/restart", `{"TaskName":"server"}`, controlCall{allocID: id, task: "server"}},
		{"/restart", ``, controlCall{allocID: id}},
		{"/restart", `{"AllTasks":true}`, controlCall{allocID: id, all: true}},
		{"/signal", `{"Task":"server","Signal":"SIGUSR1"}`, controlCall{allocID: id, task: "server", signal: "SIGUSR1"}},
		{"/signal", `{"Signal":"hup"}`, controlCall{allocID: id, signal: "hup"}},
	}
	for _, tt := range tests {
		calls = nil
		w := serve(t, h, "PUT", base+tt.path, tt.body)
		if w.Code != 200 || strings.TrimSpace(w.Body.String()) != "{}" {
			t.Errorf("%s %s: %d %s", tt.path, tt.body, w.Code, w.Body)
			continue
		}
		if len(calls) != 1 || calls[0] != tt.want {
			t.Errorf("%s %s: calls %+v, want %+v", tt.path, tt.body, calls, tt.want)
		}
	}
}

func TestAllocControlBadInput(t *testing.T) {
	var mu sync.Mutex
	var calls []controlCall
	h := New(Config{RPC: controlRPC("n1", nil), Client: controlClient("n1", &mu, &calls)})
	id := testAlloc("").ID
	tests := []struct {
		path, body string
		code       int
		msg        string
	}{
		{"/v1/client/allocation/nope/restart", `{}`, 404, "not found"},
		{"/v1/client/allocation/nope/signal", `{"Signal":"SIGHUP"}`, 404, "not found"},
		{"/v1/client/allocation/" + id + "/restart", `{"TaskName":"nope"}`, 400, `no task "nope"`},
		{"/v1/client/allocation/" + id + "/restart", `{"TaskName":"server","AllTasks":true}`, 400, "mutually exclusive"},
		{"/v1/client/allocation/" + id + "/signal", `{"Task":"nope","Signal":"SIGHUP"}`, 400, `no task "nope"`},
		{"/v1/client/allocation/" + id + "/signal", `{"Signal":"SIGBOGUS"}`, 400, "SIGBOGUS"},
		{"/v1/client/allocation/" + id + "/signal", `{}`, 400, "Signal is required"},
		{"/v1/client/allocation/" + id + "/signal", `{"Signal":`, 400, "JSON"},
	}
	for _, tt := range tests {
		w := serve(t, h, "PUT", tt.path, tt.body)
		if w.Code != tt.code || !strings.Contains(w.Body.String(), tt.msg) {
			t.Errorf("%s %s: %d %s, want %d mentioning %s", tt.path, tt.body, w.Code, w.Body, tt.code, tt.msg)
		}
	}
	if len(calls) != 0 {
		t.Errorf("bad requests reached the client: %+v", calls)
	}
}

// TestAllocControlForwardedToNode: an agent whose node does not run the
// allocation forwards the request to the agent of the node that does,
// which answers it; a forwarded request is never forwarded again.
func TestAllocControlForwardedToNode(t *testing.T) {
	var mu sync.Mutex
	var calls []controlCall
	var seen http.Header
	remote := New(Config{RPC: controlRPC("n2", nil), Client: controlClient("n2", &mu, &calls)})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r.Header.Clone()
		mu.Unlock()
		remote.ServeHTTP(w, r)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	var localCalls []controlCall
	local := New(Config{RPC: controlRPC("n2", map[string]string{"n2": addr}), Client: controlClient("n1", &mu, &localCalls)})

	id := testAlloc("").ID
	req := httptest.NewRequest("PUT", "/v1/client/allocation/"+id+"/signal", strings.NewReader(`{"Task":"server","Signal":"SIGUSR1"}`))
	req.Header.Set("X-Nomad-Token", "tok")
	w := httptest.NewRecorder()
	local.ServeHTTP(w, req)
	if w.Code != 200 {
		t.Fatalf("forwarded signal: %d %s", w.Code, w.Body)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := (controlCall{allocID: id, task: "server", signal: "SIGUSR1"}); len(calls) != 1 || calls[0] != want || len(localCalls) != 0 {
		t.Errorf("remote calls %+v, local calls %+v; want one remote %+v", calls, localCalls, want)
	}
	if seen.Get("X-Nomad-Token") != "tok" || seen.Get(forwardedHeader) == "" {
		t.Errorf("forwarded headers %v: want the token and %s", seen, forwardedHeader)
	}

	// The remote agent's node does not run it either: no second hop.
	other := New(Config{RPC: controlRPC("n3", nil), Client: controlClient("n2", &mu, &calls)})
	req = httptest.NewRequest("PUT", "/v1/client/allocation/"+id+"/restart", strings.NewReader(`{}`))
	req.Header.Set(forwardedHeader, "1")
	w = httptest.NewRecorder()
	other.ServeHTTP(w, req)
	if w.Code != http.StatusNotImplemented || !strings.Contains(w.Body.String(), "not on this agent's node") {
		t.Errorf("forwarded twice: %d %s", w.Code, w.Body)
	}

	// A node whose address is unknown.
	lost := New(Config{RPC: controlRPC("n9", nil)})
	if w := serve(t, lost, "PUT", "/v1/client/allocation/"+id+"/restart", `{}`); w.Code != http.StatusServiceUnavailable {
		t.Errorf("unknown node address: %d %s", w.Code, w.Body)
	}
}
