package httpapi

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/testutil"
)

func (f *fakeClient) AllocStats(allocID string) (*drover.AllocResourceUsage, error) {
	if f.Stats == nil {
		return nil, drover.Errorf(drover.ErrNotFound, "allocation %s is not on this client", allocID)
	}
	return f.Stats(allocID)
}

func sampleUsage() *drover.AllocResourceUsage {
	ru := &drover.ResourceUsage{
		MemoryStats: &drover.MemoryStats{RSS: 48 << 20, Swap: 0, Measured: []string{"RSS", "Swap"}},
		CpuStats:    &drover.CpuStats{UserMode: 0.5, SystemMode: 0.1, Percent: 0.6, TotalTicks: 12, Measured: []string{"System Mode", "User Mode", "Percent"}},
	}
	return &drover.AllocResourceUsage{ResourceUsage: ru, Timestamp: 1700000000000000000,
		Tasks: map[string]*drover.TaskResourceUsage{"server": {ResourceUsage: ru, Timestamp: 1700000000000000000}}}
}

// statsClient is a client that runs allocation id and answers with usage.
func statsClient(node, id string, usage *drover.AllocResourceUsage) *fakeClient {
	return &fakeClient{Node: node, Stats: func(allocID string) (*drover.AllocResourceUsage, error) {
		if allocID != id {
			return nil, drover.Errorf(drover.ErrNotFound, "allocation %s is not on this client", allocID)
		}
		return usage, nil
	}}
}

// TestAllocStatsLocalShape: the local client's answer is served in Nomad's
// JSON shape.
func TestAllocStatsLocalShape(t *testing.T) {
	id := testAlloc("n1").ID
	h := New(Config{RPC: &testutil.FakeRPC{}, Client: statsClient("n1", id, sampleUsage())})
	w := serve(t, h, "GET", "/v1/client/allocation/"+id+"/stats", "")
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	task := body["Tasks"].(map[string]any)["server"].(map[string]any)
	ru := task["ResourceUsage"].(map[string]any)
	mem, cpu := ru["MemoryStats"].(map[string]any), ru["CpuStats"].(map[string]any)
	for _, k := range []string{"RSS", "Cache", "Swap", "Usage", "MaxUsage", "KernelUsage", "KernelMaxUsage", "Measured"} {
		if _, ok := mem[k]; !ok {
			t.Errorf("MemoryStats lacks %s: %v", k, mem)
		}
	}
	for _, k := range []string{"SystemMode", "UserMode", "TotalTicks", "ThrottledPeriods", "ThrottledTime", "Percent", "Measured"} {
		if _, ok := cpu[k]; !ok {
			t.Errorf("CpuStats lacks %s: %v", k, cpu)
		}
	}
	if _, ok := task["Pids"]; !ok || task["Timestamp"] != float64(1700000000000000000) {
		t.Errorf("task usage %v lacks Pids or Timestamp", task)
	}
	if mem["RSS"] != float64(48<<20) || cpu["TotalTicks"] != float64(12) || body["Timestamp"] == nil || body["ResourceUsage"] == nil {
		t.Errorf("body %s", w.Body)
	}
}

func TestAllocStatsErrors(t *testing.T) {
	done := testAlloc("n2")
	done.ClientStatus = drover.AllocClientStatusComplete
	stopped := testAlloc("n2")
	stopped.DesiredStatus = drover.AllocDesiredStatusStop
	unplaced := testAlloc("")
	tests := []struct {
		name   string
		alloc  *drover.Allocation // what the servers know
		client *fakeClient
		node   *drover.Node
		want   int
		msg    string
	}{
		{"unknown alloc", nil, &fakeClient{Node: "n1"}, nil, 404, "alloc not found"},
		{"finished on this client", nil, &fakeClient{Node: "n1", Stats: func(string) (*drover.AllocResourceUsage, error) {
			return nil, drover.Errorf(drover.ErrConflict, "allocation a1b2c3d4 is complete: its tasks no longer run, so it has no resource usage")
		}}, nil, 409, "is complete: its tasks no longer run"},
		{"finished elsewhere", done, &fakeClient{Node: "n1"}, nil, 409, "allocation a1b2c3d4 is complete: its tasks no longer run, so it has no resource usage"},
		{"stopped by the servers", stopped, nil, nil, 409, "allocation a1b2c3d4 is stopped"},
		{"not placed", unplaced, nil, nil, 409, "not placed on a node yet"},
		{"ours but not started", testAlloc("n1"), &fakeClient{Node: "n1"}, nil, 404, "not running on this client yet"},
		{"node unknown", testAlloc("n2"), nil, nil, 503, "node n2 of allocation a1b2c3d4 not found"},
		{"node without address", testAlloc("n2"), nil, &drover.Node{ID: "n2", Name: "node-2"}, 503, "node node-2 (n2) runs allocation a1b2c3d4 but has no HTTP address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &testutil.FakeRPC{
				AllocGetAlloc: func(_ *drover.AllocSpecificRequest, r *drover.SingleAllocResponse) error {
					r.Alloc = tt.alloc
					return nil
				},
				NodeGetNode: func(a *drover.NodeSpecificRequest, r *drover.SingleNodeResponse) error {
					r.Node = tt.node
					return nil
				},
			}
			cfg := Config{RPC: f}
			if tt.client != nil {
				cfg.Client = tt.client
			}
			w := serve(t, New(cfg), "GET", "/v1/client/allocation/"+testAlloc("").ID+"/stats", "")
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
			if msg := errorOf(t, w); !strings.Contains(msg, tt.msg) {
				t.Errorf("message %q, want it to contain %q", msg, tt.msg)
			}
		})
	}
}

// otherAgent serves the HTTP API of another node's agent, whose client runs
// allocation id; it records the headers of the requests it gets.
func otherAgent(t *testing.T, id string, headers *http.Header) *httptest.Server {
	api := New(Config{RPC: &testutil.FakeRPC{}, Client: statsClient("n2", id, sampleUsage())})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*headers = r.Header.Clone()
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func forwardingRPC(alloc *drover.Allocation, httpAddr string) *testutil.FakeRPC {
	return &testutil.FakeRPC{
		AllocGetAlloc: func(_ *drover.AllocSpecificRequest, r *drover.SingleAllocResponse) error {
			r.Alloc = alloc
			return nil
		},
		NodeGetNode: func(a *drover.NodeSpecificRequest, r *drover.SingleNodeResponse) error {
			if a.NodeID == alloc.NodeID {
				r.Node = &drover.Node{ID: a.NodeID, Name: "node-2", HTTPAddr: httpAddr}
			}
			return nil
		},
	}
}

// TestAllocStatsForwards: an allocation on another node is answered by that
// node's agent, with the requester's token passed on; it works on a
// server-only agent too.
func TestAllocStatsForwards(t *testing.T) {
	alloc := testAlloc("n2")
	var got http.Header
	other := otherAgent(t, alloc.ID, &got)
	addr := strings.TrimPrefix(other.URL, "http://")
	for _, local := range []Client{&fakeClient{Node: "n1"}, nil} {
		cfg := Config{RPC: forwardingRPC(alloc, addr)}
		if local != nil {
			cfg.Client = local
		}
		r := httptest.NewRequest("GET", "/v1/client/allocation/"+alloc.ID+"/stats", nil)
		r.Header.Set("X-Nomad-Token", "secret-token")
		w := serveRequest(New(cfg), r)
		if w.Code != 200 {
			t.Fatalf("client %v: status %d: %s", local != nil, w.Code, w.Body)
		}
		var usage drover.AllocResourceUsage
		if err := json.Unmarshal(w.Body.Bytes(), &usage); err != nil {
			t.Fatal(err)
		}
		if usage.Tasks["server"] == nil || usage.ResourceUsage.MemoryStats.RSS != 48<<20 {
			t.Fatalf("forwarded answer %s", w.Body)
		}
		if got.Get("X-Nomad-Token") != "secret-token" || got.Get(forwardedHeader) == "" {
			t.Errorf("forwarded headers %v", got)
		}
	}
}

// TestAllocStatsForwardedOnce: a forwarded request is never forwarded
// again, and the other agent's error comes back as is.
func TestAllocStatsForwardedOnce(t *testing.T) {
	alloc := testAlloc("n2")
	var got http.Header
	other := otherAgent(t, "some-other-alloc", &got) // node n2 does not run it (any more)
	cfg := Config{RPC: forwardingRPC(alloc, strings.TrimPrefix(other.URL, "http://")), Client: &fakeClient{Node: "n1"}}
	w := serve(t, New(cfg), "GET", "/v1/client/allocation/"+alloc.ID+"/stats", "")
	if w.Code != 404 || !strings.Contains(errorOf(t, w), "is not on this client") {
		t.Fatalf("status %d: %s, want the other agent's 404", w.Code, w.Body)
	}
	if got.Get(forwardedHeader) == "" {
		t.Fatal("request did not reach the other agent")
	}
}

func TestAllocStatsUnreachableNode(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	alloc := testAlloc("n2")
	w := serve(t, New(Config{RPC: forwardingRPC(alloc, addr)}), "GET", "/v1/client/allocation/"+alloc.ID+"/stats", "")
	if w.Code != 503 || !strings.Contains(errorOf(t, w), "node node-2 (n2), whose agent at "+addr+" did not answer") {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
}

func TestAllocStatsRPCError(t *testing.T) {
	f := &testutil.FakeRPC{AllocGetAlloc: func(*drover.AllocSpecificRequest, *drover.SingleAllocResponse) error {
		return drover.Errorf(drover.ErrNoLeader, "no cluster leader")
	}}
	w := serve(t, New(Config{RPC: f}), "GET", "/v1/client/allocation/x/stats", "")
	if w.Code != 500 || errorOf(t, w) != "no cluster leader" {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
}

func TestAllocStatsForwardedToAgentWithoutClient(t *testing.T) {
	r := httptest.NewRequest("GET", "/v1/client/allocation/"+testAlloc("n2").ID+"/stats", nil)
	r.Header.Set(forwardedHeader, "1")
	w := serveRequest(New(Config{RPC: &testutil.FakeRPC{}}), r)
	if w.Code != 501 || !strings.Contains(errorOf(t, w), "forwarded to this agent, which runs no client") {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
}
