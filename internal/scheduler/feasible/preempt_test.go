package feasible

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	drover "github.com/drover-sh/drover"
)

// running is a running allocation on node of a job of the given priority,
// taking cpu MHz and holding the given host ports.
func running(id, node, jobID string, priority int, cpu int64, ports ...int) *drover.Allocation {
	var mapped []drover.AllocatedPortMapping
	for _, p := range ports {
		mapped = append(mapped, drover.AllocatedPortMapping{Label: fmt.Sprint("p", p), Value: p})
	}
	return &drover.Allocation{
		ID: id, Namespace: "default", NodeID: node, JobID: jobID, TaskGroup: "g",
		Job:           &drover.Job{ID: jobID, Namespace: "default", Type: drover.JobTypeService, Priority: priority},
		DesiredStatus: drover.AllocDesiredStatusRun, ClientStatus: drover.AllocClientStatusRunning,
		AllocatedResources: &drover.AllocatedResources{
			Tasks:  map[string]*drover.AllocatedTaskResources{"t": {Cpu: drover.AllocatedCpuResources{CpuShares: cpu}}},
			Shared: drover.AllocatedSharedResources{Ports: mapped},
		},
	}
}

// placing is a job of type typ and priority whose group asks for cpu MHz
// and the given static ports.
func placing(typ string, priority int, cpu int, ports ...int) (*drover.Job, *drover.TaskGroup) {
	tg := &drover.TaskGroup{Name: "g", Count: 1, Tasks: []*drover.Task{{Name: "t", Driver: "docker",
		Resources: &drover.Resources{CPU: cpu, MemoryMB: 10}}}}
	if len(ports) > 0 {
		n := &drover.NetworkResource{}
		for _, p := range ports {
			n.ReservedPorts = append(n.ReservedPorts, drover.Port{Label: fmt.Sprint("p", p), Value: p})
		}
		tg.Networks = []*drover.NetworkResource{n}
	}
	return &drover.Job{ID: "placing", Namespace: "default", Type: typ, Priority: priority, TaskGroups: []*drover.TaskGroup{tg}}, tg
}

// preemptOn selects a node among nodes for tg of job, with the scheduler
// configuration cfg, and returns the choice and the IDs it preempts.
func preemptOn(t *testing.T, src AllocSource, nodes []*drover.Node, job *drover.Job, tg *drover.TaskGroup, cfg *drover.SchedulerConfiguration, seed uint64) (*RankedNode, *drover.AllocMetric, []string) {
	t.Helper()
	ctx := NewEvalContext(src, job, nodes, rand.New(rand.NewPCG(seed, 2)))
	ctx.EnablePreemption(cfg)
	best, m := NewStack(ctx, tg).Select()
	if err := ctx.Err(); err != nil {
		t.Fatal(err)
	}
	var ids []string
	if best != nil {
		for _, a := range best.Preempted {
			ids = append(ids, a.ID)
		}
		slices.Sort(ids)
	}
	return best, m, ids
}

func TestPreemptionChoosesTheSet(t *testing.T) {
	tests := []struct {
		name   string
		allocs []*drover.Allocation
		cpu    int
		want   []string
	}{
		{"lowest priority first, even when a higher one fits better", []*drover.Allocation{
			running("low", "a", "j1", 20, 600), running("mid", "a", "j2", 30, 300)}, 300, []string{"low"}},
		{"a higher priority only when the lower ones are not enough", []*drover.Allocation{
			running("low", "a", "j1", 20, 200), running("mid", "a", "j2", 30, 800)}, 900, []string{"low", "mid"}},
		{"one allocation that covers the need rather than several", []*drover.Allocation{
			running("s1", "a", "j1", 20, 200), running("s2", "a", "j2", 20, 200), running("s3", "a", "j3", 20, 200),
			running("big", "a", "j4", 20, 400)}, 400, []string{"big"}},
		{"the covering allocation with the least excess", []*drover.Allocation{
			running("x100", "a", "j1", 20, 100), running("x400", "a", "j2", 20, 400), running("x500", "a", "j3", 20, 500)},
			350, []string{"x400"}},
		{"most coverage first, then the smallest remainder", []*drover.Allocation{
			running("s1", "a", "j1", 20, 200), running("s2", "a", "j2", 20, 200), running("s3", "a", "j3", 20, 200),
			running("big", "a", "j4", 20, 400)}, 500, []string{"big", "s1"}},
		{"a lower priority made unnecessary by a higher one is spared", []*drover.Allocation{
			running("low", "a", "j1", 20, 100), running("mid", "a", "j2", 30, 600), running("keep", "a", "j3", 30, 300)},
			550, []string{"mid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, tg := placing(drover.JobTypeSystem, 100, tt.cpu)
			best, m, got := preemptOn(t, staticSource{"a": tt.allocs}, []*drover.Node{testNode("a")}, job, tg, nil, 1)
			if best == nil {
				t.Fatalf("nothing placed: %+v", m)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("preempted %v, want %v", got, tt.want)
			}
			if best.Preemption >= -2 || m.ScoreMetaData[0].Scores[ScorePreemption] != best.Preemption {
				t.Errorf("preemption score %v, metric %+v", best.Preemption, m.ScoreMetaData[0])
			}
			if m.NodesExhausted != 0 {
				t.Errorf("a node that fits by preemption counted as exhausted: %+v", m)
			}
		})
	}
}

func TestPreemptionRefused(t *testing.T) {
	const cpuFull = 1000
	tests := []struct {
		name   string
		jobTyp string
		cfg    *drover.SchedulerConfiguration
		alloc  *drover.Allocation
		want   bool // preempted
	}{
		{"priority exactly 10 lower", drover.JobTypeSystem, nil, running("v", "a", "other", 40, cpuFull), true},
		{"priority only 9 lower", drover.JobTypeSystem, nil, running("v", "a", "other", 41, cpuFull), false},
		{"same job", drover.JobTypeSystem, nil, running("v", "a", "placing", 10, cpuFull), false},
		{"job unknown", drover.JobTypeSystem, nil, func() *drover.Allocation {
			a := running("v", "a", "other", 10, cpuFull)
			a.Job = nil
			return a
		}(), false},
		{"service jobs by default", drover.JobTypeService, nil, running("v", "a", "other", 10, cpuFull), false},
		{"system jobs when the operator disabled it", drover.JobTypeSystem, &drover.SchedulerConfiguration{},
			running("v", "a", "other", 10, cpuFull), false},
		{"service jobs when the operator enabled it", drover.JobTypeService,
			&drover.SchedulerConfiguration{PreemptionConfig: drover.PreemptionConfig{ServiceSchedulerEnabled: true}},
			running("v", "a", "other", 10, cpuFull), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, tg := placing(tt.jobTyp, 50, 100)
			best, m, got := preemptOn(t, staticSource{"a": {tt.alloc}}, []*drover.Node{testNode("a")}, job, tg, tt.cfg, 1)
			if !tt.want {
				if best != nil || m.DimensionExhausted[DimCPU] != 1 {
					t.Fatalf("placed (preempting %v) or wrong metric %+v", got, m)
				}
				return
			}
			if best == nil || !slices.Equal(got, []string{"v"}) {
				t.Fatalf("preempted %v, metric %+v", got, m)
			}
		})
	}
}

func TestPreemptionNotEnough(t *testing.T) {
	// Evicting every preemptible allocation still leaves too little.
	allocs := []*drover.Allocation{running("low", "a", "j1", 20, 300), running("high", "a", "j2", 95, 700)}
	job, tg := placing(drover.JobTypeSystem, 100, 400)
	if best, m, _ := preemptOn(t, staticSource{"a": allocs}, []*drover.Node{testNode("a")}, job, tg, nil, 1); best != nil || m.DimensionExhausted[DimCPU] != 1 {
		t.Fatalf("placed: %+v", m)
	}
}

func TestPreemptionFreesStaticPorts(t *testing.T) {
	holder := running("holder", "a", "j1", 20, 10, 8080)
	other := running("other", "a", "j2", 10, 10, 9090)
	job, tg := placing(drover.JobTypeSystem, 100, 100, 8080)
	best, m, got := preemptOn(t, staticSource{"a": {holder, other}}, []*drover.Node{testNode("a")}, job, tg, nil, 1)
	if best == nil || !slices.Equal(got, []string{"holder"}) {
		t.Fatalf("preempted %v, metric %+v", got, m)
	}
	if best.GroupNetworks[0].ReservedPorts[0].Value != 8080 {
		t.Errorf("port not assigned: %+v", best.GroupNetworks)
	}

	// A port the node reserves, or one held by a job too important, cannot
	// be freed.
	n := testNode("a")
	n.ReservedResources = &drover.NodeReservedResources{Networks: drover.NodeReservedNetworkResources{ReservedHostPorts: "8080"}}
	if best, m, _ := preemptOn(t, staticSource{"a": {other}}, []*drover.Node{n}, job, tg, nil, 1); best != nil || m.DimensionExhausted[DimPortCollision] != 1 {
		t.Fatalf("reserved port: placed or wrong metric %+v", m)
	}
	vip := running("vip", "a", "j3", 95, 10, 8080)
	if best, m, _ := preemptOn(t, staticSource{"a": {vip, other}}, []*drover.Node{testNode("a")}, job, tg, nil, 1); best != nil || m.DimensionExhausted[DimPortCollision] != 1 {
		t.Fatalf("port of a high-priority job: placed or wrong metric %+v", m)
	}
}

func TestPreemptionFreesDynamicPorts(t *testing.T) {
	// A two-port dynamic range, both held; the group asks for one of them
	// statically and for one dynamic port: both holders must go.
	n := testNode("a")
	n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 20000, 20001
	holder := running("holder", "a", "j1", 20, 10, 20000)
	other := running("other", "a", "j2", 30, 10, 20001)
	job, tg := placing(drover.JobTypeSystem, 100, 100, 20000)
	tg.Networks[0].DynamicPorts = []drover.Port{{Label: "dyn"}}
	best, m, got := preemptOn(t, staticSource{"a": {holder, other}}, []*drover.Node{n}, job, tg, nil, 1)
	if best == nil || !slices.Equal(got, []string{"holder", "other"}) {
		t.Fatalf("preempted %v, metric %+v", got, m)
	}
	if p := best.GroupNetworks[0]; p.ReservedPorts[0].Value != 20000 || p.DynamicPorts[0].Value != 20001 {
		t.Errorf("ports %+v", p)
	}
	// The dynamic port alone: the lowest priority holder is enough.
	job, tg = placing(drover.JobTypeSystem, 100, 100)
	tg.Networks = []*drover.NetworkResource{{DynamicPorts: []drover.Port{{Label: "dyn"}}}}
	if _, m, got := preemptOn(t, staticSource{"a": {holder, other}}, []*drover.Node{n}, job, tg, nil, 1); !slices.Equal(got, []string{"holder"}) {
		t.Fatalf("preempted %v, metric %+v", got, m)
	}
}

func TestNodeThatFitsWinsOverPreemption(t *testing.T) {
	// Two full nodes could take the group by preemption; the one free node
	// must win whatever the order, although the candidate limit is 2.
	src := staticSource{
		"full1": {running("v1", "full1", "j1", 10, 1000)},
		"full2": {running("v2", "full2", "j2", 10, 1000)},
	}
	nodes := []*drover.Node{testNode("full1"), testNode("full2"), testNode("free")}
	job, tg := placing(drover.JobTypeSystem, 100, 300)
	for seed := range uint64(20) {
		best, m, got := preemptOn(t, src, nodes, job, tg, nil, seed)
		if best == nil || best.Node.ID != "free" || got != nil {
			t.Fatalf("seed %d: chose %v preempting %v (%+v)", seed, best, got, m)
		}
	}
	// Among preempting nodes, the one evicting the lower priority wins.
	src["full2"][0] = running("v2", "full2", "j2", 40, 1000)
	for seed := range uint64(20) {
		best, _, got := preemptOn(t, src, nodes[:2], job, tg, nil, seed)
		if best == nil || !slices.Equal(got, []string{"v1"}) {
			t.Fatalf("seed %d: preempted %v, want v1", seed, got)
		}
	}
}

func TestPreemptionIsCommittedToTheContext(t *testing.T) {
	victimAlloc := running("v", "a", "j1", 10, 1000)
	job, tg := placing(drover.JobTypeSystem, 100, 400)
	ctx := NewEvalContext(staticSource{"a": {victimAlloc}}, job, []*drover.Node{testNode("a")}, rand.New(rand.NewPCG(1, 2)))
	ctx.EnablePreemption(nil)
	st := NewStack(ctx, tg)
	best, _ := st.Select()
	if best == nil || len(best.Preempted) != 1 {
		t.Fatalf("first placement: %+v", best)
	}
	ctx.PlaceAlloc(best, &drover.Allocation{ID: "new", JobID: job.ID, Namespace: job.Namespace, TaskGroup: "g",
		AllocatedResources: &drover.AllocatedResources{Tasks: map[string]*drover.AllocatedTaskResources{
			"t": {Cpu: drover.AllocatedCpuResources{CpuShares: 400}}}}})
	// The evicted allocation's room is free for the next placement, which
	// neither preempts it again nor anything else.
	best, m := st.Select()
	if best == nil || len(best.Preempted) != 0 {
		t.Fatalf("second placement: %+v %+v", best, m)
	}
	ctx.PlaceAlloc(best, &drover.Allocation{ID: "new2", JobID: job.ID, Namespace: job.Namespace, TaskGroup: "g",
		AllocatedResources: &drover.AllocatedResources{Tasks: map[string]*drover.AllocatedTaskResources{
			"t": {Cpu: drover.AllocatedCpuResources{CpuShares: 400}}}}})
	if best, m := st.Select(); best != nil {
		t.Fatalf("third placement of 400 MHz in 200 free: %+v %+v", best, m)
	}
}

// secondReadFails fails the second read of a node's allocations: the usage
// is built, the preemption candidates cannot be read.
type secondReadFails struct {
	allocs []*drover.Allocation
	reads  int
}

func (f *secondReadFails) AllocsByJob(string, string) ([]*drover.Allocation, error) {
	return nil, nil
}

func (f *secondReadFails) AllocsByNode(string) ([]*drover.Allocation, error) {
	f.reads++
	if f.reads > 1 {
		return nil, fmt.Errorf("disk on fire")
	}
	return f.allocs, nil
}

func TestPreemptionReadErrorIsReported(t *testing.T) {
	job, tg := placing(drover.JobTypeSystem, 100, 400)
	src := &secondReadFails{allocs: []*drover.Allocation{running("v", "a", "j1", 10, 1000)}}
	ctx := NewEvalContext(src, job, []*drover.Node{testNode("a")}, rand.New(rand.NewPCG(1, 2)))
	ctx.EnablePreemption(nil)
	if best, _ := NewStack(ctx, tg).Select(); best != nil || ctx.Err() == nil {
		t.Fatalf("best %+v, err %v: want no placement and the read error", best, ctx.Err())
	}
}
