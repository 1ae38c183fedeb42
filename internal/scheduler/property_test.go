package scheduler_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

// TestPropertyNeverOversubscribes places random job mixes (counts,
// resources, static and dynamic ports, updates and scale changes) on random
// small clusters and checks after every evaluation that no node is given
// more CPU, memory or disk than it has, and no host port twice.
func TestPropertyNeverOversubscribes(t *testing.T) {
	iterations := 300
	if testing.Short() {
		iterations = 50
	}
	placed, failed := 0, 0
	defer func() {
		// The mix must exercise both outcomes, or it proves nothing.
		if placed == 0 || failed == 0 {
			t.Errorf("placed %d, failed evals %d: the random mix is too easy or too hard", placed, failed)
		}
		t.Logf("%d allocations live at the ends of evaluations, %d evaluations with failed placements", placed, failed)
	}()
	for it := range iterations {
		rng := rand.New(rand.NewPCG(uint64(it), 42))
		h := schedtest.New()
		nodes := schedtest.Nodes(1 + rng.IntN(6))
		for _, n := range nodes {
			n.NodeResources.Cpu.CpuShares = int64(500 + rng.IntN(4000))
			n.NodeResources.Memory.MemoryMB = int64(512 + rng.IntN(4096))
			n.NodeResources.Disk.DiskMB = int64(500 + rng.IntN(5000))
			n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 20000, 20000+rng.IntN(30)
			n.ReservedResources = &drover.NodeReservedResources{
				Cpu:      drover.NodeCpuResources{CpuShares: int64(rng.IntN(200))},
				Networks: drover.NodeReservedNetworkResources{ReservedHostPorts: fmt.Sprintf("%d,8080", 20000+rng.IntN(10))},
			}
			h.UpsertNode(n)
		}
		var jobs []*drover.Job
		for j := range 1 + rng.IntN(4) {
			job := randomJob(rng, fmt.Sprintf("job%d", j))
			jobs = append(jobs, job)
			h.UpsertJob(job)
			if ev := process(t, h, job); len(ev.FailedTGAllocs) > 0 {
				failed++
			}
			placed += checkInvariants(t, it, h, nodes)
		}
		// Change some jobs: scale, or a new version with new asks.
		for _, job := range jobs {
			if rng.IntN(2) == 0 {
				continue
			}
			next := randomJob(rng, job.ID)
			next.Version = job.Version + 1
			h.UpsertJob(next)
			if ev := process(t, h, next); len(ev.FailedTGAllocs) > 0 {
				failed++
			}
			placed += checkInvariants(t, it, h, nodes)
		}
		if t.Failed() {
			return
		}
	}
}

func randomJob(rng *rand.Rand, id string) *drover.Job {
	job := schedtest.Job(id, rng.IntN(8))
	if rng.IntN(3) == 0 {
		job.Type = drover.JobTypeBatch
	}
	tg := job.TaskGroups[0]
	tg.EphemeralDisk.SizeMB = 10 + rng.IntN(800)
	r := tg.Tasks[0].Resources
	r.CPU, r.MemoryMB = 50+rng.IntN(1500), 32+rng.IntN(1500)
	if rng.IntN(2) == 0 {
		tg.Tasks = append(tg.Tasks, &drover.Task{Name: "side", Driver: "exec",
			Resources: &drover.Resources{CPU: 20 + rng.IntN(300), MemoryMB: 16 + rng.IntN(300)}})
	}
	switch rng.IntN(4) {
	case 0:
		tg.Networks = []*drover.NetworkResource{{ReservedPorts: []drover.Port{{Label: "http", Value: 8000 + rng.IntN(3)}}}}
	case 1:
		tg.Networks = []*drover.NetworkResource{{DynamicPorts: []drover.Port{{Label: "a"}, {Label: "b"}}}}
	case 2:
		r.Networks = []*drover.NetworkResource{{DynamicPorts: []drover.Port{{Label: "c"}}, ReservedPorts: []drover.Port{{Label: "s", Value: 9000 + rng.IntN(2)}}}}
	}
	return job
}

// checkInvariants checks every node and returns how many live allocations
// the cluster holds.
func checkInvariants(t *testing.T, it int, h *schedtest.Harness, nodes []*drover.Node) (live int) {
	t.Helper()
	for _, n := range nodes {
		allocs, _ := h.AllocsByNode(n.ID)
		var cpu, mem, disk int64
		ports := map[int]string{}
		reserved := map[int]bool{8080: true}
		var first int
		fmt.Sscanf(n.ReservedResources.Networks.ReservedHostPorts, "%d,", &first)
		reserved[first] = true
		for _, a := range allocs {
			if a.Terminal() {
				continue
			}
			live++
			ar := a.AllocatedResources
			for _, tr := range ar.Tasks {
				cpu += tr.Cpu.CpuShares
				mem += tr.Memory.MemoryMB
			}
			disk += ar.Shared.DiskMB
			mine := map[int]bool{}
			add := func(p int) {
				if mine[p] {
					return
				}
				mine[p] = true
				if other, ok := ports[p]; ok {
					t.Errorf("iteration %d: node %s: port %d given to %s and %s", it, n.ID, p, other, a.ID)
				}
				if reserved[p] {
					t.Errorf("iteration %d: node %s: reserved port %d given to %s", it, n.ID, p, a.Name)
				}
				ports[p] = a.ID
			}
			for _, tr := range ar.Tasks {
				for _, nw := range tr.Networks {
					for _, p := range append(append([]drover.Port(nil), nw.ReservedPorts...), nw.DynamicPorts...) {
						add(p.Value)
					}
				}
			}
			for _, p := range ar.Shared.Ports {
				add(p.Value)
			}
		}
		res := n.ReservedResources
		if cpu > n.NodeResources.Cpu.CpuShares-res.Cpu.CpuShares || mem > n.NodeResources.Memory.MemoryMB || disk > n.NodeResources.Disk.DiskMB {
			t.Errorf("iteration %d: node %s oversubscribed: cpu %d/%d mem %d/%d disk %d/%d", it, n.ID,
				cpu, n.NodeResources.Cpu.CpuShares-res.Cpu.CpuShares, mem, n.NodeResources.Memory.MemoryMB, disk, n.NodeResources.Disk.DiskMB)
		}
	}
	return live
}
