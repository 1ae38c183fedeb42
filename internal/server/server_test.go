package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/rpc"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

// newTestServer starts a single bootstrapped in-memory server with fast
// timeouts and waits until its leader duties run.
func newTestServer(t *testing.T, mod func(*Config)) *Server {
	t.Helper()
	cfg := Config{
		NodeName: "s1", Bootstrap: true, FastRaft: true, NumSchedulers: 2,
		HeartbeatTTL: time.Minute, AllocUpdateBatch: 5 * time.Millisecond,
		Logger: testLogger(),
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	waitFor(t, 10*time.Second, "leadership", func() bool { return s.leaderContext() != nil })
	return s
}

func testLogger() *slog.Logger {
	if os.Getenv("DROVER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func registerNode(t *testing.T, s *Server, n *drover.Node) *drover.NodeUpdateResponse {
	t.Helper()
	var reply drover.NodeUpdateResponse
	if err := s.RPC(context.Background(), drover.MethodNodeRegister, &drover.NodeRegisterRequest{Node: n}, &reply); err != nil {
		t.Fatalf("register node: %v", err)
	}
	return &reply
}

func registerJob(t *testing.T, s *Server, job *drover.Job) *drover.JobRegisterResponse {
	t.Helper()
	var reply drover.JobRegisterResponse
	if err := s.RPC(context.Background(), drover.MethodJobRegister, &drover.JobRegisterRequest{Job: job}, &reply); err != nil {
		t.Fatalf("register job: %v", err)
	}
	return &reply
}

func evalOf(t *testing.T, s *Server, id string) *drover.Evaluation {
	t.Helper()
	e, err := s.State().EvalByID(nil, id)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func liveAllocs(t *testing.T, s *Server, jobID string) []*drover.Allocation {
	t.Helper()
	allocs, err := s.State().AllocsByJob(nil, "default", jobID, false)
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(allocs, func(a *drover.Allocation) bool { return a.Terminal() })
}

func TestEveryMethodRegistered(t *testing.T) {
	s := newTestServer(t, nil)
	want := []string{
		drover.MethodStatusLeader, drover.MethodStatusPing,
		drover.MethodJobRegister, drover.MethodJobDeregister, drover.MethodJobGetJob, drover.MethodJobList,
		drover.MethodJobAllocations, drover.MethodJobEvaluations, drover.MethodJobSummary,
		drover.MethodJobPlan, drover.MethodJobValidate, drover.MethodJobVersions, drover.MethodJobRevert,
		drover.MethodAllocList, drover.MethodAllocGetAlloc, drover.MethodAllocGetAllocs,
		drover.MethodEvalList, drover.MethodEvalGetEval,
		drover.MethodNodeRegister, drover.MethodNodeUpdateStatus, drover.MethodNodeGetClientAllocs,
		drover.MethodNodeUpdateAlloc, drover.MethodNodeList, drover.MethodNodeGetNode, drover.MethodNodeGetAllocs,
		drover.MethodNodeUpdateDrain, drover.MethodNodeUpdateEligibility,
		drover.MethodOperatorSchedulerGetConfiguration, drover.MethodOperatorSchedulerSetConfiguration,
		drover.MethodJobDispatch, drover.MethodPeriodicForce,
		drover.MethodAllocStop,
		drover.MethodStatusPeers,
	}
	got := s.rpcServer.Methods()
	for _, m := range want {
		if !slices.Contains(got, m) {
			t.Errorf("method %s not registered", m)
		}
	}
	if len(got) != len(want) {
		t.Errorf("registered %d methods, want %d", len(got), len(want))
	}
}

func TestJobRegisterPlacesAndClientBlockingQueryWakes(t *testing.T) {
	s := newTestServer(t, nil)
	node := schedtest.Node("n1")
	node.Status = ""
	nreply := registerNode(t, s, node)
	if ttl := nreply.HeartbeatTTL; ttl < time.Minute || ttl > time.Minute+time.Minute/4 || nreply.Index == 0 {
		t.Fatalf("node register reply %+v", nreply)
	}

	type result struct {
		resp drover.NodeClientAllocsResponse
		err  error
	}
	got := make(chan result, 1)
	go func() {
		var r drover.NodeClientAllocsResponse
		err := s.RPC(context.Background(), drover.MethodNodeGetClientAllocs, &drover.NodeSpecificRequest{
			NodeID: "n1", QueryOptions: drover.QueryOptions{MinQueryIndex: nreply.Index, MaxQueryTime: 10 * time.Second},
		}, &r)
		got <- result{r, err}
	}()

	reply := registerJob(t, s, schedtest.Job("web", 2))
	if reply.EvalID == "" || reply.EvalCreateIndex == 0 || reply.JobModifyIndex == 0 {
		t.Fatalf("register reply %+v", reply)
	}
	if reply.Warnings != "" {
		t.Fatalf("unexpected warnings %q", reply.Warnings)
	}
	// The blocking query wakes on the first change of the node's allocs.
	var r result
	select {
	case r = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("blocking query did not wake on placement")
	}
	if r.err != nil || len(r.resp.Allocs) == 0 || r.resp.Index <= nreply.Index {
		t.Fatalf("client allocs: %+v %v", r.resp, r.err)
	}
	waitFor(t, 10*time.Second, "eval complete", func() bool {
		e := evalOf(t, s, reply.EvalID)
		return e != nil && e.Status == drover.EvalStatusComplete
	})
	if n := len(liveAllocs(t, s, "web")); n != 2 {
		t.Fatalf("live allocs = %d, want 2", n)
	}

	var cr drover.NodeClientAllocsResponse
	if err := s.RPC(context.Background(), drover.MethodNodeGetClientAllocs, &drover.NodeSpecificRequest{NodeID: "n1"}, &cr); err != nil || len(cr.Allocs) != 2 {
		t.Fatalf("client allocs: %v %v", cr.Allocs, err)
	}
	for id, idx := range cr.Allocs {
		if idx == 0 {
			t.Errorf("alloc %s has AllocModifyIndex 0", id)
		}
	}
	// Reads through the endpoints.
	var jl drover.JobListResponse
	if err := s.RPC(context.Background(), drover.MethodJobList, &drover.JobListRequest{}, &jl); err != nil || len(jl.Jobs) != 1 || !jl.KnownLeader {
		t.Fatalf("job list: %+v %v", jl, err)
	}
	var ja drover.JobAllocationsResponse
	if err := s.RPC(context.Background(), drover.MethodJobAllocations, &drover.JobSpecificRequest{JobID: "web"}, &ja); err != nil || len(ja.Allocations) != 2 {
		t.Fatalf("job allocations: %v %v", len(ja.Allocations), err)
	}
	var leader string
	if err := s.RPC(context.Background(), drover.MethodStatusLeader, &drover.GenericRequest{}, &leader); err != nil || leader == "" {
		t.Fatalf("leader %q %v", leader, err)
	}
}

func TestBlockingQueryTimesOutWithCurrentResult(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	var r drover.NodeListResponse
	if err := s.RPC(context.Background(), drover.MethodNodeList, &drover.NodeListRequest{}, &r); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var r2 drover.NodeListResponse
	err := s.RPC(context.Background(), drover.MethodNodeList, &drover.NodeListRequest{
		QueryOptions: drover.QueryOptions{MinQueryIndex: r.Index, MaxQueryTime: 50 * time.Millisecond},
	}, &r2)
	if err != nil || r2.Index != r.Index || len(r2.Nodes) != 1 {
		t.Fatalf("timed-out query: %+v %v", r2, err)
	}
	if time.Since(start) < 50*time.Millisecond {
		t.Fatal("blocking query returned before its wait")
	}
	// A cancelled caller ends the wait with its error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = s.RPC(ctx, drover.MethodNodeList, &drover.NodeListRequest{QueryOptions: drover.QueryOptions{MinQueryIndex: r.Index}}, &r2)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled query: %v", err)
	}
}

func TestJobRegisterValidation(t *testing.T) {
	s := newTestServer(t, nil)
	job := schedtest.Job("bad id!", 1)
	job.Priority = 1000
	var reply drover.JobRegisterResponse
	err := s.RPC(context.Background(), drover.MethodJobRegister, &drover.JobRegisterRequest{Job: job}, &reply)
	if !errors.Is(err, drover.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	for _, want := range []string{"job ID", "priority"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	err = s.RPC(context.Background(), drover.MethodJobRegister, &drover.JobRegisterRequest{}, &reply)
	if !errors.Is(err, drover.ErrInvalid) {
		t.Fatalf("missing job: %v", err)
	}
}

func TestJobRegisterEnforceIndex(t *testing.T) {
	s := newTestServer(t, nil)
	ctx := context.Background()
	var reply drover.JobRegisterResponse
	req := &drover.JobRegisterRequest{Job: schedtest.Job("web", 1), EnforceIndex: true, JobModifyIndex: 0}
	if err := s.RPC(ctx, drover.MethodJobRegister, req, &reply); err != nil {
		t.Fatalf("first register: %v", err)
	}
	first := reply.JobModifyIndex
	err := s.RPC(ctx, drover.MethodJobRegister, req, &reply)
	if !errors.Is(err, drover.ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	want := "enforcing job modify index 0: job exists with conflicting job modify index " + strconv.FormatUint(first, 10)
	if err.Error() != want {
		t.Fatalf("err = %q, want %q", err, want)
	}
	req.JobModifyIndex = first
	req.Job.TaskGroups[0].Count = 3
	if err := s.RPC(ctx, drover.MethodJobRegister, req, &reply); err != nil {
		t.Fatalf("register at the right index: %v", err)
	}
	if reply.JobModifyIndex <= first {
		t.Fatalf("JobModifyIndex %d did not advance past %d", reply.JobModifyIndex, first)
	}
}

func TestUnknownDriverBlocksThenUnblocks(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1")) // raw_exec and exec only
	job := schedtest.Job("dock", 1)
	job.TaskGroups[0].Tasks[0].Driver = "docker"
	reply := registerJob(t, s, job)
	if !strings.Contains(reply.Warnings, `driver "docker"`) {
		t.Fatalf("warnings %q do not name the driver", reply.Warnings)
	}
	waitFor(t, 10*time.Second, "eval complete", func() bool {
		e := evalOf(t, s, reply.EvalID)
		return e != nil && e.Status == drover.EvalStatusComplete
	})
	e := evalOf(t, s, reply.EvalID)
	if len(e.FailedTGAllocs) == 0 || e.BlockedEval == "" {
		t.Fatalf("eval %+v has no FailedTGAllocs/BlockedEval", e)
	}
	blocked := func() []*drover.Evaluation {
		evals, err := s.State().EvalsByJob(nil, "default", "dock")
		if err != nil {
			t.Fatal(err)
		}
		return slices.DeleteFunc(evals, func(e *drover.Evaluation) bool { return e.Status != drover.EvalStatusBlocked })
	}
	if b := blocked(); len(b) != 1 || b[0].ID != e.BlockedEval {
		t.Fatalf("blocked evals = %d, want exactly one (%s)", len(b), e.BlockedEval)
	}
	waitFor(t, 5*time.Second, "blocked eval tracked", func() bool { return s.blocked.Tracked() == 1 })

	// A node with docker appears: the blocked eval is released and places.
	n2 := schedtest.Node("n2")
	n2.Attributes["driver.docker"] = "1"
	registerNode(t, s, n2)
	waitFor(t, 10*time.Second, "placement on n2", func() bool {
		allocs := liveAllocs(t, s, "dock")
		return len(allocs) == 1 && allocs[0].NodeID == "n2"
	})
	waitFor(t, 10*time.Second, "no blocked evals left", func() bool { return len(blocked()) == 0 })
}

func TestJobDeregisterStopsAllocs(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	registerJob(t, s, schedtest.Job("web", 2))
	waitFor(t, 10*time.Second, "placements", func() bool { return len(liveAllocs(t, s, "web")) == 2 })
	var reply drover.JobDeregisterResponse
	if err := s.RPC(context.Background(), drover.MethodJobDeregister, &drover.JobDeregisterRequest{JobID: "web"}, &reply); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "allocs stopped", func() bool { return len(liveAllocs(t, s, "web")) == 0 })
	job, _ := s.State().JobByID(nil, "default", "web")
	if job == nil || !job.Stop {
		t.Fatalf("job after deregister: %+v", job)
	}
	err := s.RPC(context.Background(), drover.MethodJobDeregister, &drover.JobDeregisterRequest{JobID: "nope"}, &reply)
	if !errors.Is(err, drover.ErrNotFound) {
		t.Fatalf("deregister unknown: %v", err)
	}
}

func TestMissedHeartbeatMarksNodeDown(t *testing.T) {
	s := newTestServer(t, func(c *Config) {
		c.HeartbeatTTL = 100 * time.Millisecond
		c.HeartbeatGrace = -1
	})
	registerNode(t, s, schedtest.Node("n1"))
	registerJob(t, s, schedtest.Job("web", 1))
	// Heartbeat until the job is placed, then fall silent.
	waitFor(t, 10*time.Second, "placement", func() bool {
		var r drover.NodeUpdateResponse
		if err := s.RPC(context.Background(), drover.MethodNodeUpdateStatus, &drover.NodeUpdateStatusRequest{NodeID: "n1"}, &r); err != nil {
			t.Fatal(err)
		}
		return len(liveAllocs(t, s, "web")) == 1
	})
	waitFor(t, 10*time.Second, "node down", func() bool {
		n, _ := s.State().NodeByID(nil, "n1")
		return n.Status == drover.NodeStatusDown
	})
	waitFor(t, 10*time.Second, "node-update eval", func() bool {
		evals, _ := s.State().EvalsByJob(nil, "default", "web")
		for _, e := range evals {
			if e.TriggeredBy == drover.EvalTriggerNodeUpdate && e.NodeID == "n1" {
				return true
			}
		}
		return false
	})
}

func TestHeartbeatKeepsNodeUpAndUnknownNode(t *testing.T) {
	s := newTestServer(t, func(c *Config) {
		c.HeartbeatTTL = 200 * time.Millisecond
		c.HeartbeatGrace = -1
	})
	registerNode(t, s, schedtest.Node("n1"))
	deadline := time.Now().Add(600 * time.Millisecond)
	for time.Now().Before(deadline) {
		var r drover.NodeUpdateResponse
		if err := s.RPC(context.Background(), drover.MethodNodeUpdateStatus, &drover.NodeUpdateStatusRequest{NodeID: "n1", Status: drover.NodeStatusReady}, &r); err != nil {
			t.Fatal(err)
		}
		n, _ := s.State().NodeByID(nil, "n1")
		if n.Status != drover.NodeStatusReady {
			t.Fatal("heartbeating node was marked down")
		}
		time.Sleep(50 * time.Millisecond) // pacing the heartbeats, not synchronisation
	}
	var r drover.NodeUpdateResponse
	err := s.RPC(context.Background(), drover.MethodNodeUpdateStatus, &drover.NodeUpdateStatusRequest{NodeID: "ghost"}, &r)
	if !errors.Is(err, drover.ErrNotFound) {
		t.Fatalf("unknown node: %v", err)
	}
}

func TestNodeUpdateAllocBatches(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.AllocUpdateBatch = 100 * time.Millisecond })
	registerNode(t, s, schedtest.Node("n1"))
	registerJob(t, s, schedtest.Job("web", 2))
	waitFor(t, 10*time.Second, "placements", func() bool { return len(liveAllocs(t, s, "web")) == 2 })
	allocs := liveAllocs(t, s, "web")
	type res struct {
		index uint64
		err   error
	}
	out := make(chan res, 2)
	for _, a := range allocs {
		go func() {
			var r drover.GenericResponse
			err := s.RPC(context.Background(), drover.MethodNodeUpdateAlloc, &drover.AllocUpdateRequest{
				Alloc: []*drover.Allocation{{ID: a.ID, ClientStatus: drover.AllocClientStatusRunning}},
			}, &r)
			out <- res{r.Index, err}
		}()
	}
	r1, r2 := <-out, <-out
	if r1.err != nil || r2.err != nil {
		t.Fatal(r1.err, r2.err)
	}
	if r1.index != r2.index {
		t.Fatalf("updates committed at %d and %d, want one batch", r1.index, r2.index)
	}
	for _, a := range allocs {
		got, _ := s.State().AllocByID(nil, a.ID)
		if got.ClientStatus != drover.AllocClientStatusRunning {
			t.Fatalf("alloc %s client status %q", a.ID, got.ClientStatus)
		}
	}
}

func TestRPCOverNetwork(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, func(c *Config) { c.Listener = ln })
	c := rpc.NewClient(nil, rpc.ClientConfig{Servers: []string{ln.Addr().String()}})
	defer c.Close()
	ctx := context.Background()
	var ping drover.GenericResponse
	if err := c.RPC(ctx, drover.MethodStatusPing, &drover.GenericRequest{}, &ping); err != nil {
		t.Fatal(err)
	}
	var leader string
	if err := c.RPC(ctx, drover.MethodStatusLeader, &drover.GenericRequest{}, &leader); err != nil || leader != ln.Addr().String() {
		t.Fatalf("leader %q %v", leader, err)
	}
	var jr drover.JobRegisterResponse
	err = c.RPC(ctx, drover.MethodJobRegister, &drover.JobRegisterRequest{Job: &drover.Job{ID: "x"}}, &jr)
	if !errors.Is(err, drover.ErrInvalid) {
		t.Fatalf("invalid job over the wire: %v", err)
	}
	if err := c.RPC(ctx, drover.MethodJobRegister, &drover.JobRegisterRequest{Job: schedtest.Job("web", 1)}, &jr); err != nil {
		t.Fatal(err)
	}
	var ge drover.SingleEvalResponse
	if err := c.RPC(ctx, drover.MethodEvalGetEval, &drover.EvalSpecificRequest{EvalID: jr.EvalID}, &ge); err != nil || ge.Eval == nil {
		t.Fatalf("get eval: %+v %v", ge, err)
	}
	_ = s
}
