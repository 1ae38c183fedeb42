package feasible

import (
	"math/rand/v2"
	"slices"
	"testing"

	drover "github.com/drover-sh/drover"
)

func TestDistinctHostsEnabled(t *testing.T) {
	tests := []struct {
		cs   []*drover.Constraint
		want bool
	}{
		{nil, false},
		{[]*drover.Constraint{{Operand: "distinct_hosts"}}, true},
		{[]*drover.Constraint{{Operand: "distinct_hosts", RTarget: "true"}}, true},
		{[]*drover.Constraint{{Operand: "distinct_hosts", RTarget: "1"}}, true},
		{[]*drover.Constraint{{Operand: "distinct_hosts", RTarget: "false"}}, false},
		{[]*drover.Constraint{{Operand: "distinct_hosts", RTarget: "0"}}, false},
		{[]*drover.Constraint{{Operand: "distinct_hosts", RTarget: "maybe"}}, true}, // unparsable: stay apart
		{[]*drover.Constraint{{LTarget: "${attr.a}", Operand: "=", RTarget: "true"}}, false},
		{[]*drover.Constraint{{Operand: "distinct_hosts", RTarget: "false"}, {Operand: "distinct_hosts"}}, true},
	}
	for i, tt := range tests {
		if got := DistinctHostsEnabled(tt.cs); got != tt.want {
			t.Errorf("%d: DistinctHostsEnabled = %v, want %v", i, got, tt.want)
		}
	}
}

// passed returns the IDs of the nodes it lets through for one placement,
// sorted, with the placement's metric.
func passed(ctx *EvalContext, it FeasibleIterator) ([]string, *drover.AllocMetric) {
	m := ctx.newMetric()
	it.Reset()
	var ids []string
	for c := it.Next(); c != nil; c = it.Next() {
		ids = append(ids, c.Node.ID)
	}
	slices.Sort(ids)
	return ids, m
}

func TestDistinctHostsIterator(t *testing.T) {
	job := &drover.Job{ID: "j", Namespace: "default"}
	mine := func(id, node, group string) *drover.Allocation {
		return &drover.Allocation{ID: id, Namespace: "default", JobID: "j", NodeID: node, TaskGroup: group,
			DesiredStatus: drover.AllocDesiredStatusRun, ClientStatus: drover.AllocClientStatusRunning}
	}
	onA := mine("on-a", "a", "g1")
	done := mine("done", "b", "g1")
	done.ClientStatus = drover.AllocClientStatusComplete
	other := mine("other", "c", "g1")
	other.JobID = "another-job"
	otherNS := mine("other-ns", "c", "g1")
	otherNS.Namespace = "prod"
	src := staticSource{"a": {onA}, "b": {done}, "c": {other, otherNS}}
	nodes := []*drover.Node{testNode("a"), testNode("b"), testNode("c")}
	newCtx := func(jobLevel bool) *EvalContext {
		j := *job
		if jobLevel {
			j.Constraints = []*drover.Constraint{{Operand: "distinct_hosts"}}
		}
		return NewEvalContext(src, &j, nodes, rand.New(rand.NewPCG(1, 2)))
	}
	group := func(name string, on bool) *drover.TaskGroup {
		tg := &drover.TaskGroup{Name: name}
		if on {
			tg.Constraints = []*drover.Constraint{{Operand: "distinct_hosts", RTarget: "true"}}
		}
		return tg
	}
	tests := []struct {
		name     string
		jobLevel bool
		tg       *drover.TaskGroup
		want     []string
	}{
		{"job level: any group of the job keeps a node", true, group("g2", false), []string{"b", "c"}},
		{"group level: the same group keeps a node", false, group("g1", true), []string{"b", "c"}},
		{"group level: another group does not", false, group("g2", true), []string{"a", "b", "c"}},
		{"off", false, group("g1", false), []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := newCtx(tt.jobLevel)
			it := NewDistinctHostsIterator(ctx, NewStaticIterator(ctx), tt.tg)
			got, m := passed(ctx, it)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("passed %v, want %v", got, tt.want)
			}
			if filtered := 3 - len(tt.want); m.ConstraintFiltered[ReasonDistinctHosts] != filtered || m.NodesFiltered != filtered {
				t.Fatalf("metric %+v, want %d filtered under %q", m, filtered, ReasonDistinctHosts)
			}
		})
	}

	t.Run("off returns the source itself", func(t *testing.T) {
		ctx := newCtx(false)
		s := NewStaticIterator(ctx)
		if it := NewDistinctHostsIterator(ctx, s, group("g", false)); it != FeasibleIterator(s) {
			t.Fatalf("got %T, want the source", it)
		}
	})

	t.Run("the plan's stops free a node and its placements take one", func(t *testing.T) {
		ctx := newCtx(true)
		it := NewDistinctHostsIterator(ctx, NewStaticIterator(ctx), group("g1", false))
		ctx.StopAlloc(onA)
		if got, _ := passed(ctx, it); !slices.Equal(got, []string{"a", "b", "c"}) {
			t.Fatalf("after stopping a's allocation: %v", got)
		}
		ctx.PlaceAlloc(&RankedNode{cand: ctx.candidates[ctx.byNodeID["b"]]}, mine("new", "b", "g1"))
		if got, _ := passed(ctx, it); !slices.Equal(got, []string{"a", "c"}) {
			t.Fatalf("after placing on b: %v", got)
		}
	})

	t.Run("a node whose allocations cannot be read is left to bin packing", func(t *testing.T) {
		ctx := NewEvalContext(failingSource{}, job, nodes[:1], rand.New(rand.NewPCG(1, 2)))
		it := NewDistinctHostsIterator(ctx, NewStaticIterator(ctx), group("g1", true))
		if got, _ := passed(ctx, it); len(got) != 1 || ctx.Err() == nil {
			t.Fatalf("passed %v, err %v: want the node passed on and the error kept", got, ctx.Err())
		}
	})
}

func TestNodeUsageJobCount(t *testing.T) {
	job := &drover.Job{ID: "j", Namespace: "default"}
	u := newNodeUsage(testNode("a"))
	for i, g := range []string{"g1", "g1", "g2"} {
		u.add(&drover.Allocation{ID: string(rune('x' + i)), Namespace: "default", JobID: "j", TaskGroup: g}, job, 1)
	}
	u.add(&drover.Allocation{Namespace: "default", JobID: "other", TaskGroup: "g1"}, job, 1)
	if u.JobCount() != 3 || u.JobGroupCount("g1") != 2 {
		t.Fatalf("JobCount %d, g1 %d; want 3 and 2", u.JobCount(), u.JobGroupCount("g1"))
	}
	u.add(&drover.Allocation{Namespace: "default", JobID: "j", TaskGroup: "g1"}, job, -1)
	if u.JobCount() != 2 {
		t.Fatalf("after a stop JobCount = %d, want 2", u.JobCount())
	}
}
