package server

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

// planAlloc is a new allocation of job on node taking cpu MHz and the given ports.
func planAlloc(job *drover.Job, node string, cpu int64, ports ...int) *drover.Allocation {
	var dyn []drover.Port
	for _, p := range ports {
		dyn = append(dyn, drover.Port{Label: "p", Value: p})
	}
	return &drover.Allocation{
		ID: drover.GenerateID(), Namespace: job.Namespace, JobID: job.ID, Job: job, TaskGroup: "web",
		Name: drover.AllocName(job.ID, "web", 0), NodeID: node,
		DesiredStatus: drover.AllocDesiredStatusRun, ClientStatus: drover.AllocClientStatusPending,
		AllocatedResources: &drover.AllocatedResources{
			Tasks: map[string]*drover.AllocatedTaskResources{"server": {
				Cpu: drover.AllocatedCpuResources{CpuShares: cpu}, Memory: drover.AllocatedMemoryResources{MemoryMB: 64},
			}},
			Shared: drover.AllocatedSharedResources{DiskMB: 10, Networks: []*drover.NetworkResource{{DynamicPorts: dyn}}},
		},
	}
}

func TestPlanApplierRejectsNodeThatFilledUp(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.NumSchedulers = 1 })
	small := schedtest.Node("small") // 4000 MHz
	registerNode(t, s, small)
	registerNode(t, s, schedtest.Node("big"))
	job := schedtest.Job("web", 0)
	reg := registerJob(t, s, job)
	// The registration's own evaluation must be done before the plans below
	// are applied by hand: run after them, it would rightly stop their
	// allocations (count is 0) and free the nodes this test fills.
	waitFor(t, 10*time.Second, "the registration eval to complete", func() bool {
		e := evalOf(t, s, reg.EvalID)
		return e != nil && e.Terminal()
	})
	stored, _ := s.State().JobByID(nil, "default", "web")
	ctx := context.Background()

	// Something else took most of the node meanwhile.
	first := &drover.Plan{EvalID: drover.GenerateID(), Job: stored}
	first.AppendAlloc(planAlloc(stored, "small", 3000))
	res, err := s.applyPlan(ctx, &pendingPlan{plan: first})
	if err != nil || res.RefreshIndex != 0 || res.AllocIndex == 0 {
		t.Fatalf("first plan: %+v %v", res, err)
	}

	// A plan made from an older snapshot: its "small" part no longer fits.
	stale := &drover.Plan{EvalID: drover.GenerateID(), Job: stored}
	stale.AppendAlloc(planAlloc(stored, "small", 2000))
	stale.AppendAlloc(planAlloc(stored, "big", 2000))
	res, err = s.applyPlan(ctx, &pendingPlan{plan: stale})
	if err != nil {
		t.Fatal(err)
	}
	if res.RefreshIndex == 0 {
		t.Fatal("partial commit without RefreshIndex")
	}
	if len(res.NodeAllocation["small"]) != 0 || len(res.NodeAllocation["big"]) != 1 {
		t.Fatalf("committed %v, want only big's placement", res.NodeAllocation)
	}
	if full, _, _ := res.FullCommit(stale); full {
		t.Fatal("FullCommit reports a partial commit as full")
	}
	onSmall, _ := s.State().AllocsByNode(nil, "small")
	if len(onSmall) != 1 {
		t.Fatalf("small has %d allocs, want 1", len(onSmall))
	}

	// AllAtOnce: one bad node rejects everything.
	all := &drover.Plan{EvalID: drover.GenerateID(), Job: stored, AllAtOnce: true}
	all.AppendAlloc(planAlloc(stored, "small", 2000))
	all.AppendAlloc(planAlloc(stored, "big", 100))
	res, err = s.applyPlan(ctx, &pendingPlan{plan: all})
	if err != nil || len(res.NodeAllocation) != 0 || res.RefreshIndex == 0 {
		t.Fatalf("all-at-once: %+v %v", res, err)
	}

	// A plan whose evaluation is not outstanding under its token is refused.
	if _, err := s.applyPlan(ctx, &pendingPlan{plan: all, token: "stale-token"}); err == nil {
		t.Fatal("plan with a stale token applied")
	}
}

func TestAllocsFit(t *testing.T) {
	job := schedtest.Job("web", 1)
	node := schedtest.Node("n")
	node.ReservedResources = &drover.NodeReservedResources{
		Cpu:      drover.NodeCpuResources{CpuShares: 500},
		Networks: drover.NodeReservedNetworkResources{ReservedHostPorts: "22,8000-8001"},
	}
	tests := []struct {
		name   string
		allocs []*drover.Allocation
		fits   bool
	}{
		{"empty", nil, true},
		{"within cpu", []*drover.Allocation{planAlloc(job, "n", 1500), planAlloc(job, "n", 2000)}, true},
		{"cpu over reserved", []*drover.Allocation{planAlloc(job, "n", 2000), planAlloc(job, "n", 1600)}, false},
		{"distinct ports", []*drover.Allocation{planAlloc(job, "n", 10, 20001), planAlloc(job, "n", 10, 20002)}, true},
		{"port twice", []*drover.Allocation{planAlloc(job, "n", 10, 20001), planAlloc(job, "n", 10, 20001)}, false},
		{"reserved port", []*drover.Allocation{planAlloc(job, "n", 10, 8001)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := allocsFit(node, tt.allocs); got != tt.fits {
				t.Fatalf("allocsFit = %v, want %v", got, tt.fits)
			}
		})
	}
}

func TestNodeFitsChecksNodeState(t *testing.T) {
	s := newTestServer(t, nil)
	job := schedtest.Job("web", 1)
	down := schedtest.Node("down")
	registerNode(t, s, down)
	drain := schedtest.Node("drain")
	drain.Drain = true
	registerNode(t, s, drain)
	if err := s.markNodeDown(context.Background(), "down"); err != nil {
		t.Fatal(err)
	}
	for _, node := range []string{"down", "drain", "missing"} {
		plan := &drover.Plan{}
		plan.AppendAlloc(planAlloc(job, node, 10))
		ok, err := nodeFits(s.State(), plan, node)
		if err != nil || ok {
			t.Errorf("node %s: fits=%v err=%v, want rejected", node, ok, err)
		}
	}
	// Stops alone are always accepted.
	plan := &drover.Plan{}
	plan.AppendStop(planAlloc(job, "missing", 10), "gone")
	if ok, _ := nodeFits(s.State(), plan, "missing"); !ok {
		t.Error("stop-only plan rejected")
	}
}
