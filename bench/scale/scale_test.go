package scale

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/api"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestSmallScale runs the whole system at a small scale: 50 simulated nodes,
// a 200-allocation job submitted over HTTP. Every allocation must reach
// running, and no node may hold more than its resources.
func TestSmallScale(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := StartServer(ctx, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(context.Background())

	// 200 allocations of 500 MHz / 512 MB on 50 nodes of 4000 MHz / 4096 MB:
	// 400 fit, so the scheduler must spread them without overfilling.
	const nodes, allocs = 50, 200
	res, err := Run(ctx, Scenario{RPCAddr: a.RPCAddr(), HTTPAddr: a.HTTPAddr(), Nodes: nodes, Allocs: allocs,
		Groups: 2, TaskCPU: 500, TaskMemoryMB: 512, NodeCPU: 4000, NodeMemoryMB: 4096,
		Idle: 200 * time.Millisecond, ServerStats: SelfStats})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Stop()
	t.Logf("register %v, all running %v (submit %v), idle CPU %v, sim %+v", res.Register, res.AllRunning, res.Submit, res.IdleCPU, res.Sim)
	if res.AllRunning <= 0 || res.Register <= 0 {
		t.Errorf("durations not measured: %+v", res)
	}
	if res.Sim.Running < allocs {
		t.Errorf("simulator reported %d running, want %d", res.Sim.Running, allocs)
	}
	if res.Sim.HeartbeatErrors != 0 || res.Sim.SyncErrors != 0 || res.Sim.UpdateErrors != 0 {
		t.Errorf("simulator errors: %+v", res.Sim)
	}
	checkNotOversubscribed(t, a.HTTPAddr(), res.Simulator.Nodes(), allocs)

	t.Run("batch run_for completes", func(t *testing.T) { testBatchCompletes(t, ctx, a.HTTPAddr()) })
}

// checkNotOversubscribed sums each node's live allocations against its
// resources and counts them.
func checkNotOversubscribed(t *testing.T, httpAddr string, nodes []*drover.Node, want int) {
	t.Helper()
	c, err := api.NewClient(api.Config{Address: "http://" + httpAddr})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range nodes {
		allocs, _, err := c.Nodes().Allocations(n.ID, nil)
		if err != nil {
			t.Fatalf("node %s allocations: %v", n.Name, err)
		}
		var cpu, mem int64
		for _, al := range allocs {
			if al.ServerTerminal() || al.ClientTerminal() {
				continue
			}
			if al.ClientStatus != drover.AllocClientStatusRunning {
				t.Errorf("alloc %s on %s is %q, want running", al.ID, n.Name, al.ClientStatus)
			}
			total++
			for _, tr := range al.AllocatedResources.Tasks {
				cpu += tr.Cpu.CpuShares
				mem += tr.Memory.MemoryMB
			}
		}
		if cpu > n.NodeResources.Cpu.CpuShares || mem > n.NodeResources.Memory.MemoryMB {
			t.Errorf("node %s oversubscribed: %d MHz, %d MB of %d MHz, %d MB", n.Name, cpu, mem,
				n.NodeResources.Cpu.CpuShares, n.NodeResources.Memory.MemoryMB)
		}
	}
	if total != want {
		t.Errorf("%d live allocations on the nodes, want %d", total, want)
	}
}

// testBatchCompletes submits a batch job whose mock tasks set run_for: the
// simulator must report each allocation complete after it.
func testBatchCompletes(t *testing.T, ctx context.Context, httpAddr string) {
	c, err := api.NewClient(api.Config{Address: "http://" + httpAddr})
	if err != nil {
		t.Fatal(err)
	}
	job := Job("sim-batch", 10, 1, 100, 64)
	job.Type = drover.JobTypeBatch
	job.TaskGroups[0].Tasks[0].Config["run_for"] = "20ms"
	if _, _, err := c.Jobs().Register(job, nil); err != nil {
		t.Fatal(err)
	}
	var index uint64
	for {
		sum, meta, err := c.Jobs().Summary(job.ID, &api.QueryOptions{WaitIndex: index, WaitTime: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Summary["g0"].Complete == 10 {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("batch allocations never completed: %+v", sum.Summary)
		}
		index = meta.LastIndex
	}
}
