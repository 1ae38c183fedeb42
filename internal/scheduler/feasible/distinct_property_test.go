package feasible

import (
	"testing"

	drover "github.com/drover-sh/drover"
)

func TestDistinctPropertyFilter(t *testing.T) {
	job := &drover.Job{ID: "j", Namespace: "default"}
	nodes := []*drover.Node{rackNode("n1", "r1"), rackNode("n2", "r1"), rackNode("n3", "r2"), rackNode("n4", "")}
	src := bySource(runningAlloc("a1", job, "g", "n1"), runningAlloc("h1", job, "h", "n3"))
	passing := func(ctx *EvalContext, tg *drover.TaskGroup) (ids map[string]bool, m *drover.AllocMetric) {
		m = ctx.newMetric()
		it := NewDistinctPropertyIterator(ctx, NewStaticIterator(ctx), tg)
		ids = map[string]bool{}
		for c := it.Next(); c != nil; c = it.Next() {
			ids[c.Node.ID] = true
		}
		return ids, m
	}
	rule := func(limit string) []*drover.Constraint {
		return []*drover.Constraint{{LTarget: "${meta.rack}", Operand: OpDistinctProperty, RTarget: limit}}
	}
	const reason = "distinct_property: ${meta.rack}"

	// Group level, limit 1: r1 holds g's a1, r2 holds only h's allocation;
	// n4 lacks the rack.
	tg := oneGroup("g", 3)
	tg.Constraints = rule("")
	ctx := newCtx(src, job, nodes...)
	ids, m := passing(ctx, tg)
	if len(ids) != 1 || !ids["n3"] || m.ConstraintFiltered[reason] != 3 {
		t.Fatalf("group limit 1: passed %v, metric %+v", ids, m)
	}
	// Not memoised: placing on r2 closes it, stopping a1 opens r1.
	n3 := ctx.candidates[ctx.byNodeID["n3"]]
	ctx.PlaceAlloc(&RankedNode{Node: n3.Node, cand: n3}, runningAlloc("p1", job, "g", "n3"))
	ctx.StopAlloc(src["n1"][0])
	if ids, _ = passing(ctx, tg); len(ids) != 2 || !ids["n1"] || !ids["n2"] {
		t.Fatalf("after plan: passed %v, want n1 and n2", ids)
	}

	// Job level counts every group: h's allocation closes r2.
	job.Constraints = rule("1")
	ctx = newCtx(src, job, nodes...)
	if ids, _ = passing(ctx, oneGroup("g", 3)); len(ids) != 0 {
		t.Fatalf("job level: passed %v, want none", ids)
	}
	// Limit 2 leaves room for one more on each rack.
	job.Constraints = rule("2")
	ctx = newCtx(src, job, nodes...)
	if ids, _ = passing(ctx, oneGroup("g", 3)); len(ids) != 3 || ids["n4"] {
		t.Fatalf("job level limit 2: passed %v", ids)
	}
	job.Constraints = nil

	// A limit that is not a positive count rejects every node, saying so.
	for _, bad := range []string{"0", "-1", "two"} {
		tg := oneGroup("g", 1)
		tg.Tasks[0].Constraints = rule(bad) // task level counts as the group's
		ctx := newCtx(src, job, nodes...)
		ids, m := passing(ctx, tg)
		want := `distinct_property: ${meta.rack}: invalid limit "` + bad + `"`
		if len(ids) != 0 || m.ConstraintFiltered[want] != 4 {
			t.Errorf("limit %q: passed %v, metric %+v", bad, ids, m.ConstraintFiltered)
		}
	}

	// Without the constraint the source is returned as is.
	ctx = newCtx(src, job, nodes...)
	s := NewStaticIterator(ctx)
	if NewDistinctPropertyIterator(ctx, s, oneGroup("g", 1)) != FeasibleIterator(s) {
		t.Error("a group without distinct_property got a filter")
	}
}

func TestConstraintCheckLeavesDistinctPropertyToItsFilter(t *testing.T) {
	check := ConstraintCheck(&EvalContext{}, []*drover.Constraint{
		{LTarget: "${meta.rack}", Operand: OpDistinctProperty, RTarget: "1"},
		{LTarget: "${meta.rack}", Operand: "=", RTarget: "r1"},
	})
	if got := check(rackNode("n1", "r1")); got != "" {
		t.Errorf("reason = %q, want accepted", got)
	}
	if got := check(rackNode("n1", "r2")); got != "${meta.rack} = r1" {
		t.Errorf("reason = %q", got)
	}
}
