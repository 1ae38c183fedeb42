package client

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/allocrunner"
	"github.com/drover-sh/drover/internal/client/internal/fakedriver"
)

// gcFixture runs, one after the other, n batch allocations that complete,
// then one service allocation that keeps running. It returns the client,
// the completed allocations oldest first and the running one. The client's
// GC.MaxAllocs is set to maxAllocs (0: the default) only then, so that
// setting up does not collect.
func gcFixture(t *testing.T, n, maxAllocs int, mod func(*GCConfig)) (*testClient, *fakeServer, []*drover.Allocation, *drover.Allocation) {
	t.Helper()
	srv := newFakeServer()
	c := startClient(t, srv, fakedriver.New("fake"), func(cfg *Config) {
		cfg.GC.Interval = time.Hour // tests collect by hand unless mod says otherwise
		cfg.GC.Usage = func(string) (DiskUsage, error) { return DiskUsage{}, nil }
		if mod != nil {
			mod(&cfg.GC)
		}
	})
	t.Cleanup(func() { c.stop(t) })
	waitFor(t, "register", func() bool { r, _, _ := srv.counts(); return r >= 1 })
	var done []*drover.Allocation
	for range n {
		a := testAlloc(c.NodeID(), drover.JobTypeBatch, map[string]any{"run_for": "1ms"})
		srv.upsertAlloc(a)
		waitFor(t, "complete", func() bool { return srv.alloc(a.ID).ClientStatus == drover.AllocClientStatusComplete })
		done = append(done, a)
	}
	run := testAlloc(c.NodeID(), drover.JobTypeService, map[string]any{})
	srv.upsertAlloc(run)
	waitFor(t, "running", func() bool { return srv.alloc(run.ID).ClientStatus == drover.AllocClientStatusRunning })
	if maxAllocs > 0 {
		c.mu.Lock()
		c.cfg.GC.MaxAllocs = maxAllocs
		c.mu.Unlock()
	}
	return c, srv, done, run
}

// kept reports which of allocs still have a runner, a directory and a
// local state entry; it fails the test when those disagree.
func kept(t *testing.T, c *testClient, allocs ...*drover.Allocation) []bool {
	t.Helper()
	recorded, err := c.state.Allocs()
	if err != nil {
		t.Fatal(err)
	}
	var out []bool
	for _, a := range allocs {
		c.mu.Lock()
		runner := c.runners[a.ID] != nil
		c.mu.Unlock()
		_, statErr := os.Stat(filepath.Join(c.cfg.AllocDir, a.ID))
		dir := statErr == nil
		state := slices.ContainsFunc(recorded, func(r *drover.Allocation) bool { return r.ID == a.ID })
		if runner != dir || dir != state {
			t.Fatalf("alloc %s: runner %v, dir %v, state %v", a.ID, runner, dir, state)
		}
		out = append(out, runner)
	}
	return out
}

func TestGCByCountRemovesOldestTerminal(t *testing.T) {
	c, srv, done, run := gcFixture(t, 3, 2, nil)
	n, err := c.collectGarbage()
	if err != nil || n != 2 {
		t.Fatalf("collected %d, %v; want 2", n, err)
	}
	if got := kept(t, c, done[0], done[1], done[2], run); !slices.Equal(got, []bool{false, false, true, true}) {
		t.Fatalf("kept %v: want the two oldest terminal allocations gone", got)
	}
	// The servers still list the collected allocations; a newer version of
	// one must not run it again.
	again := srv.alloc(done[0].ID)
	again.ClientStatus = drover.AllocClientStatusPending
	srv.upsertAlloc(again)
	marker := testAlloc(c.NodeID(), drover.JobTypeService, map[string]any{})
	srv.upsertAlloc(marker)
	waitFor(t, "marker running", func() bool { return srv.alloc(marker.ID).ClientStatus == drover.AllocClientStatusRunning })
	if kept(t, c, done[0])[0] {
		t.Fatal("a collected allocation was run again")
	}
	// The marker took the client over the limit: that alone (the interval
	// is an hour) collects the last terminal allocation, and only it.
	// The collection runs on its own goroutine: the runner is forgotten
	// first, then its directory and state are removed.
	waitFor(t, "the new allocation to make room", func() bool {
		c.mu.Lock()
		runner := c.runners[done[2].ID] != nil
		c.mu.Unlock()
		_, statErr := os.Stat(filepath.Join(c.cfg.AllocDir, done[2].ID))
		recorded, err := c.state.Allocs()
		return !runner && os.IsNotExist(statErr) && err == nil &&
			!slices.ContainsFunc(recorded, func(r *drover.Allocation) bool { return r.ID == done[2].ID })
	})
	if got := kept(t, c, done[2], run, marker); !slices.Equal(got, []bool{false, true, true}) {
		t.Fatalf("kept %v: running allocations must stay", got)
	}
	if n, err := c.collectGarbage(); err != nil || n != 0 {
		t.Fatalf("a pass with only running allocations collected %d, %v", n, err)
	}
}

func TestGCByDiskUsage(t *testing.T) {
	var c *testClient
	// Usage grows with the allocation directories left: 3 terminal + 1
	// running = 100%, each removal frees 15%.
	usage := func(string) (DiskUsage, error) {
		entries, err := os.ReadDir(c.cfg.AllocDir)
		return DiskUsage{UsedPercent: 40 + 15*float64(len(entries))}, err
	}
	c, _, done, run := gcFixture(t, 3, 0, func(g *GCConfig) {
		g.Usage = func(dir string) (DiskUsage, error) { return usage(dir) }
	})
	n, err := c.collectGarbage()
	if err != nil || n != 2 {
		t.Fatalf("collected %d, %v; want 2 (100%% → 85%% → 70%%)", n, err)
	}
	if got := kept(t, c, done[0], done[1], done[2], run); !slices.Equal(got, []bool{false, false, true, true}) {
		t.Fatalf("kept %v", got)
	}
}

func TestGCNeverRemovesRunning(t *testing.T) {
	var calls atomic.Int32
	c, _, done, run := gcFixture(t, 2, 0, func(g *GCConfig) {
		g.Usage = func(string) (DiskUsage, error) {
			calls.Add(1)
			return DiskUsage{UsedPercent: 10, InodesUsedPercent: 99}, nil // inodes full, forever
		}
	})
	n, err := c.collectGarbage()
	if err != nil || n != 2 {
		t.Fatalf("collected %d, %v; want every terminal allocation", n, err)
	}
	if got := kept(t, c, done[0], done[1], run); !slices.Equal(got, []bool{false, false, true}) {
		t.Fatalf("kept %v: the running allocation must stay", got)
	}
	if calls.Load() != 2 {
		t.Errorf("usage measured %d times; want once per removal and no more once nothing is left", calls.Load())
	}
}

func TestGCUsageErrorReported(t *testing.T) {
	c, _, done, _ := gcFixture(t, 1, 0, func(g *GCConfig) {
		g.Usage = func(string) (DiskUsage, error) { return DiskUsage{}, errors.New("statfs broke") }
	})
	n, err := c.collectGarbage()
	if n != 0 || err == nil || !strings.Contains(err.Error(), "statfs broke") {
		t.Fatalf("collectGarbage = %d, %v; want the usage error", n, err)
	}
	if !kept(t, c, done[0])[0] {
		t.Fatal("removed without knowing the usage")
	}
}

func TestCollectAllGarbage(t *testing.T) {
	c, _, done, run := gcFixture(t, 2, 0, nil)
	n, err := c.CollectAllGarbage()
	if err != nil || n != 2 {
		t.Fatalf("collected %d, %v", n, err)
	}
	if got := kept(t, c, done[0], done[1], run); !slices.Equal(got, []bool{false, false, true}) {
		t.Fatalf("kept %v", got)
	}
}

func TestGCLoopRunsOnInterval(t *testing.T) {
	c, _, done, run := gcFixture(t, 2, 2, func(g *GCConfig) { g.Interval = 20 * time.Millisecond })
	waitFor(t, "the oldest terminal allocation collected", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.runners[done[0].ID] == nil
	})
	if got := kept(t, c, done[1], run); !slices.Equal(got, []bool{true, true}) {
		t.Fatalf("kept %v: only one over the limit", got)
	}
}

func TestGCDefaults(t *testing.T) {
	var g GCConfig
	g.setDefaults()
	if g.Interval != time.Minute || g.MaxAllocs != 50 || g.DiskUsageThreshold != 80 || g.InodeUsageThreshold != 70 || g.Usage == nil {
		t.Fatalf("defaults %+v", g)
	}
	u, err := StatfsUsage(t.TempDir())
	if err != nil || u.UsedPercent <= 0 || u.UsedPercent > 100 || u.InodesUsedPercent < 0 || u.InodesUsedPercent > 100 {
		t.Fatalf("statfs usage %+v, %v", u, err)
	}
	if _, err := StatfsUsage("/does/not/exist"); err == nil {
		t.Fatal("statfs of a missing dir succeeded")
	}
}

func TestCollectAllocGarbage(t *testing.T) {
	c, _, done, run := gcFixture(t, 2, 0, nil)
	if err := c.CollectAllocGarbage(done[1].ID); err != nil {
		t.Fatal(err)
	}
	if got := kept(t, c, done[0], done[1], run); !slices.Equal(got, []bool{true, false, true}) {
		t.Fatalf("kept %v: only the one asked for goes", got)
	}
	if err := c.CollectAllocGarbage(run.ID); !errors.Is(err, drover.ErrConflict) || !strings.Contains(err.Error(), "running") {
		t.Errorf("collecting a running allocation: %v", err)
	}
	if err := c.CollectAllocGarbage(done[1].ID); !errors.Is(err, drover.ErrNotFound) {
		t.Errorf("collecting it twice: %v", err)
	}
	if !kept(t, c, run)[0] {
		t.Fatal("the running allocation was removed")
	}
}

// TestGCKeepsUnreportedAllocs: a terminal allocation whose final status
// has not reached the servers is kept, so that a restarted client is never
// asked to run it again; once reported, it is collected.
func TestGCKeepsUnreportedAllocs(t *testing.T) {
	srv := newFakeServer()
	var fail atomic.Bool
	send := srv.UpdateAlloc
	srv.UpdateAlloc = func(req *drover.AllocUpdateRequest, resp *drover.GenericResponse) error {
		if fail.Load() {
			return errors.New("servers unreachable")
		}
		return send(req, resp)
	}
	c := startClient(t, srv, fakedriver.New("fake"), func(cfg *Config) {
		cfg.GC.Interval = time.Hour
		cfg.GC.Usage = func(string) (DiskUsage, error) { return DiskUsage{}, nil }
	})
	defer c.stop(t)
	waitFor(t, "register", func() bool { r, _, _ := srv.counts(); return r >= 1 })
	fail.Store(true)
	a := testAlloc(c.NodeID(), drover.JobTypeBatch, map[string]any{"run_for": "1ms"})
	srv.upsertAlloc(a)
	waitFor(t, "the allocation to end locally", func() bool {
		c.mu.Lock()
		ar := c.runners[a.ID]
		c.mu.Unlock()
		return ar != nil && ar.Alloc().ClientStatus == drover.AllocClientStatusComplete
	})
	if n, err := c.CollectAllGarbage(); err != nil || n != 0 {
		t.Fatalf("collected %d, %v while the servers do not know the allocation ended", n, err)
	}
	if err := c.CollectAllocGarbage(a.ID); !errors.Is(err, drover.ErrConflict) || !strings.Contains(err.Error(), "not reached the servers") {
		t.Fatalf("CollectAllocGarbage = %v", err)
	}
	fail.Store(false)
	waitFor(t, "the final status sent", func() bool { return srv.alloc(a.ID).ClientStatus == drover.AllocClientStatusComplete })
	waitFor(t, "the allocation collected", func() bool {
		n, err := c.CollectAllGarbage()
		return err == nil && n == 1
	})
	if kept(t, c, a)[0] {
		t.Fatal("still there")
	}
}

// The collector removes at most GC.ParallelDestroys allocations at once,
// and does run that many side by side.
func TestGCParallelDestroysBounded(t *testing.T) {
	for _, parallel := range []int{1, 3} {
		t.Run(strconv.Itoa(parallel), func(t *testing.T) {
			c, _, done, run := gcFixture(t, 6, 0, func(g *GCConfig) { g.ParallelDestroys = parallel })
			var (
				mu             sync.Mutex
				inflight, peak int
			)
			release := make(chan struct{})
			c.destroys.destroy = func(ar *allocrunner.AllocRunner) error {
				mu.Lock()
				inflight++
				peak = max(peak, inflight)
				mu.Unlock()
				<-release
				mu.Lock()
				inflight--
				mu.Unlock()
				return ar.Destroy()
			}
			type result struct {
				n   int
				err error
			}
			res := make(chan result, 1)
			go func() {
				n, err := c.CollectAllGarbage()
				res <- result{n, err}
			}()
			for i := range done {
				// As many as the bound allows are under way before one ends.
				want := min(parallel, len(done)-i)
				waitFor(t, "destroys to start", func() bool {
					mu.Lock()
					defer mu.Unlock()
					return inflight >= want
				})
				mu.Lock()
				if peak > parallel {
					mu.Unlock()
					t.Fatalf("%d destroys at once, bound %d", peak, parallel)
				}
				mu.Unlock()
				release <- struct{}{}
			}
			r := <-res
			if r.err != nil || r.n != len(done) {
				t.Fatalf("collected %d, %v; want %d", r.n, r.err, len(done))
			}
			if peak != parallel {
				t.Fatalf("at most %d destroys ran at once, want the bound %d reached", peak, parallel)
			}
			if got := kept(t, c, append(done, run)...); slices.Contains(got[:len(done)], true) || !got[len(done)] {
				t.Fatalf("kept %v: every terminal allocation must go, the running one stay", got)
			}
		})
	}
}
