package feasible

import (
	"fmt"
	"math/rand/v2"
	"testing"

	drover "github.com/drover-sh/drover"
)

// nodeReadCounter counts the reads of each node's allocations.
type nodeReadCounter struct {
	staticSource
	reads map[string]int
}

func (s *nodeReadCounter) AllocsByNode(id string) ([]*drover.Allocation, error) {
	s.reads[id]++
	return s.staticSource.AllocsByNode(id)
}

// TestPreemptionOnFullClusterIsBounded: when no node fits as is, victims
// are chosen on at most CandidateLimit nodes per placement, not on every
// node of the cluster, and the nodes not ranked are counted exhausted. On
// a full cluster choosing victims on every node made each placement cost
// the whole cluster: 2,000 preempting placements on 2,000 nodes took
// seconds.
func TestPreemptionOnFullClusterIsBounded(t *testing.T) {
	const n = 64
	src := &nodeReadCounter{staticSource: staticSource{}, reads: map[string]int{}}
	var nodes []*drover.Node
	for i := range n {
		id := fmt.Sprintf("n%02d", i)
		nodes = append(nodes, testNode(id))
		src.staticSource[id] = []*drover.Allocation{running("v"+id, id, "low", 10, 1000)}
	}
	job, tg := placing(drover.JobTypeService, 100, 500)
	cfg := &drover.SchedulerConfiguration{PreemptionConfig: drover.PreemptionConfig{ServiceSchedulerEnabled: true}}
	best, m, got := preemptOn(t, src, nodes, job, tg, cfg, 1)
	if best == nil || len(got) != 1 {
		t.Fatalf("chose %v preempting %v (%+v)", best, got, m)
	}
	limit := CandidateLimit(n)
	victimReads := 0
	for _, r := range src.reads {
		victimReads += r - 1 // the first read builds the node's usage
	}
	if victimReads != limit {
		t.Errorf("victims chosen on %d nodes, want the candidate limit %d", victimReads, limit)
	}
	if m.NodesEvaluated != n || m.NodesExhausted != n-limit || m.DimensionExhausted[DimCPU] != n-limit {
		t.Errorf("metric evaluated %d exhausted %d (%v), want %d and %d", m.NodesEvaluated, m.NodesExhausted,
			m.DimensionExhausted, n, n-limit)
	}
}

// TestNodesKeptForPreemptionCountedExhaustedOnceOneFits: nodes that did not
// fit, seen before a node that fits, are counted exhausted, and none is
// preempted on.
func TestNodesKeptForPreemptionCountedExhaustedOnceOneFits(t *testing.T) {
	src := staticSource{}
	var nodes []*drover.Node
	for i := range 8 {
		id := fmt.Sprintf("n%d", i)
		nodes = append(nodes, testNode(id))
		if i > 0 {
			src[id] = []*drover.Allocation{running("v"+id, id, "low", 10, 1000)}
		}
	}
	job, tg := placing(drover.JobTypeService, 100, 500)
	cfg := &drover.SchedulerConfiguration{PreemptionConfig: drover.PreemptionConfig{ServiceSchedulerEnabled: true}}
	for seed := range uint64(10) {
		best, m, got := preemptOn(t, src, nodes, job, tg, cfg, seed)
		if best == nil || best.Node.ID != "n0" || got != nil {
			t.Fatalf("seed %d: chose %v preempting %v", seed, best, got)
		}
		if m.NodesExhausted != 7 || m.DimensionExhausted[DimCPU] != 7 {
			t.Errorf("seed %d: exhausted %d %v, want the 7 full nodes", seed, m.NodesExhausted, m.DimensionExhausted)
		}
	}
}

// TestFailedPortAssignmentKeepsVictims: when ports cannot be assigned on the
// chosen node after all (a static port asked twice, which validation
// refuses), the placement fails and the victims released for it hold their
// resources again, so later placements of the plan do not count on room
// that nothing frees.
func TestFailedPortAssignmentKeepsVictims(t *testing.T) {
	victim := running("v", "a", "low", 10, 800)
	job, tg := placing(drover.JobTypeSystem, 100, 500, 8080)
	tg.Tasks[0].Resources.Networks = []*drover.NetworkResource{{ReservedPorts: []drover.Port{{Label: "again", Value: 8080}}}}
	ctx := NewEvalContext(staticSource{"a": {victim}}, job, []*drover.Node{testNode("a")}, rand.New(rand.NewPCG(1, 2)))
	ctx.EnablePreemption(nil)
	if best, m := NewStack(ctx, tg).Select(); best != nil || m.DimensionExhausted[DimPortCollision] != 1 {
		t.Fatalf("placed %+v (metric %+v), want a port collision", best, m)
	}
	u := ctx.Usage(ctx.candidates[0])
	if u.UsedCPU != 800 {
		t.Errorf("node usage %d MHz after the failed placement, want the victim's 800 back", u.UsedCPU)
	}
	// Another group, asking no port, must preempt the victim itself.
	_, plain := placing(drover.JobTypeSystem, 100, 500)
	best, _ := NewStack(ctx, plain).Select()
	if best == nil || len(best.Preempted) != 1 || best.Preempted[0].ID != "v" {
		t.Fatalf("second group: %+v, want it to preempt v", best)
	}
}

// TestPreemptionNeverFreesAReservedPort: an allocation holding a port the
// node reserves (it was placed before the operator reserved the port)
// gives up nothing of that port when evicted: the reservation still holds
// it. Counting the port freed placed the group on the node's reserved port,
// and releasing it in the context offered it to the plan's next placements.
func TestPreemptionNeverFreesAReservedPort(t *testing.T) {
	reserving := func() *drover.Node {
		n := testNode("a")
		n.ReservedResources = &drover.NodeReservedResources{
			Networks: drover.NodeReservedNetworkResources{ReservedHostPorts: "8080"}}
		return n
	}
	cfg := &drover.SchedulerConfiguration{PreemptionConfig: drover.PreemptionConfig{ServiceSchedulerEnabled: true}}
	// The port itself is asked for: no eviction can free it.
	job, tg := placing(drover.JobTypeService, 100, 100, 8080)
	src := staticSource{"a": {running("v", "a", "low", 10, 1000, 8080)}}
	if best, m, got := preemptOn(t, src, []*drover.Node{reserving()}, job, tg, cfg, 1); best != nil {
		t.Fatalf("placed preempting %v (%+v): the port is reserved", got, m)
	}
	// CPU is asked for: the eviction frees it, and the reserved port stays
	// taken for the next placement.
	job, tg = placing(drover.JobTypeService, 100, 500)
	ctx := NewEvalContext(src, job, []*drover.Node{reserving()}, rand.New(rand.NewPCG(1, 2)))
	ctx.EnablePreemption(cfg)
	best, _ := NewStack(ctx, tg).Select()
	if best == nil || len(best.Preempted) != 1 {
		t.Fatalf("placement: %+v, want v preempted", best)
	}
	if !best.Usage.PortUsed(8080) {
		t.Errorf("the reserved port 8080 is free once v is evicted")
	}
}
