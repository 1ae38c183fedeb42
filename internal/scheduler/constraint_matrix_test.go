package scheduler_test

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"testing"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

// matrixNode describes one node of the constraint matrix's cluster. Every
// property differs enough between nodes that each row of the matrix makes a
// known subset of them feasible.
type matrixNode struct {
	name, dc, pool, class string
	attrs, meta           map[string]string
}

var matrixNodes = []matrixNode{
	{"alpha", "dc1", "default", "small",
		map[string]string{"cpu.numcores": "2", "kernel.version": "4.19.0", "features": "sse"},
		map[string]string{"rack": "r1", "zone": "a"}},
	{"bravo", "dc1", "default", "small",
		map[string]string{"cpu.numcores": "4", "kernel.version": "5.4.0", "features": "sse,avx"},
		map[string]string{"rack": "r1", "zone": "b"}},
	{"charlie", "dc2", "default", "medium",
		map[string]string{"cpu.numcores": "8", "kernel.version": "5.10.0", "features": "sse,avx,avx2", "gpu": "nvidia"},
		map[string]string{"rack": "r2", "zone": "a"}},
	{"delta", "dc2", "batch", "medium",
		map[string]string{"cpu.numcores": "16", "kernel.version": "5.15.0", "features": "avx,avx2"},
		map[string]string{"rack": "r2", "zone": "b"}},
	{"echo", "dc3", "batch", "large",
		map[string]string{"cpu.numcores": "32", "kernel.version": "6.1.0", "features": "avx512", "gpu": "nvidia"},
		map[string]string{"rack": "r3", "zone": "a"}},
	{"foxtrot", "dc3", "gpu", "large",
		map[string]string{"cpu.numcores": "64", "kernel.version": "6.8.0", "features": "sse, avx512", "gpu": "amd"},
		map[string]string{"rack": "r3"}},
}

// matrixCluster stores the matrix's nodes, named after matrixNodes. With
// roomy false each node has room for exactly one allocation of
// schedtest.Job (500 MHz), so a placement beyond the feasible nodes fails.
func matrixCluster(roomy bool) *schedtest.Harness {
	h := schedtest.New()
	for i, m := range matrixNodes {
		n := schedtest.Node(m.name)
		n.Name, n.Datacenter, n.NodePool, n.NodeClass = m.name, m.dc, m.pool, m.class
		n.Attributes["unique.network.ip-address"] = fmt.Sprintf("10.0.0.%d", i+1)
		for k, v := range m.attrs {
			n.Attributes[k] = v
		}
		for k, v := range m.meta {
			n.Meta[k] = v
		}
		if !roomy {
			n.NodeResources.Cpu.CpuShares = 600
		}
		h.UpsertNode(n)
	}
	return h
}

// matrixJob is schedtest.Job with count allocations in every node pool, so
// that constraints alone decide feasibility.
func matrixJob(id string, count int, cons ...*drover.Constraint) *drover.Job {
	job := schedtest.Job(id, count)
	job.NodePool = "all"
	job.Constraints = cons
	return job
}

func allocNodes(allocs []*drover.Allocation) []string {
	var out []string
	for _, a := range allocs {
		out = append(out, a.NodeID)
	}
	sort.Strings(out)
	return out
}

// TestConstraintOperatorMatrix runs every constraint operator of Nomad's list
// (and the aliases ==, is, not) through the scheduler over ${attr.*},
// ${meta.*} and each ${node.*} target. Each row asks for two allocations more
// than the nodes it makes feasible, on nodes with room for one allocation
// each: the feasible nodes must get one each, no other node any, and the two
// left over must fail with every infeasible node counted under the
// constraint's text and every feasible one as exhausted.
func TestConstraintOperatorMatrix(t *testing.T) {
	c := func(l, op, r string) *drover.Constraint {
		return &drover.Constraint{LTarget: l, Operand: op, RTarget: r}
	}
	tests := []struct {
		c    *drover.Constraint
		want []string
	}{
		{c("${node.class}", "=", "medium"), []string{"charlie", "delta"}},
		{c("${node.datacenter}", "==", "dc3"), []string{"echo", "foxtrot"}},
		{c("${node.pool}", "is", "batch"), []string{"delta", "echo"}},
		{c("${node.unique.name}", "=", "bravo"), []string{"bravo"}},
		{c("${meta.rack}", "!=", "r1"), []string{"charlie", "delta", "echo", "foxtrot"}},
		{c("${attr.gpu}", "not", "nvidia"), []string{"foxtrot"}}, // an unset attribute matches nothing
		{c("${node.pool}", "!=", "default"), []string{"delta", "echo", "foxtrot"}},
		// Numbers compare as numbers: "16" > "8" though not as text.
		{c("${attr.cpu.numcores}", ">", "8"), []string{"delta", "echo", "foxtrot"}},
		{c("${attr.cpu.numcores}", ">=", "8"), []string{"charlie", "delta", "echo", "foxtrot"}},
		{c("${attr.cpu.numcores}", "<", "16"), []string{"alpha", "bravo", "charlie"}},
		{c("${attr.cpu.numcores}", "<=", "4"), []string{"alpha", "bravo"}},
		// Text compares as text.
		{c("${node.unique.name}", "<", "charlie"), []string{"alpha", "bravo"}},
		{c("${meta.zone}", ">=", "b"), []string{"bravo", "delta"}},
		{c("${node.unique.name}", "regexp", "^(alpha|e.*)$"), []string{"alpha", "echo"}},
		{c("${node.class}", "regexp", "l"), []string{"alpha", "bravo", "echo", "foxtrot"}},
		{c("${attr.features}", "set_contains", "avx,avx2"), []string{"charlie", "delta"}},
		{c("${attr.features}", "set_contains_all", "sse,avx"), []string{"bravo", "charlie"}},
		{c("${attr.features}", "set_contains_any", "avx2,avx512"), []string{"charlie", "delta", "echo", "foxtrot"}},
		{c("${attr.features}", "set_contains", "avx512"), []string{"echo", "foxtrot"}}, // spaces around items are ignored
		// 5.10 is above 5.4: versions compare by segment.
		{c("${attr.kernel.version}", "version", ">= 5.10, < 6.5"), []string{"charlie", "delta", "echo"}},
		{c("${attr.kernel.version}", "version", "~> 5.4"), []string{"bravo", "charlie", "delta"}},
		{c("${attr.kernel.version}", "semver", "> 6.0.0"), []string{"echo", "foxtrot"}},
		{c("${attr.kernel.version}", "semver", ">= 5.10.0, < 5.15.0"), []string{"charlie"}},
		{c("${attr.gpu}", "is_set", ""), []string{"charlie", "echo", "foxtrot"}},
		{c("${meta.zone}", "is_not_set", ""), []string{"foxtrot"}},
		{c("${meta.missing}", "is_not_set", ""), []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"}},
	}
	for _, tt := range tests {
		t.Run(tt.c.String(), func(t *testing.T) {
			h := matrixCluster(false)
			job := matrixJob("m", len(tt.want)+2, tt.c)
			if err := job.Validate(); err != nil {
				t.Fatalf("the row's job is not valid: %v", err)
			}
			h.UpsertJob(job)
			ev := process(t, h, job)
			if got := allocNodes(h.LiveAllocs(job.Namespace, job.ID)); !slices.Equal(got, tt.want) {
				t.Fatalf("placed on %v, want exactly %v", got, tt.want)
			}
			infeasible := len(matrixNodes) - len(tt.want)
			m := ev.FailedTGAllocs["web"]
			if m == nil {
				t.Fatalf("no failure recorded for the 2 placements beyond the feasible nodes")
			}
			if m.ConstraintFiltered[tt.c.String()] != infeasible || m.NodesFiltered != infeasible ||
				m.NodesExhausted != len(tt.want) || m.DimensionExhausted["cpu"] != len(tt.want) ||
				m.NodesEvaluated != len(matrixNodes) || m.CoalescedFailures != 1 || ev.QueuedAllocations["web"] != 2 {
				t.Fatalf("metric %+v queued %v: want %d filtered under %q, %d exhausted on cpu, 1 coalesced, 2 queued",
					m, ev.QueuedAllocations, infeasible, tt.c.String(), len(tt.want))
			}

			// A system job with the same constraint runs on exactly the
			// same nodes.
			sys := matrixJob("sys", 1, tt.c)
			sys.Type = drover.JobTypeSystem
			h2 := matrixCluster(false)
			h2.UpsertJob(sys)
			process(t, h2, sys)
			if got := allocNodes(h2.LiveAllocs(sys.Namespace, sys.ID)); !slices.Equal(got, tt.want) {
				t.Fatalf("system job placed on %v, want exactly %v", got, tt.want)
			}
		})
	}
}

// TestConstraintMatrixDistinctHosts is the matrix's distinct_hosts row: on
// nodes with room for many allocations, distinct_hosts alone puts one on
// each node and fails the rest with every node counted under
// "distinct_hosts"; with a node constraint as well, each filter counts the
// nodes it rejected.
func TestConstraintMatrixDistinctHosts(t *testing.T) {
	dh := &drover.Constraint{Operand: "distinct_hosts", RTarget: "true"}
	medium := &drover.Constraint{LTarget: "${node.class}", Operand: "=", RTarget: "medium"}
	all := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"}
	tests := []struct {
		name    string
		cons    []*drover.Constraint
		count   int
		want    []string
		reasons map[string]int
	}{
		{"alone", []*drover.Constraint{dh}, 8, all, map[string]int{"distinct_hosts": 6}},
		{"with a node constraint", []*drover.Constraint{medium, dh}, 4, []string{"charlie", "delta"},
			map[string]int{medium.String(): 4, "distinct_hosts": 2}},
		{"value false is off", []*drover.Constraint{{Operand: "distinct_hosts", RTarget: "false"}}, 8, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := matrixCluster(true)
			job := matrixJob("dh", tt.count, tt.cons...)
			if err := job.Validate(); err != nil {
				t.Fatalf("the row's job is not valid: %v", err)
			}
			h.UpsertJob(job)
			ev := process(t, h, job)
			live := h.LiveAllocs(job.Namespace, job.ID)
			if tt.want == nil {
				if len(live) != tt.count || len(ev.FailedTGAllocs) != 0 {
					t.Fatalf("placed %d of %d, failed %+v", len(live), tt.count, ev.FailedTGAllocs["web"])
				}
				return
			}
			if got := allocNodes(live); !slices.Equal(got, tt.want) {
				t.Fatalf("placed on %v, want exactly %v", got, tt.want)
			}
			m := ev.FailedTGAllocs["web"]
			if m == nil || !maps.Equal(m.ConstraintFiltered, tt.reasons) || m.NodesExhausted != 0 ||
				m.CoalescedFailures != tt.count-len(tt.want)-1 {
				t.Fatalf("metric %+v, want reasons %v and nothing exhausted", m, tt.reasons)
			}
		})
	}
}
