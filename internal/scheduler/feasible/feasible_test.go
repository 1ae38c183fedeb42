package feasible

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	drover "github.com/drover-sh/drover"
)

type noAllocs struct{}

func (noAllocs) AllocsByNode(string) ([]*drover.Allocation, error)        { return nil, nil }
func (noAllocs) AllocsByJob(string, string) ([]*drover.Allocation, error) { return nil, nil }

func testNode(id string) *drover.Node {
	return &drover.Node{
		ID: id, Name: "name-" + id, Datacenter: "dc1", NodeClass: "big", NodePool: "default",
		Attributes: map[string]string{"kernel.name": "linux", "kernel.version": "5.15.0-91-generic",
			"features": "a,b,c", "cpu.numcores": "8", "driver.raw_exec": "1", "driver.off": "0"},
		Meta:    map[string]string{"rack": "r1"},
		Drivers: map[string]*drover.DriverInfo{"docker": {Detected: true, Healthy: true}, "sick": {Detected: true}},
		NodeResources: &drover.NodeResources{Cpu: drover.NodeCpuResources{CpuShares: 1000},
			Memory: drover.NodeMemoryResources{MemoryMB: 1000}, Disk: drover.NodeDiskResources{DiskMB: 1000}},
		Status: drover.NodeStatusReady,
	}
}

func TestConstraintOperators(t *testing.T) {
	n := testNode("n1")
	ctx := NewEvalContext(noAllocs{}, &drover.Job{}, nil, rand.New(rand.NewPCG(1, 2)))
	tests := []struct {
		l, op, r string
		want     bool
	}{
		{"${attr.kernel.name}", "=", "linux", true},
		{"${attr.kernel.name}", "==", "windows", false},
		{"${attr.kernel.name}", "is", "linux", true},
		{"${attr.kernel.name}", "!=", "windows", true},
		{"${attr.kernel.name}", "not", "linux", false},
		{"${attr.missing}", "!=", "x", false}, // an absent attribute matches nothing but is_not_set
		{"${attr.cpu.numcores}", ">=", "8", true},
		{"${attr.cpu.numcores}", "<", "10", true}, // numeric, not lexical
		{"${attr.kernel.name}", "regexp", "^lin", true},
		{"${attr.kernel.name}", "regexp", "^win", false},
		{"${attr.kernel.name}", "regexp", "([", false}, // invalid pattern never matches
		{"${attr.kernel.version}", "version", ">= 5.10, < 6", true},
		{"${attr.kernel.version}", "version", "> 5.15", false},
		{"${attr.kernel.version}", "version", "~> 5.14", true},
		{"${attr.kernel.version}", "version", "~> 5.14.2", false},
		{"${attr.kernel.version}", "version", "= 5.15.0", true},
		{"${attr.kernel.name}", "version", ">= 1", false},
		{"${attr.features}", "is_set", "", true},
		{"${attr.nope}", "is_set", "", false},
		{"${attr.nope}", "is_not_set", "", true},
		{"${meta.rack}", "is_not_set", "", false},
		{"${attr.features}", "set_contains", "a,c", true},
		{"${attr.features}", "set_contains", "a,d", false},
		{"${attr.features}", "set_contains_all", "a,c", true},
		{"${attr.features}", "set_contains_all", "a,d", false},
		{"${attr.features}", "set_contains_any", "d,c", true},
		{"${attr.features}", "set_contains_any", "d,e", false},
		{"${attr.kernel.version}", "semver", ">= 5.10", true},
		{"${attr.kernel.version}", "semver", "< 5", false},
		{"${attr.kernel.name}", "distinct_hosts", "true", false}, // not a node property: DistinctHostsIterator's
		{"${node.unique.id}", "=", "n1", true},
		{"${node.unique.name}", "=", "name-n1", true},
		{"${node.datacenter}", "=", "dc1", true},
		{"${node.class}", "=", "big", true},
		{"${node.pool}", "=", "default", true},
		{"${meta.rack}", "=", "r1", true},
		{"${meta.rack}", "=", "${meta.rack}", true},
		{"${attr.kernel.name}", "bogus-op", "linux", false},
	}
	for _, tt := range tests {
		c := &drover.Constraint{LTarget: tt.l, Operand: tt.op, RTarget: tt.r}
		if got := ctx.meets(n, c); got != tt.want {
			t.Errorf("%s: got %v, want %v", c, got, tt.want)
		}
	}
}

func TestChecks(t *testing.T) {
	n := testNode("n1")
	tg := func(drivers ...string) *drover.TaskGroup {
		g := &drover.TaskGroup{}
		for _, d := range drivers {
			g.Tasks = append(g.Tasks, &drover.Task{Driver: d})
		}
		return g
	}
	cases := []struct {
		name  string
		check func(*drover.Node) string
		want  string
	}{
		{"dc glob", DatacenterCheck([]string{"us-*", "dc?"}), ""},
		{"dc miss", DatacenterCheck([]string{"us-*"}), ReasonDatacenter},
		{"dc default", DatacenterCheck(nil), ""},
		{"pool", NodePoolCheck("default"), ""},
		{"pool empty means default", NodePoolCheck(""), ""},
		{"pool all", NodePoolCheck("all"), ""},
		{"pool miss", NodePoolCheck("gpu"), ReasonNodePool},
		{"driver by fingerprint", DriverCheck(tg("docker", "raw_exec")), ""},
		{"driver unhealthy", DriverCheck(tg("sick")), ReasonMissingDrivers},
		{"driver attribute off", DriverCheck(tg("off")), ReasonMissingDrivers},
		{"driver absent", DriverCheck(tg("raw_exec", "qemu")), ReasonMissingDrivers},
	}
	for _, c := range cases {
		if got := c.check(n); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestParsePortRanges(t *testing.T) {
	got, err := ParsePortRanges("22, 80,8000-8003")
	if err != nil || !slices.Equal(got, []int{22, 80, 8000, 8001, 8002, 8003}) {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{"x", "10-5", "0", "70000", "1-x"} {
		if _, err := ParsePortRanges(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestCandidateLimit(t *testing.T) {
	for n, want := range map[int]int{0: 2, 1: 2, 2: 2, 4: 2, 5: 3, 100: 7, 5000: 13} {
		if got := CandidateLimit(n); got != want {
			t.Errorf("CandidateLimit(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestPreferenceCandidateLimit(t *testing.T) {
	for n, want := range map[int]int{0: 2, 1: 2, 2: 2, 10: 10, 100: 100, 101: 100, 5000: 100} {
		if got := PreferenceCandidateLimit(n); got != want {
			t.Errorf("PreferenceCandidateLimit(%d) = %d, want %d", n, got, want)
		}
	}
}

// countingSource records how often each node's allocations are read.
type countingSource struct{ reads map[string]int }

func (c *countingSource) AllocsByNode(id string) ([]*drover.Allocation, error) {
	c.reads[id]++
	return nil, nil
}

func (c *countingSource) AllocsByJob(string, string) ([]*drover.Allocation, error) { return nil, nil }

func TestFilterMemoisesAndCountsEveryVisit(t *testing.T) {
	var nodes []*drover.Node
	for i := range 4 {
		nodes = append(nodes, testNode(fmt.Sprint(i)))
	}
	ctx := NewEvalContext(noAllocs{}, &drover.Job{}, nodes, rand.New(rand.NewPCG(1, 2)))
	calls := 0
	f := NewFilterIterator(ctx, NewStaticIterator(ctx), func(n *drover.Node) string {
		calls++
		if n.ID == "1" {
			return "nope"
		}
		return ""
	})
	for range 3 {
		m := ctx.newMetric()
		f.Reset()
		got := 0
		for f.Next() != nil {
			got++
		}
		if got != 3 || m.ConstraintFiltered["nope"] != 1 || m.NodesEvaluated != 4 {
			t.Fatalf("passed %d, metric %+v", got, m)
		}
	}
	if calls != 4 {
		t.Errorf("check called %d times, want once per node", calls)
	}
}

func TestStaticIteratorRotates(t *testing.T) {
	var nodes []*drover.Node
	for i := range 5 {
		nodes = append(nodes, testNode(fmt.Sprint(i)))
	}
	ctx := NewEvalContext(noAllocs{}, &drover.Job{}, nodes, rand.New(rand.NewPCG(1, 2)))
	ctx.newMetric()
	it := NewStaticIterator(ctx)
	first := it.Next()
	it.Reset()
	if second := it.Next(); second == first {
		t.Fatal("after Reset the source restarted at the same node")
	}
	it.Reset()
	seen := map[*Candidate]bool{}
	for c := it.Next(); c != nil; c = it.Next() {
		seen[c] = true
	}
	if len(seen) != 5 {
		t.Fatalf("one placement saw %d nodes, want all 5", len(seen))
	}
}

func TestContextSkipsUnreadyNodesAndBuildsUsageOnce(t *testing.T) {
	nodes := []*drover.Node{testNode("a"), testNode("b"), testNode("c")}
	nodes[1].Status = drover.NodeStatusDown
	nodes[2].Drain = true
	src := &countingSource{reads: map[string]int{}}
	ctx := NewEvalContext(src, &drover.Job{}, nodes, rand.New(rand.NewPCG(1, 2)))
	if ctx.NumCandidates() != 1 {
		t.Fatalf("%d candidates, want 1", ctx.NumCandidates())
	}
	tg := &drover.TaskGroup{Name: "g", Count: 3, Tasks: []*drover.Task{{Name: "t", Driver: "docker",
		Resources: &drover.Resources{CPU: 400, MemoryMB: 100}}}}
	st := NewStack(ctx, tg)
	for i := range 3 {
		best, m := st.Select()
		if i < 2 {
			if best == nil {
				t.Fatalf("placement %d failed: %+v", i, m)
			}
			ctx.PlaceAlloc(best, &drover.Allocation{JobID: "", TaskGroup: "g", AllocatedResources: &drover.AllocatedResources{
				Tasks: map[string]*drover.AllocatedTaskResources{"t": {Cpu: drover.AllocatedCpuResources{CpuShares: 400}}}}})
			continue
		}
		if best != nil || m.DimensionExhausted[DimCPU] != 1 {
			t.Fatalf("third placement of 400 MHz on 1000 MHz: best %v metric %+v", best, m)
		}
	}
	if src.reads["a"] != 1 {
		t.Errorf("usage of a read %d times, want 1", src.reads["a"])
	}
}

func TestStopFreesResourcesAndPorts(t *testing.T) {
	n := testNode("a")
	old := &drover.Allocation{ID: "old", NodeID: "a", DesiredStatus: drover.AllocDesiredStatusRun, ClientStatus: drover.AllocClientStatusRunning,
		AllocatedResources: &drover.AllocatedResources{
			Tasks:  map[string]*drover.AllocatedTaskResources{"t": {Cpu: drover.AllocatedCpuResources{CpuShares: 900}}},
			Shared: drover.AllocatedSharedResources{Ports: []drover.AllocatedPortMapping{{Label: "http", Value: 8080}}},
		}}
	src := staticSource{"a": {old}}
	tg := &drover.TaskGroup{Name: "g", Count: 1,
		Networks: []*drover.NetworkResource{{ReservedPorts: []drover.Port{{Label: "http", Value: 8080}}}},
		Tasks:    []*drover.Task{{Name: "t", Driver: "docker", Resources: &drover.Resources{CPU: 900, MemoryMB: 10}}}}

	ctx := NewEvalContext(src, &drover.Job{}, []*drover.Node{n}, rand.New(rand.NewPCG(1, 2)))
	if best, m := NewStack(ctx, tg).Select(); best != nil || m.NodesExhausted != 1 {
		t.Fatalf("placed on a full node: %+v", m)
	}
	// Stopping after the usage was built, and before: both free the node.
	fresh := NewEvalContext(src, &drover.Job{}, []*drover.Node{n}, rand.New(rand.NewPCG(1, 2)))
	for _, c := range []*EvalContext{ctx, fresh} {
		c.StopAlloc(old)
		best, m := NewStack(c, tg).Select()
		if best == nil || len(best.GroupNetworks) != 1 || best.GroupNetworks[0].ReservedPorts[0].Value != 8080 {
			t.Fatalf("the stop did not free the node: %+v", m)
		}
	}
}

type staticSource map[string][]*drover.Allocation

func (s staticSource) AllocsByNode(id string) ([]*drover.Allocation, error) { return s[id], nil }

// AllocsByJob returns every allocation of the job on any node.
func (s staticSource) AllocsByJob(ns, jobID string) ([]*drover.Allocation, error) {
	var out []*drover.Allocation
	for _, as := range s {
		for _, a := range as {
			if a.Namespace == ns && a.JobID == jobID {
				out = append(out, a)
			}
		}
	}
	return out, nil
}

// TestConstraintReasons: a rejected node is counted under the constraint's
// own text; distinct_hosts is left to its own link.
func TestConstraintReasons(t *testing.T) {
	n := testNode("n1")
	check := ConstraintCheck(&EvalContext{}, []*drover.Constraint{
		{LTarget: "${attr.kernel.name}", Operand: "=", RTarget: "windows"},
	})
	if got := check(n); got != "${attr.kernel.name} = windows" {
		t.Errorf("reason = %q", got)
	}
	check = ConstraintCheck(&EvalContext{}, []*drover.Constraint{{Operand: "distinct_hosts", RTarget: "true"}})
	if got := check(n); got != "" {
		t.Errorf("distinct_hosts rejected a node by itself: %q", got)
	}
	check = ConstraintCheck(&EvalContext{}, []*drover.Constraint{{Operand: "distinct_hosts"},
		{LTarget: "${meta.rack}", Operand: "=", RTarget: "r2"}})
	if got := check(n); got != "${meta.rack} = r2" {
		t.Errorf("reason = %q, want the failed constraint's after a skipped distinct_hosts", got)
	}
}
