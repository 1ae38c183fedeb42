package feasible

import (
	"testing"

	drover "github.com/drover-sh/drover"
)

func TestSpreadScoresWithTargets(t *testing.T) {
	job := &drover.Job{ID: "j", Namespace: "default"}
	// Group g holds 2 allocations on r1 and 1 on r2; other allocations
	// (another group, a terminal one) do not count.
	src := bySource(runningAlloc("a1", job, "g", "n1"), runningAlloc("a2", job, "g", "n1"),
		runningAlloc("a3", job, "g", "n2"), runningAlloc("h1", job, "h", "n3"),
		&drover.Allocation{ID: "dead", Namespace: "default", JobID: "j", TaskGroup: "g", NodeID: "n3",
			ClientStatus: drover.AllocClientStatusFailed})
	nodes := []*drover.Node{rackNode("n1", "r1"), rackNode("n2", "r2"), rackNode("n3", "r3"), rackNode("n4", "")}
	score := func(ctx *EvalContext, targets ...*drover.SpreadTarget) map[string]RankedNode {
		tg := oneGroup("g", 10)
		spreads := []*drover.Spread{{Attribute: "${meta.rack}", Weight: 50, SpreadTarget: targets}}
		feas := NewStaticIterator(ctx)
		return drain(NewSpreadIterator(ctx, NewBinPackIterator(ctx, feas, tg), feas, tg, spreads))
	}
	expect := func(stage string, got map[string]RankedNode, want map[string]float64) {
		t.Helper()
		for id, w := range want {
			if r := got[id]; !near(r.Spread, w) || r.scored&scoredSpread == 0 {
				t.Errorf("%s: %s spread %v, want %v", stage, id, r.Spread, w)
			}
		}
	}
	ctx := newCtx(src, job, nodes...)
	targets := []*drover.SpreadTarget{{Value: "r1", Percent: 50}, {Value: "r2", Percent: 20}}
	// r1 wants 5 and has 2, r2 wants 2 and has 1, r3 shares the remaining
	// 30% (3) with every unlisted value; a node without a rack gets -1.
	expect("start", score(ctx, targets...), map[string]float64{"n1": (5.0 - 3) / 5, "n2": 0, "n3": (3.0 - 1) / 3, "n4": -1})

	var n3 *Candidate
	for _, c := range ctx.candidates {
		if c.Node.ID == "n3" {
			n3 = c
		}
	}
	ctx.PlaceAlloc(&RankedNode{Node: n3.Node, cand: n3}, runningAlloc("p1", job, "g", "n3"))
	ctx.StopAlloc(src["n1"][0])
	expect("after plan", score(ctx, targets...), map[string]float64{"n1": (5.0 - 2) / 5, "n3": (3.0 - 2) / 3})

	// Listed values that take everything leave -1 for the others; "*"
	// sets the others' share explicitly; overfilled values clamp at -1.
	ctx = newCtx(src, job, nodes...)
	expect("full", score(ctx, &drover.SpreadTarget{Value: "r1", Percent: 100}),
		map[string]float64{"n1": (10.0 - 3) / 10, "n2": -1, "n3": -1})
	expect("star", score(ctx, &drover.SpreadTarget{Value: "r2", Percent: 10}, &drover.SpreadTarget{Value: "*", Percent: 40}),
		map[string]float64{"n1": (4.0 - 3) / 4, "n2": -1, "n3": (4.0 - 3) / 4})
}

func TestEvenSpreadOverFeasibleValues(t *testing.T) {
	job := &drover.Job{ID: "j", Namespace: "default",
		Spreads: []*drover.Spread{{Attribute: "${meta.rack}", Weight: 100}}}
	tg := oneGroup("g", 4)
	// r3 is filtered out by a constraint: the spread is over r1 and r2,
	// 2 each.
	tg.Constraints = []*drover.Constraint{{LTarget: "${meta.rack}", Operand: "!=", RTarget: "r3"}}
	src := bySource(runningAlloc("a1", job, "g", "n1"), runningAlloc("a2", job, "g", "n1"), runningAlloc("a3", job, "g", "n2"))
	nodes := []*drover.Node{rackNode("n1", "r1"), rackNode("n2", "r2"), rackNode("n3", "r3"), rackNode("n4", "r3"), rackNode("n5", "r2")}
	ctx := NewEvalContext(src, job, nodes, testRNG())
	st := NewStack(ctx, tg)
	best, m := st.Select()
	if best == nil || best.Node.Meta["rack"] != "r2" {
		t.Fatalf("best %v, metric %+v", best, m)
	}
	// The walk for the values is not part of the metric: each node is
	// evaluated once, and the two r3 nodes are filtered once.
	if m.NodesEvaluated != 5 || m.ConstraintFiltered["${meta.rack} != r3"] != 2 {
		t.Fatalf("metric %+v", m)
	}
	if !near(best.Spread, 0) || !near(best.ScoreMeta().Scores["allocation-spread"], 0) {
		t.Errorf("r2 spread %v, want (2-2)/2", best.Spread)
	}
	ranked := drain(st.max.src)
	if !near(ranked["n1"].Spread, -0.5) {
		t.Errorf("r1 spread %v, want (2-3)/2", ranked["n1"].Spread)
	}
}
