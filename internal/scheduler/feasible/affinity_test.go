package feasible

import (
	"testing"

	drover "github.com/drover-sh/drover"
)

func TestNodeAffinityScores(t *testing.T) {
	winNode := func(id, rack string) *drover.Node {
		n := rackNode(id, rack)
		n.Attributes["kernel.name"] = "windows"
		return n
	}
	job := &drover.Job{ID: "j", Affinities: []*drover.Affinity{{LTarget: "${meta.rack}", Operand: "=", RTarget: "r1", Weight: 100}}}
	tg := oneGroup("g", 1)
	tg.Tasks[0].Affinities = []*drover.Affinity{{LTarget: "${attr.kernel.name}", Operand: "regexp", RTarget: "^lin", Weight: -50}}
	ctx := newCtx(noAllocs{}, job, rackNode("r1-linux", "r1"), rackNode("r2-linux", "r2"),
		winNode("r2-win", "r2"), winNode("r1-win", "r1"), winNode("norack", ""))
	it := NewNodeAffinityIterator(ctx, NewBinPackIterator(ctx, NewStaticIterator(ctx), tg), GroupAffinities(job, tg))
	want := map[string]float64{"r1-linux": 50.0 / 150, "r2-linux": -50.0 / 150, "r2-win": 0, "r1-win": 100.0 / 150, "norack": 0}
	got := drain(it)
	for id, w := range want {
		r, ok := got[id]
		if !ok || !near(r.Affinity, w) || r.scored&scoredAffinity == 0 {
			t.Errorf("%s: affinity %v (scored %v), want %v", id, r.Affinity, r.scored&scoredAffinity != 0, w)
		}
	}
	// Memoised: a node's attributes do not change within an evaluation,
	// so a second placement reuses the first verdict.
	for _, c := range ctx.candidates {
		c.Node.Meta["rack"] = "r9"
	}
	if again := drain(it); !near(again["r1-win"].Affinity, want["r1-win"]) {
		t.Errorf("second placement recomputed: %v", again["r1-win"].Affinity)
	}
}

func TestNormalizeCountsOnlyApplyingScores(t *testing.T) {
	tests := []struct {
		r    RankedNode
		want float64
	}{
		{RankedNode{BinPack: 0.6, AntiAffinity: -0.2}, 0.2},
		{RankedNode{BinPack: 0.6, AntiAffinity: -0.2, Affinity: 0.8, scored: scoredAffinity}, 0.4},
		{RankedNode{BinPack: 0.6, AntiAffinity: 0, Affinity: 0, scored: scoredAffinity}, 0.2},
		{RankedNode{BinPack: 0.6, AntiAffinity: -0.2, Affinity: 1, Spread: -0.6, scored: scoredAffinity | scoredSpread}, 0.2},
		// Affinity and Spread values without their flag are not scores.
		{RankedNode{BinPack: 0.6, AntiAffinity: 0, Affinity: 1, Spread: 1}, 0.3},
	}
	for i, tt := range tests {
		r := tt.r
		got := NormalizeIterator{src: &sliceRank{nodes: []*RankedNode{&r}}}.Next()
		if !near(got.FinalScore, tt.want) {
			t.Errorf("%d: final %v, want %v", i, got.FinalScore, tt.want)
		}
	}
}

func TestScoreMetaNamesTheScorers(t *testing.T) {
	n := testNode("n")
	tests := []struct {
		scored scorers
		want   []string
	}{
		{0, []string{"binpack", "job-anti-affinity"}},
		{scoredAffinity, []string{"binpack", "job-anti-affinity", "node-affinity"}},
		{scoredSpread | scoredSpreadAlgorithm, []string{"spread", "job-anti-affinity", "allocation-spread"}},
	}
	for _, tt := range tests {
		r := &RankedNode{Node: n, scored: tt.scored}
		got := r.ScoreMeta().Scores
		if len(got) != len(tt.want) {
			t.Errorf("%v: scores %v, want %v", tt.scored, got, tt.want)
		}
		for _, k := range tt.want {
			if _, ok := got[k]; !ok {
				t.Errorf("%v: scores %v lack %s", tt.scored, got, k)
			}
		}
	}
}

// sliceRank hands out fixed ranked nodes.
type sliceRank struct {
	nodes []*RankedNode
	i     int
}

func (s *sliceRank) Next() *RankedNode {
	if s.i >= len(s.nodes) {
		return nil
	}
	s.i++
	return s.nodes[s.i-1]
}

func (s *sliceRank) Reset() { s.i = 0 }

func TestSpreadAlgorithmReversesTheResourceScore(t *testing.T) {
	empty, half := testNode("empty"), testNode("half")
	job := &drover.Job{ID: "j", Namespace: "default"}
	src := bySource(&drover.Allocation{ID: "x", NodeID: "half", DesiredStatus: drover.AllocDesiredStatusRun,
		ClientStatus: drover.AllocClientStatusRunning, AllocatedResources: &drover.AllocatedResources{
			Tasks: map[string]*drover.AllocatedTaskResources{"t": {Cpu: drover.AllocatedCpuResources{CpuShares: 500},
				Memory: drover.AllocatedMemoryResources{MemoryMB: 500}}}}})
	tg := oneGroup("g", 1)
	for _, alg := range []string{"", drover.SchedulerAlgorithmBinpack, drover.SchedulerAlgorithmSpread, "bogus"} {
		ctx := newCtx(src, job, empty, half)
		ctx.SetAlgorithm(alg)
		got := drain(NewBinPackIterator(ctx, NewStaticIterator(ctx), tg))
		// binpack: (10+0)/1000 vs (510+500)/1000 over two dimensions.
		e, h := 0.01, 0.51
		if alg == drover.SchedulerAlgorithmSpread {
			e, h = 1-e, 1-h
		}
		if !near(got["empty"].BinPack, e) || !near(got["half"].BinPack, h) {
			t.Errorf("%q: empty %v half %v, want %v %v", alg, got["empty"].BinPack, got["half"].BinPack, e, h)
		}
		wantAlg := drover.SchedulerAlgorithmBinpack
		if alg == drover.SchedulerAlgorithmSpread {
			wantAlg = alg
		}
		if ctx.Algorithm() != wantAlg {
			t.Errorf("%q: algorithm %q", alg, ctx.Algorithm())
		}
	}
}
