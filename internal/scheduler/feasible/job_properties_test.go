package feasible

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	drover "github.com/drover-sh/drover"
)

// rackNode is testNode in rack (no meta.rack when rack is "").
func rackNode(id, rack string) *drover.Node {
	n := testNode(id)
	delete(n.Meta, "rack")
	if rack != "" {
		n.Meta["rack"] = rack
	}
	return n
}

// runningAlloc is a running allocation of job's group on node.
func runningAlloc(id string, job *drover.Job, group, node string) *drover.Allocation {
	return &drover.Allocation{ID: id, Namespace: job.Namespace, JobID: job.ID, TaskGroup: group, NodeID: node,
		DesiredStatus: drover.AllocDesiredStatusRun, ClientStatus: drover.AllocClientStatusRunning}
}

// bySource indexes allocations by node for a staticSource.
func bySource(allocs ...*drover.Allocation) staticSource {
	s := staticSource{}
	for _, a := range allocs {
		s[a.NodeID] = append(s[a.NodeID], a)
	}
	return s
}

func newCtx(src AllocSource, job *drover.Job, nodes ...*drover.Node) *EvalContext {
	ctx := NewEvalContext(src, job, nodes, rand.New(rand.NewPCG(1, 2)))
	ctx.newMetric()
	return ctx
}

// drain runs one placement's worth of it and returns the ranked nodes by
// node ID (copies: the iterators recycle them).
func drain(it RankIterator) map[string]RankedNode {
	it.Reset()
	out := map[string]RankedNode{}
	for r := it.Next(); r != nil; r = it.Next() {
		out[r.Node.ID] = *r
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// failingSource fails every read.
type failingSource struct{}

func (failingSource) AllocsByNode(string) ([]*drover.Allocation, error) {
	return nil, errors.New("disk on fire")
}

func (failingSource) AllocsByJob(string, string) ([]*drover.Allocation, error) {
	return nil, errors.New("disk on fire")
}

// lookupSource is a staticSource that can also look nodes up.
type lookupSource struct {
	staticSource
	nodes map[string]*drover.Node
}

func (l lookupSource) NodeByID(id string) (*drover.Node, error) { return l.nodes[id], nil }

func oneGroup(name string, count int) *drover.TaskGroup {
	return &drover.TaskGroup{Name: name, Count: count, Tasks: []*drover.Task{{Name: "t", Driver: "docker",
		Resources: &drover.Resources{CPU: 10, MemoryMB: 10}}}}
}

func TestPropertyCountsFollowThePlan(t *testing.T) {
	job := &drover.Job{ID: "j", Namespace: "default"}
	down := rackNode("down", "r3")
	down.Status = drover.NodeStatusDown
	gone := rackNode("gone", "r4") // known to the source only
	src := lookupSource{staticSource: bySource(
		runningAlloc("a1", job, "g", "n1"),
		runningAlloc("a2", job, "g", "n1"),
		runningAlloc("a3", job, "h", "n2"),
		runningAlloc("a4", job, "g", "down"),
		runningAlloc("a5", job, "g", "gone"),
		runningAlloc("a6", job, "g", "bare"),
		&drover.Allocation{ID: "dead", Namespace: "default", JobID: "j", TaskGroup: "g", NodeID: "n2",
			DesiredStatus: drover.AllocDesiredStatusStop, ClientStatus: drover.AllocClientStatusComplete},
		&drover.Allocation{ID: "other", Namespace: "default", JobID: "other", TaskGroup: "g", NodeID: "n2",
			DesiredStatus: drover.AllocDesiredStatusRun, ClientStatus: drover.AllocClientStatusRunning},
	), nodes: map[string]*drover.Node{"gone": gone}}
	n1, n2, bare := rackNode("n1", "r1"), rackNode("n2", "r2"), rackNode("bare", "")
	ctx := newCtx(src, job, n1, n2, down, bare)
	ctx.StopAlloc(src.staticSource["n1"][1]) // before the counts exist

	group := ctx.PropertyCounts("${meta.rack}", "g")
	whole := ctx.PropertyCounts("${meta.rack}", "")
	if ctx.PropertyCounts("${meta.rack}", "g") != group {
		t.Fatal("the same counts are built twice")
	}
	check := func(stage string, p *PropertyCounts, want map[string]int, total int) {
		t.Helper()
		for v, n := range want {
			if p.Count(v) != n {
				t.Errorf("%s: count of %s = %d, want %d", stage, v, p.Count(v), n)
			}
		}
		if p.Total() != total {
			t.Errorf("%s: total %d, want %d", stage, p.Total(), total)
		}
	}
	// a2 stopped, a6's node lacks a rack, the dead and other jobs' allocs
	// never count; the down node and the node known only to the source do.
	check("built", group, map[string]int{"r1": 1, "r2": 0, "r3": 1, "r4": 1}, 3)
	check("built", whole, map[string]int{"r1": 1, "r2": 1, "r3": 1, "r4": 1}, 4)

	ctx.StopAlloc(src.staticSource["n1"][0])
	ctx.StopAlloc(src.staticSource["n1"][0]) // twice is once
	ctx.StopAlloc(src.staticSource["n2"][1]) // terminal: nothing to stop
	var n2cand *Candidate
	for _, c := range ctx.candidates {
		if c.Node.ID == "n2" {
			n2cand = c
		}
	}
	ctx.PlaceAlloc(&RankedNode{Node: n2, cand: n2cand}, runningAlloc("p1", job, "g", "n2"))
	check("after plan", group, map[string]int{"r1": 0, "r2": 1}, 3)
	check("after plan", whole, map[string]int{"r1": 0, "r2": 2}, 4)

	// Counts built after the plan moved see the same.
	late := ctx.PropertyCounts("${node.unique.id}", "g")
	check("late", late, map[string]int{"n1": 0, "n2": 1, "down": 1, "gone": 1, "bare": 1}, 4)
	if ctx.Err() != nil {
		t.Fatal(ctx.Err())
	}
}

func TestPropertyCountsReadError(t *testing.T) {
	job := &drover.Job{ID: "j", Namespace: "default"}
	ctx := newCtx(failingSource{}, job, rackNode("n1", "r1"))
	p := ctx.PropertyCounts("${meta.rack}", "")
	if ctx.Err() == nil || p.Total() != 0 {
		t.Fatalf("err %v, total %d: a failed read must be reported", ctx.Err(), p.Total())
	}
}

func testRNG() *rand.Rand { return rand.New(rand.NewPCG(3, 4)) }
