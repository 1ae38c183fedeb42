package client

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/clientstate"
	"github.com/drover-sh/drover/internal/client/internal/fakedriver"
	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/testutil"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type testClient struct {
	*Client
	cancel context.CancelFunc
	done   chan error
}

// stop cancels Run and shuts the client down.
func (tc *testClient) stop(t *testing.T) {
	t.Helper()
	tc.cancel()
	if err := <-tc.done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tc.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func startClient(t *testing.T, srv RPCer, drv driver.Driver, mod func(*Config)) *testClient {
	t.Helper()
	cfg := Config{
		Drivers: driver.NewRegistry(drv), RPC: srv, IP: "127.0.0.1", NodeName: "test-node",
		AllocDir: testutil.AllocRoot(t), DevMode: true, UpdateInterval: 50 * time.Millisecond,
		RetryMin: 5 * time.Millisecond, RetryMax: 50 * time.Millisecond, MaxQueryTime: time.Second,
		LogRotateInterval: 10 * time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tc := &testClient{Client: c, cancel: cancel, done: make(chan error, 1)}
	go func() { tc.done <- c.Run(ctx) }()
	return tc
}

func testAlloc(nodeID, jobType string, cfg map[string]any) *drover.Allocation {
	task := &drover.Task{Name: "web", Driver: "fake", Config: cfg, KillTimeout: time.Second,
		RestartPolicy: &drover.RestartPolicy{Attempts: 0, Interval: time.Minute, Mode: drover.RestartModeFail}}
	job := &drover.Job{ID: "j", Name: "j", Type: jobType, Namespace: "default", Region: "global",
		TaskGroups: []*drover.TaskGroup{{Name: "g", Count: 1, Tasks: []*drover.Task{task}}}}
	return &drover.Allocation{ID: drover.GenerateID(), Name: "j.g[0]", Namespace: "default", NodeID: nodeID,
		JobID: "j", Job: job, TaskGroup: "g", DesiredStatus: drover.AllocDesiredStatusRun,
		ClientStatus: drover.AllocClientStatusPending}
}

func TestClientRunsAllocAndBatchesUpdates(t *testing.T) {
	srv := newFakeServer()
	srv.ttl = 40 * time.Millisecond
	drv := fakedriver.New("fake")
	c := startClient(t, srv, drv, func(cfg *Config) { cfg.UpdateInterval = 0 }) // the default 200ms
	defer c.stop(t)

	waitFor(t, "heartbeats", func() bool { _, hb, _ := srv.counts(); return hb >= 2 })
	srv.mu.Lock()
	node := srv.nodes[c.NodeID()]
	srv.mu.Unlock()
	if node == nil || node.Attributes["driver.fake"] != "1" || node.Attributes["unique.network.ip-address"] != "127.0.0.1" ||
		node.Name != "test-node" || node.NodeResources.Cpu.CpuShares <= 0 || node.Drivers["fake"] == nil {
		t.Fatalf("registered node: %+v", node)
	}

	a := testAlloc(c.NodeID(), drover.JobTypeBatch, map[string]any{"run_for": "600ms"})
	srv.upsertAlloc(a)
	waitFor(t, "complete", func() bool { return srv.alloc(a.ID).ClientStatus == drover.AllocClientStatusComplete })
	statuses, batches := srv.statusesSent(a.ID)
	if strings.Join(statuses, ",") != "running,complete" {
		t.Fatalf("statuses sent %v: want the pending steps coalesced into running, then complete", statuses)
	}
	// Received, Task Setup, Started and Terminated would be four updates
	// unbatched; within the window they coalesce.
	if batches > 3 {
		t.Fatalf("%d batches carried the alloc", batches)
	}
	got := srv.alloc(a.ID).TaskStates["web"]
	if got.State != drover.TaskStateDead || got.Failed {
		t.Fatalf("task state %+v", got)
	}
}

func TestClientStopsAndDestroysAlloc(t *testing.T) {
	srv := newFakeServer()
	drv := fakedriver.New("fake")
	c := startClient(t, srv, drv, nil)
	defer c.stop(t)
	waitFor(t, "register", func() bool { r, _, _ := srv.counts(); return r == 1 })

	a := testAlloc(c.NodeID(), drover.JobTypeService, map[string]any{})
	srv.upsertAlloc(a)
	waitFor(t, "running", func() bool { return srv.alloc(a.ID).ClientStatus == drover.AllocClientStatusRunning })
	stop := srv.alloc(a.ID)
	stop.DesiredStatus = drover.AllocDesiredStatusStop
	srv.upsertAlloc(stop)
	waitFor(t, "complete", func() bool { return srv.alloc(a.ID).ClientStatus == drover.AllocClientStatusComplete })
	if drv.Running("web") != 0 {
		t.Fatal("task still running")
	}
	dir := filepath.Join(c.cfg.AllocDir, a.ID)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("alloc dir gone too early: %v", err)
	}
	srv.deleteAlloc(a.ID)
	waitFor(t, "alloc dir removed", func() bool { _, err := os.Stat(dir); return os.IsNotExist(err) })
}

func TestClientRetriesRegisterAndReregisters(t *testing.T) {
	srv := newFakeServer()
	srv.ttl = 20 * time.Millisecond
	register := srv.Register
	var fails atomic.Int32
	srv.Register = func(req *drover.NodeRegisterRequest, resp *drover.NodeUpdateResponse) error {
		if fails.Add(1) <= 2 {
			return drover.Errorf(drover.ErrNoLeader, "no leader")
		}
		return register(req, resp)
	}
	c := startClient(t, srv, fakedriver.New("fake"), nil)
	defer c.stop(t)
	waitFor(t, "heartbeat", func() bool { _, hb, _ := srv.counts(); return hb >= 1 })
	// The servers forget the node: the next heartbeat gets ErrNotFound and
	// the client registers again.
	srv.mu.Lock()
	delete(srv.nodes, c.NodeID())
	srv.mu.Unlock()
	waitFor(t, "re-register", func() bool { r, _, _ := srv.counts(); return r == 2 })
}

func TestClientRestartRecoversRunningTask(t *testing.T) {
	srv := newFakeServer()
	drv := fakedriver.New("fake")
	stateDir, allocDir := t.TempDir(), testutil.AllocRoot(t)
	mod := func(cfg *Config) { cfg.StateDir, cfg.AllocDir, cfg.DevMode = stateDir, allocDir, false }
	c1 := startClient(t, srv, drv, mod)
	waitFor(t, "register", func() bool { r, _, _ := srv.counts(); return r == 1 })
	a := testAlloc(c1.NodeID(), drover.JobTypeService, map[string]any{})
	srv.upsertAlloc(a)
	waitFor(t, "running", func() bool { return srv.alloc(a.ID).ClientStatus == drover.AllocClientStatusRunning })
	c1.stop(t)
	if drv.Running("web") != 1 {
		t.Fatal("non-dev shutdown stopped the task")
	}
	_, _, before := srv.counts()
	queries := srv.queryCount()

	c2 := startClient(t, srv, drv, mod)
	defer c2.stop(t)
	if c2.NodeID() != c1.NodeID() {
		t.Fatalf("node ID changed: %s → %s", c1.NodeID(), c2.NodeID())
	}
	waitFor(t, "update from the restarted client", func() bool { _, _, n := srv.counts(); return n > before })
	// Let a sync round pass (the second query means the first answer was
	// applied); the alloc must not be started again.
	waitFor(t, "a sync round", func() bool { return srv.queryCount() >= queries+2 })
	ts := srv.alloc(a.ID).TaskStates["web"]
	started := 0
	for _, e := range ts.Events {
		if e.Type == drover.TaskStarted {
			started++
		}
	}
	if drv.Starts("web") != 1 || started != 1 || ts.Restarts != 0 || ts.State != drover.TaskStateRunning {
		t.Fatalf("starts %d, Started events %d, restarts %d, state %s", drv.Starts("web"), started, ts.Restarts, ts.State)
	}
	// The reattached task is still managed: stopping the alloc kills it.
	stop := srv.alloc(a.ID)
	stop.DesiredStatus = drover.AllocDesiredStatusStop
	srv.upsertAlloc(stop)
	waitFor(t, "stopped", func() bool { return drv.Running("web") == 0 })
}

func TestClientCorruptStateMovedAside(t *testing.T) {
	stateDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(stateDir, clientstate.FileName), []byte(strings.Repeat("not bolt", 600)), 0o600); err != nil {
		t.Fatal(err)
	}
	c := startClient(t, newFakeServer(), fakedriver.New("fake"), func(cfg *Config) { cfg.StateDir = stateDir })
	defer c.stop(t)
	aside, _ := filepath.Glob(filepath.Join(stateDir, clientstate.FileName+".corrupt-*"))
	if len(aside) != 1 {
		t.Fatalf("corrupt file not moved aside: %v", aside)
	}
}

func TestAllocLogs(t *testing.T) {
	srv := newFakeServer()
	c := startClient(t, srv, fakedriver.New("fake"), nil)
	defer c.stop(t)
	waitFor(t, "register", func() bool { r, _, _ := srv.counts(); return r == 1 })
	a := testAlloc(c.NodeID(), drover.JobTypeService, map[string]any{"stdout": "hello from ${NOMAD_ALLOC_NAME}\n"})
	srv.upsertAlloc(a)
	waitFor(t, "running", func() bool { return srv.alloc(a.ID).ClientStatus == drover.AllocClientStatusRunning })

	r, err := c.AllocLogs(context.Background(), a.ID, "web", "stdout", "start", 0, false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "hello from j.g[0]\n" {
		t.Fatalf("logs %q", b)
	}
	tests := []struct {
		alloc, task, stream string
		want                error
	}{
		{"nope", "web", "stdout", drover.ErrNotFound},
		{a.ID, "nope", "stdout", drover.ErrNotFound},
		{a.ID, "web", "stdin", drover.ErrInvalid},
	}
	for _, tt := range tests {
		if _, err := c.AllocLogs(context.Background(), tt.alloc, tt.task, tt.stream, "start", 0, false); !errors.Is(err, tt.want) {
			t.Errorf("AllocLogs(%s, %s, %s) = %v, want %v", tt.alloc, tt.task, tt.stream, err, tt.want)
		}
	}
}

func TestDevShutdownStopsTasks(t *testing.T) {
	srv := newFakeServer()
	drv := fakedriver.New("fake")
	c := startClient(t, srv, drv, nil)
	waitFor(t, "register", func() bool { r, _, _ := srv.counts(); return r == 1 })
	a := testAlloc(c.NodeID(), drover.JobTypeService, map[string]any{})
	srv.upsertAlloc(a)
	waitFor(t, "running", func() bool { return drv.Running("web") == 1 })
	// The agent calls Shutdown without cancelling Run's context first.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-c.done; err != nil {
		t.Fatal(err)
	}
	defer c.cancel()
	if drv.Running("web") != 0 {
		t.Fatal("dev shutdown left the task running")
	}
	if got := srv.alloc(a.ID).ClientStatus; got != drover.AllocClientStatusComplete {
		t.Fatalf("last status sent %q: the final update was not flushed", got)
	}
}

func TestIdentityPersists(t *testing.T) {
	dir := t.TempDir()
	id1, s1, err := identity(dir)
	if err != nil {
		t.Fatal(err)
	}
	id2, s2, _ := identity(dir)
	if id1 != id2 || s1 != s2 || id1 == s1 {
		t.Fatalf("identity %s/%s then %s/%s", id1, s1, id2, s2)
	}
	d1, _, _ := identity("")
	d2, _, _ := identity("")
	if d1 == d2 {
		t.Fatal("dev identity repeated")
	}
}

func TestDriverHealthChangeReregisters(t *testing.T) {
	srv := newFakeServer()
	drv := fakedriver.New("fake")
	c := startClient(t, srv, drv, func(cfg *Config) { cfg.FingerprintInterval = 10 * time.Millisecond })
	defer c.stop(t)
	waitFor(t, "register", func() bool { r, _, _ := srv.counts(); return r == 1 })
	drv.SetHealthy(false)
	waitFor(t, "re-register", func() bool { r, _, _ := srv.counts(); return r >= 2 })
	srv.mu.Lock()
	n := srv.nodes[c.NodeID()]
	srv.mu.Unlock()
	if n.Drivers["fake"].Healthy || n.Drivers["fake"].HealthDescription != "broken" {
		t.Fatalf("driver info %+v", n.Drivers["fake"])
	}
	if _, ok := n.Attributes["driver.fake"]; ok {
		t.Fatal("unhealthy driver still advertised")
	}
	if _, ok := n.Attributes["driver.fake.version"]; ok {
		t.Fatal("stale driver attribute kept")
	}
}
