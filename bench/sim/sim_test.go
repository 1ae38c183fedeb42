package sim

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/drover-sh/drover"
)

// fakeServer answers the simulator's calls: every registered node gets the
// allocations in allocs[node name], and status updates are recorded.
type fakeServer struct {
	mu         sync.Mutex
	nodes      map[string]*drover.Node
	allocs     map[string][]*drover.Allocation
	heartbeats map[string]int
	updates    map[string][]string // alloc ID → client statuses in order
	changed    chan struct{}
}

func newFakeServer() *fakeServer {
	return &fakeServer{nodes: map[string]*drover.Node{}, allocs: map[string][]*drover.Allocation{},
		heartbeats: map[string]int{}, updates: map[string][]string{}, changed: make(chan struct{}, 1)}
}

func (f *fakeServer) RPC(ctx context.Context, method string, args, reply any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch method {
	case drover.MethodNodeRegister:
		n := args.(*drover.NodeRegisterRequest).Node
		f.nodes[n.ID] = n
		reply.(*drover.NodeUpdateResponse).HeartbeatTTL = time.Second
	case drover.MethodNodeUpdateStatus:
		f.heartbeats[args.(*drover.NodeUpdateStatusRequest).NodeID]++
	case drover.MethodNodeGetClientAllocs:
		req := args.(*drover.NodeSpecificRequest)
		if req.MinQueryIndex > 0 { // nothing ever changes after the first answer
			f.mu.Unlock()
			<-ctx.Done()
			f.mu.Lock()
			return ctx.Err()
		}
		resp := reply.(*drover.NodeClientAllocsResponse)
		resp.Allocs, resp.Index = map[string]uint64{}, 10
		for _, a := range f.allocs[f.nodes[req.NodeID].Name] {
			resp.Allocs[a.ID] = 10
		}
	case drover.MethodAllocGetAllocs:
		resp := reply.(*drover.AllocsGetResponse)
		for _, id := range args.(*drover.AllocsGetRequest).AllocIDs {
			for _, as := range f.allocs {
				for _, a := range as {
					if a.ID == id {
						resp.Allocs = append(resp.Allocs, a)
					}
				}
			}
		}
	case drover.MethodNodeUpdateAlloc:
		for _, a := range args.(*drover.AllocUpdateRequest).Alloc {
			f.updates[a.ID] = append(f.updates[a.ID], a.ClientStatus)
		}
		select {
		case f.changed <- struct{}{}:
		default:
		}
	default:
		return fmt.Errorf("unexpected method %s", method)
	}
	return nil
}

func mockAlloc(id, runFor string) *drover.Allocation {
	cfg := map[string]any{}
	if runFor != "" {
		cfg["run_for"] = runFor
	}
	job := &drover.Job{ID: "j", TaskGroups: []*drover.TaskGroup{{Name: "g", Tasks: []*drover.Task{{Name: "t", Driver: "mock", Config: cfg}}}}}
	return &drover.Allocation{ID: id, JobID: "j", TaskGroup: "g", Job: job, DesiredStatus: drover.AllocDesiredStatusRun,
		ClientStatus: drover.AllocClientStatusPending, AllocModifyIndex: 10}
}

// TestSimulatorRunsAllocs: every node registers and heartbeats; an
// allocation is reported running, and complete after its run_for.
func TestSimulatorRunsAllocs(t *testing.T) {
	f := newFakeServer()
	f.allocs["sim-00000"] = []*drover.Allocation{mockAlloc("a", ""), mockAlloc("b", "10ms")}
	f.allocs["sim-00002"] = []*drover.Allocation{mockAlloc("c", "")}
	s, err := New(Config{RPC: f, Nodes: 3, HeartbeatInterval: 5 * time.Millisecond, UpdateInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Register(ctx); err != nil {
		t.Fatal(err)
	}
	if len(f.nodes) != 3 {
		t.Fatalf("%d nodes registered, want 3", len(f.nodes))
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { s.Run(runCtx); close(done) }()
	// b runs 10ms: its running and complete reports may fall in one update
	// window, and an unsent status is replaced by the newer one, as the
	// real client's batcher does. Either way complete is the last.
	want := map[string]string{"a": "running", "b": "running,complete (or complete alone)", "c": "running"}
	for {
		f.mu.Lock()
		got := map[string]string{}
		for id, sts := range f.updates {
			got[id] = fmt.Sprint(sts)
		}
		beats := len(f.heartbeats)
		f.mu.Unlock()
		bDone := got["b"] == "[running complete]" || got["b"] == "[complete]"
		if got["a"] == "[running]" && bDone && got["c"] == "[running]" && beats == 3 {
			break
		}
		select {
		case <-f.changed:
		case <-time.After(10 * time.Millisecond): // heartbeats do not signal
		case <-ctx.Done():
			t.Fatalf("updates = %v (want %v), %d nodes heartbeated", got, want, beats)
		}
	}
	stop()
	<-done
	st := s.Stats()
	if st.Registered != 3 || st.Running != 3 || st.Completed != 1 || st.Heartbeats < 3 {
		t.Errorf("stats = %+v", st)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{{Nodes: 0, Servers: []string{"x:1"}}, {Nodes: 1}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}
