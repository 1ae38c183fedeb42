package feasible

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"

	drover "github.com/drover-sh/drover"
)

// TestAccountingStaysConsistent drives one EvalContext through random
// sequences of what a plan does (stops, placements chosen by Select that
// may preempt, migrations' Supersede with and without restore) and checks
// after every step that what the context keeps incrementally equals what
// it would build from scratch: each node's usage (CPU, memory, disk, port
// holders, dynamic ports taken, the job's groups) from the allocations
// still running, and the job's property counts from its live allocations
// that are not superseded.
func TestAccountingStaysConsistent(t *testing.T) {
	preempted, superseded := 0, 0
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 3))
		w := newAccountingWorld(rng)
		for step := range 40 {
			w.randomStep(t, rng)
			if msg := w.check(); msg != "" {
				t.Fatalf("seed %d step %d: %s", seed, step, msg)
			}
		}
		preempted, superseded = preempted+w.preempted, superseded+len(w.superseded)
	}
	// The sequences must exercise preemption and migrations, or they
	// prove less than they say.
	if preempted == 0 || superseded == 0 {
		t.Errorf("preempted %d, superseded at the end %d", preempted, superseded)
	}
}

// accountingWorld is a context over random allocations and the truth it
// is compared with.
type accountingWorld struct {
	job        *drover.Job
	nodes      []*drover.Node
	src        staticSource
	ctx        *EvalContext
	stopped    map[string]bool // by the plan, preempted included
	placed     []*drover.Allocation
	superseded map[string]func()
	preempted  int
	next       int
}

func newAccountingWorld(rng *rand.Rand) *accountingWorld {
	w := &accountingWorld{job: &drover.Job{ID: "j", Namespace: "default", Priority: 100, Type: drover.JobTypeService},
		src: staticSource{}, stopped: map[string]bool{}, superseded: map[string]func(){}}
	for i := range 2 + rng.IntN(4) {
		n := testNode(fmt.Sprintf("n%d", i))
		n.Meta["rack"] = fmt.Sprintf("r%d", rng.IntN(3))
		n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 20000, 20005
		if rng.IntN(2) == 0 {
			n.ReservedResources = &drover.NodeReservedResources{
				Networks: drover.NodeReservedNetworkResources{ReservedHostPorts: "8080,20001"}}
		}
		w.nodes = append(w.nodes, n)
		for range rng.IntN(4) {
			jobID, prio := "j", 100
			if rng.IntN(2) == 0 {
				jobID, prio = fmt.Sprintf("low%d", rng.IntN(3)), 10+10*rng.IntN(8)
			}
			var ports []int
			if rng.IntN(3) == 0 {
				ports = append(ports, []int{8080, 9000, 20001, 20002}[rng.IntN(4)])
			}
			a := running(fmt.Sprintf("a%d-%d", i, len(w.src[n.ID])), n.ID, jobID, prio, int64(100+rng.IntN(200)), ports...)
			a.Job.Priority = prio
			if jobID == "j" {
				a.Job = w.job
				a.TaskGroup = []string{"g", "h"}[rng.IntN(2)]
			}
			w.src[n.ID] = append(w.src[n.ID], a)
		}
	}
	w.ctx = NewEvalContext(w.src, w.job, w.nodes, rand.New(rand.NewPCG(rng.Uint64(), 1)))
	w.ctx.EnablePreemption(&drover.SchedulerConfiguration{PreemptionConfig: drover.PreemptionConfig{ServiceSchedulerEnabled: true}})
	w.ctx.PropertyCounts("${meta.rack}", "")
	w.ctx.PropertyCounts("${meta.rack}", "g")
	return w
}

func (w *accountingWorld) existing() []*drover.Allocation {
	var out []*drover.Allocation
	for _, n := range w.nodes {
		out = append(out, w.src[n.ID]...)
	}
	return out
}

func (w *accountingWorld) randomStep(t *testing.T, rng *rand.Rand) {
	all := w.existing()
	switch rng.IntN(4) {
	case 0: // the plan stops an allocation
		if len(all) > 0 {
			a := all[rng.IntN(len(all))]
			w.ctx.StopAlloc(a)
			w.stopped[a.ID] = true
		}
	case 1: // a migration's replacement is being placed, or failed
		if len(all) > 0 {
			a := all[rng.IntN(len(all))]
			if restore, ok := w.superseded[a.ID]; ok {
				restore()
				delete(w.superseded, a.ID)
			} else if a.JobID == "j" {
				w.superseded[a.ID] = w.ctx.Supersede(a)
			}
		}
	default: // a placement, which may preempt
		group := []string{"g", "h"}[rng.IntN(2)]
		tg := &drover.TaskGroup{Name: group, Count: 3, Tasks: []*drover.Task{{Name: "t", Driver: "docker",
			Resources: &drover.Resources{CPU: 100 + rng.IntN(600), MemoryMB: 10}}}}
		switch rng.IntN(3) {
		case 0:
			tg.Networks = []*drover.NetworkResource{{ReservedPorts: []drover.Port{{Label: "s", Value: []int{8080, 9000, 20002}[rng.IntN(3)]}}}}
		case 1:
			tg.Networks = []*drover.NetworkResource{{DynamicPorts: []drover.Port{{Label: "d"}, {Label: "e"}}}}
		}
		best, _ := NewStack(w.ctx, tg).Select()
		if err := w.ctx.Err(); err != nil {
			t.Fatal(err)
		}
		if best == nil {
			return
		}
		for _, v := range best.Preempted {
			w.stopped[v.ID] = true
			w.preempted++
		}
		w.next++
		a := &drover.Allocation{ID: fmt.Sprintf("new%d", w.next), Namespace: "default", JobID: "j", Job: w.job,
			TaskGroup: group, NodeID: best.Node.ID, DesiredStatus: drover.AllocDesiredStatusRun,
			AllocatedResources: &drover.AllocatedResources{
				Tasks:  map[string]*drover.AllocatedTaskResources{"t": {Cpu: drover.AllocatedCpuResources{CpuShares: int64(tg.Tasks[0].Resources.CPU)}, Memory: drover.AllocatedMemoryResources{MemoryMB: 10}}},
				Shared: drover.AllocatedSharedResources{Networks: best.GroupNetworks},
			}}
		for _, n := range best.GroupNetworks {
			for _, p := range append(append([]drover.Port(nil), n.ReservedPorts...), n.DynamicPorts...) {
				a.AllocatedResources.Shared.Ports = append(a.AllocatedResources.Shared.Ports, drover.AllocatedPortMapping{Label: p.Label, Value: p.Value})
			}
		}
		w.ctx.PlaceAlloc(best, a)
		w.placed = append(w.placed, a)
	}
}

// check compares the context with a recomputation; "" when they agree.
func (w *accountingWorld) check() string {
	if w.ctx.Err() != nil {
		return w.ctx.Err().Error()
	}
	running := func(a *drover.Allocation) bool { return !a.Terminal() && !w.stopped[a.ID] }
	for _, cand := range w.ctx.candidates {
		want := newNodeUsage(cand.Node)
		for _, a := range append(w.existing(), w.placed...) {
			if a.NodeID == cand.Node.ID && running(a) {
				want.add(a, w.job, 1)
			}
		}
		got := w.ctx.Usage(cand)
		if got.UsedCPU != want.UsedCPU || got.UsedMemoryMB != want.UsedMemoryMB || got.UsedDiskMB != want.UsedDiskMB {
			return fmt.Sprintf("node %s: usage %d/%d/%d, recomputed %d/%d/%d", cand.Node.ID,
				got.UsedCPU, got.UsedMemoryMB, got.UsedDiskMB, want.UsedCPU, want.UsedMemoryMB, want.UsedDiskMB)
		}
		if !maps.Equal(got.ports, want.ports) || got.dynUsed != want.dynUsed {
			return fmt.Sprintf("node %s: ports %v (%d dynamic), recomputed %v (%d)", cand.Node.ID, got.ports, got.dynUsed, want.ports, want.dynUsed)
		}
		if !maps.Equal(nonZero(got.jobGroups), nonZero(want.jobGroups)) {
			return fmt.Sprintf("node %s: job groups %v, recomputed %v", cand.Node.ID, got.jobGroups, want.jobGroups)
		}
		if got.UsedCPU > got.CapCPU || got.UsedMemoryMB > got.CapMemoryMB {
			return fmt.Sprintf("node %s oversubscribed: cpu %d/%d", cand.Node.ID, got.UsedCPU, got.CapCPU)
		}
	}
	for _, group := range []string{"", "g"} {
		pc := w.ctx.PropertyCounts("${meta.rack}", group)
		want := map[string]int{}
		for _, a := range append(w.existing(), w.placed...) {
			if a.JobID != "j" || !running(a) || (group != "" && a.TaskGroup != group) {
				continue
			}
			if _, sup := w.superseded[a.ID]; sup {
				continue
			}
			for _, n := range w.nodes {
				if n.ID == a.NodeID {
					want[n.Meta["rack"]]++
				}
			}
		}
		for _, rack := range []string{"r0", "r1", "r2"} {
			if pc.Count(rack) != want[rack] {
				return fmt.Sprintf("group %q: rack %s counts %d, recomputed %d", group, rack, pc.Count(rack), want[rack])
			}
		}
	}
	return ""
}

func nonZero(m map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}
