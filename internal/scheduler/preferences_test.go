package scheduler_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

// racked returns a harness whose nodes carry meta.rack: perRack[i] nodes in
// rack "r<i+1>".
func racked(t *testing.T, perRack ...int) *schedtest.Harness {
	t.Helper()
	h := schedtest.New()
	i := 0
	for r, n := range perRack {
		for range n {
			node := schedtest.Node(fmt.Sprintf("node-%03d", i))
			node.Attributes["unique.network.ip-address"] = fmt.Sprintf("10.0.0.%d", i)
			node.Meta["rack"] = fmt.Sprintf("r%d", r+1)
			h.UpsertNode(node)
			i++
		}
	}
	return h
}

// byRack counts the job's live allocations by their node's rack.
func byRack(t *testing.T, h *schedtest.Harness, job *drover.Job) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
		n, _ := h.NodeByID(a.NodeID)
		out[n.Meta["rack"]]++
	}
	return out
}

func TestAffinityMovesPlacements(t *testing.T) {
	for _, tt := range []struct {
		weight       int8
		toward, away string
	}{{100, "r1", "r2"}, {-100, "r2", "r1"}} {
		t.Run(fmt.Sprint(tt.weight), func(t *testing.T) {
			h := racked(t, 5, 5)
			job := schedtest.Job("web", 10)
			job.TaskGroups[0].Affinities = []*drover.Affinity{{LTarget: "${meta.rack}", Operand: "=", RTarget: "r1", Weight: tt.weight}}
			h.UpsertJob(job)
			ev := process(t, h, job)
			got := byRack(t, h, job)
			if got[tt.toward]+got[tt.away] != 10 {
				t.Fatalf("placed %v, failed %+v", got, ev.FailedTGAllocs)
			}
			// Without the affinity, anti-affinity alone would share the
			// allocations between both racks' ten nodes.
			if got[tt.toward] < 8 {
				t.Errorf("by rack %v: want most on %s", got, tt.toward)
			}
			for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
				n, _ := h.NodeByID(a.NodeID)
				s := a.Metrics.ScoreMetaData[0].Scores
				want := -1.0
				if n.Meta["rack"] == "r1" {
					want = 1
				}
				if tt.weight < 0 {
					want = min(-want, 0)
				} else {
					want = max(want, 0)
				}
				if s["node-affinity"] != want {
					t.Errorf("%s on %s: scores %v, want node-affinity %v", a.Name, n.Meta["rack"], s, want)
				}
			}
		})
	}
}

func TestAffinityMatchesLikeConstraints(t *testing.T) {
	// Task-level affinities count too, with every constraint operator.
	h := racked(t, 3, 3)
	job := schedtest.Job("web", 3)
	job.TaskGroups[0].Tasks[0].Affinities = []*drover.Affinity{{LTarget: "${meta.rack}", Operand: "regexp", RTarget: "^r[2]$", Weight: 80}}
	h.UpsertJob(job)
	process(t, h, job)
	if got := byRack(t, h, job); got["r2"] != 3 {
		t.Fatalf("by rack %v, want all 3 on r2", got)
	}
}

func TestSpreadEvenlyOverRacks(t *testing.T) {
	// Racks of 6, 4 and 2 nodes: spreading by node alone would follow the
	// node counts.
	h := racked(t, 6, 4, 2)
	job := schedtest.Job("web", 12)
	job.Spreads = []*drover.Spread{{Attribute: "${meta.rack}", Weight: 100}}
	h.UpsertJob(job)
	ev := process(t, h, job)
	got := byRack(t, h, job)
	lo, hi := 12, 0
	for _, r := range []string{"r1", "r2", "r3"} {
		lo, hi = min(lo, got[r]), max(hi, got[r])
	}
	if got["r1"]+got["r2"]+got["r3"] != 12 || hi-lo > 1 {
		t.Fatalf("by rack %v (failed %+v), want 4 each within 1", got, ev.FailedTGAllocs)
	}
	s := h.LiveAllocs(job.Namespace, job.ID)[0].Metrics.ScoreMetaData[0].Scores
	if _, ok := s["allocation-spread"]; !ok {
		t.Errorf("scores %v lack allocation-spread", s)
	}
	if _, ok := s["node-affinity"]; ok {
		t.Errorf("scores %v have node-affinity without affinities", s)
	}

	// Scaling up keeps counting the allocations already placed.
	more := *job
	more.TaskGroups = []*drover.TaskGroup{ptrCopy(job.TaskGroups[0])}
	more.TaskGroups[0].Count = 15
	keepVersion(h, job, &more)
	process(t, h, &more)
	if got := byRack(t, h, job); got["r1"] != 5 || got["r2"] != 5 || got["r3"] != 5 {
		t.Fatalf("after scaling to 15: by rack %v, want 5 each", got)
	}
}

func TestSpreadTargets(t *testing.T) {
	tests := []struct {
		name    string
		racks   []int
		count   int
		targets []*drover.SpreadTarget
		want    map[string]int
	}{
		{"70/30", []int{5, 5}, 10, []*drover.SpreadTarget{{Value: "r1", Percent: 70}, {Value: "r2", Percent: 30}},
			map[string]int{"r1": 7, "r2": 3}},
		{"30/70 against the node counts", []int{8, 2}, 10, []*drover.SpreadTarget{{Value: "r1", Percent: 30}, {Value: "r2", Percent: 70}},
			map[string]int{"r1": 3, "r2": 7}},
		// r2 and r3 share the remaining 40%.
		{"implicit remainder", []int{3, 3, 3}, 10, []*drover.SpreadTarget{{Value: "r1", Percent: 60}},
			map[string]int{"r1": 6, "rest": 4}},
		{"star", []int{3, 3, 3}, 10, []*drover.SpreadTarget{{Value: "r3", Percent: 20}, {Value: "*", Percent: 80}},
			map[string]int{"r3": 2, "rest": 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := racked(t, tt.racks...)
			job := schedtest.Job("web", tt.count)
			job.TaskGroups[0].Spreads = []*drover.Spread{{Attribute: "${meta.rack}", Weight: 100, SpreadTarget: tt.targets}}
			h.UpsertJob(job)
			process(t, h, job)
			got := byRack(t, h, job)
			if _, ok := tt.want["rest"]; ok {
				listed := map[string]bool{}
				for _, tg := range tt.targets {
					listed[tg.Value] = true
				}
				folded := map[string]int{}
				for r, n := range got {
					if !listed[r] {
						r = "rest"
					}
					folded[r] += n
				}
				got = folded
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("by rack %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDistinctProperty(t *testing.T) {
	for _, tt := range []struct {
		limit  string
		count  int
		placed int
	}{{"", 4, 3}, {"1", 3, 3}, {"2", 7, 6}} {
		t.Run("limit "+tt.limit, func(t *testing.T) {
			h := racked(t, 3, 3, 3)
			job := schedtest.Job("web", tt.count)
			job.Constraints = []*drover.Constraint{{LTarget: "${meta.rack}", Operand: "distinct_property", RTarget: tt.limit}}
			h.UpsertJob(job)
			ev := process(t, h, job)
			got := byRack(t, h, job)
			per := 1
			if tt.limit == "2" {
				per = 2
			}
			for _, r := range []string{"r1", "r2", "r3"} {
				if got[r] != per {
					t.Errorf("by rack %v, want %d per rack", got, per)
				}
			}
			m := ev.FailedTGAllocs["web"]
			if tt.placed == tt.count {
				if m != nil {
					t.Fatalf("failed: %+v", m)
				}
				return
			}
			// Every node is rejected for the excess allocation.
			if m == nil || m.ConstraintFiltered["distinct_property: ${meta.rack}"] != 9 {
				t.Fatalf("failure metric %+v", m)
			}
		})
	}
}

func TestDistinctPropertyScopeAndStops(t *testing.T) {
	twoGroups := func(jobLevel bool) *drover.Job {
		job := schedtest.Job("web", 2)
		api := ptrCopy(job.TaskGroups[0])
		api.Name = "api"
		job.TaskGroups = append(job.TaskGroups, api)
		c := []*drover.Constraint{{LTarget: "${meta.rack}", Operand: "distinct_property"}}
		if jobLevel {
			job.Constraints = c
		} else {
			job.TaskGroups[0].Constraints = c
			api.Constraints = c
		}
		return job
	}
	// Job level: one allocation per rack over both groups together.
	h := racked(t, 2, 2, 2)
	job := twoGroups(true)
	h.UpsertJob(job)
	ev := process(t, h, job)
	if got := byRack(t, h, job); got["r1"] != 1 || got["r2"] != 1 || got["r3"] != 1 {
		t.Fatalf("job level: by rack %v, want one each", got)
	}
	failed := 0
	for _, m := range ev.FailedTGAllocs {
		failed += 1 + m.CoalescedFailures
	}
	if failed != 1 {
		t.Fatalf("job level: %d failed, want 1 (%+v)", failed, ev.FailedTGAllocs)
	}

	// Group level: each group gets a rack of its own for each allocation.
	h = racked(t, 2, 2, 2)
	job = twoGroups(false)
	h.UpsertJob(job)
	if ev := process(t, h, job); len(ev.FailedTGAllocs) != 0 {
		t.Fatalf("group level failed: %+v", ev.FailedTGAllocs)
	}
	for _, g := range []string{"web", "api"} {
		racks := map[string]bool{}
		for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
			if a.TaskGroup == g {
				n, _ := h.NodeByID(a.NodeID)
				racks[n.Meta["rack"]] = true
			}
		}
		if len(racks) != 2 {
			t.Errorf("group %s uses racks %v, want 2 distinct", g, racks)
		}
	}

	// A new version replaces every allocation: the stopped ones free their
	// racks for their replacements.
	h = racked(t, 1, 1, 1)
	job = schedtest.Job("web", 3)
	job.Constraints = []*drover.Constraint{{LTarget: "${meta.rack}", Operand: "distinct_property", RTarget: "1"}}
	h.UpsertJob(job)
	process(t, h, job)
	v2 := *job
	v2.TaskGroups = []*drover.TaskGroup{ptrCopy(job.TaskGroups[0])}
	v2.TaskGroups[0].Tasks = []*drover.Task{{Name: "server", Driver: "raw_exec", Config: map[string]any{"command": "v2"},
		Resources: &drover.Resources{CPU: 500, MemoryMB: 256}}}
	v2.Version++
	h.UpsertJob(&v2)
	ev = process(t, h, &v2)
	live := h.LiveAllocs(job.Namespace, job.ID)
	if len(ev.FailedTGAllocs) != 0 || len(live) != 3 {
		t.Fatalf("update: %d live, failed %+v", len(live), ev.FailedTGAllocs)
	}
	for _, a := range live {
		if a.Job.Version != v2.Version {
			t.Errorf("%s still runs version %d", a.Name, a.Job.Version)
		}
	}
}

func TestSchedulerAlgorithmSpread(t *testing.T) {
	run := func(algorithm string) (nodes map[string]int, scores map[string]float64) {
		h := cluster(t, 4)
		h.SetSchedulerConfig(&drover.SchedulerConfiguration{SchedulerAlgorithm: algorithm})
		job := schedtest.Job("web", 4)
		r := job.TaskGroups[0].Tasks[0].Resources
		r.CPU, r.MemoryMB = 1500, 3000 // two fit on a node
		h.UpsertJob(job)
		if ev := process(t, h, job); len(ev.FailedTGAllocs) != 0 {
			t.Fatalf("%s: failed %+v", algorithm, ev.FailedTGAllocs)
		}
		nodes = map[string]int{}
		for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
			nodes[a.NodeID]++
			scores = a.Metrics.ScoreMetaData[0].Scores
		}
		return nodes, scores
	}
	nodes, scores := run(drover.SchedulerAlgorithmSpread)
	if len(nodes) != 4 {
		t.Errorf("spread: allocations per node %v, want one on each of 4", nodes)
	}
	if _, ok := scores["spread"]; !ok || len(scores) != 2 {
		t.Errorf("spread: scores %v, want spread and job-anti-affinity", scores)
	}
	nodes, scores = run(drover.SchedulerAlgorithmBinpack)
	if len(nodes) == 4 {
		t.Errorf("binpack: allocations per node %v, want some stacked", nodes)
	}
	if _, ok := scores["binpack"]; !ok {
		t.Errorf("binpack: scores %v", scores)
	}
}

func TestSystemSchedulerIgnoresSpreadAlgorithm(t *testing.T) {
	h := cluster(t, 2)
	h.SetSchedulerConfig(&drover.SchedulerConfiguration{SchedulerAlgorithm: drover.SchedulerAlgorithmSpread})
	job := schedtest.Job("sys", 1)
	job.Type = drover.JobTypeSystem
	h.UpsertJob(job)
	process(t, h, job)
	live := h.LiveAllocs(job.Namespace, job.ID)
	if len(live) != 2 {
		t.Fatalf("%d allocations, want one per node", len(live))
	}
	for _, a := range live {
		if s := a.Metrics.ScoreMetaData[0].Scores; s["binpack"] <= 0 {
			t.Errorf("%s scores %v, want a binpack score", a.Name, s)
		}
	}
}

func TestSystemJobDistinctProperty(t *testing.T) {
	h := racked(t, 2, 2, 2)
	job := schedtest.Job("sys", 1)
	job.Type = drover.JobTypeSystem
	job.Constraints = []*drover.Constraint{{LTarget: "${meta.rack}", Operand: "distinct_property"}}
	h.UpsertJob(job)
	process(t, h, job)
	if got := byRack(t, h, job); len(got) != 3 || got["r1"] != 1 || got["r2"] != 1 || got["r3"] != 1 {
		t.Fatalf("by rack %v, want one allocation per rack", got)
	}

	// A new version stops and replaces each allocation on its node; the
	// plan's stops on other nodes free their racks too.
	v2 := *job
	v2.TaskGroups = []*drover.TaskGroup{ptrCopy(job.TaskGroups[0])}
	v2.TaskGroups[0].Tasks = []*drover.Task{{Name: "server", Driver: "raw_exec", Config: map[string]any{"command": "v2"},
		Resources: &drover.Resources{CPU: 500, MemoryMB: 256}}}
	v2.Version++
	h.UpsertJob(&v2)
	process(t, h, &v2)
	live := h.LiveAllocs(job.Namespace, job.ID)
	if got := byRack(t, h, job); len(live) != 3 || got["r1"] != 1 || got["r2"] != 1 || got["r3"] != 1 {
		t.Fatalf("after update: by rack %v", got)
	}
	for _, a := range live {
		if a.Job.Version != v2.Version {
			t.Errorf("%s still runs version %d", a.Name, a.Job.Version)
		}
	}
}

func TestSystemJobDistinctPropertyCountsStopsOnOtherNodes(t *testing.T) {
	h := racked(t, 2, 1)
	job := schedtest.Job("sys", 1)
	job.Type = drover.JobTypeSystem
	job.Constraints = []*drover.Constraint{{LTarget: "${meta.rack}", Operand: "distinct_property"}}
	h.UpsertJob(job)
	process(t, h, job)
	var moved *drover.Node
	for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
		if n, _ := h.NodeByID(a.NodeID); n.Meta["rack"] == "r1" {
			moved = n
		}
	}
	if moved == nil {
		t.Fatal("nothing placed on r1")
	}
	// The r1 node leaves the job's node pool: its allocation stops, and in
	// the same plan the other r1 node takes the rack's one allocation.
	out := *moved
	out.NodePool = "other"
	h.UpsertNode(&out)
	ev := schedtest.Eval(job)
	ev.TriggeredBy = drover.EvalTriggerNodeUpdate
	processEval(t, h, ev)
	live := h.LiveAllocs(job.Namespace, job.ID)
	if got := byRack(t, h, job); len(live) != 2 || got["r1"] != 1 || got["r2"] != 1 {
		t.Fatalf("by rack %v, want the r1 allocation moved to the other r1 node", got)
	}
	for _, a := range live {
		if a.NodeID == moved.ID {
			t.Errorf("%s still on the node that left the pool", a.Name)
		}
	}
}

// configFails is a harness whose scheduler configuration cannot be read.
type configFails struct{ *schedtest.Harness }

func (configFails) SchedulerConfig() (*drover.SchedulerConfiguration, error) {
	return nil, errors.New("snapshot gone")
}

func TestSchedulerConfigReadErrorFailsTheEvaluation(t *testing.T) {
	h := cluster(t, 2)
	job := schedtest.Job("web", 1)
	h.UpsertJob(job)
	s, err := scheduler.New(job.Type, nil, configFails{h}, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Process(schedtest.Eval(job)); err == nil || !strings.Contains(err.Error(), "scheduler configuration") {
		t.Fatalf("Process = %v, want the configuration read error", err)
	}
	if n := len(h.LiveAllocs(job.Namespace, job.ID)); n != 0 {
		t.Fatalf("placed %d without knowing the algorithm", n)
	}
}

// TestAffinityBeyondTheCandidateLimit: on a cluster larger than the usual
// candidate limit (9 of 300 nodes), a preference for a fifth of the nodes
// still wins every placement, because groups with preferences score more
// candidates.
func TestAffinityBeyondTheCandidateLimit(t *testing.T) {
	h := schedtest.New()
	for i, n := range schedtest.Nodes(300) {
		if i%5 == 0 {
			n.Meta["tier"] = "gold"
		}
		h.UpsertNode(n)
	}
	job := schedtest.Job("web", 10)
	job.Affinities = []*drover.Affinity{{LTarget: "${meta.tier}", Operand: "=", RTarget: "gold", Weight: 100}}
	h.UpsertJob(job)
	process(t, h, job)
	live := h.LiveAllocs(job.Namespace, job.ID)
	if len(live) != 10 {
		t.Fatalf("placed %d", len(live))
	}
	for _, a := range live {
		if n, _ := h.NodeByID(a.NodeID); n.Meta["tier"] != "gold" {
			t.Errorf("%s on %s, not a gold node", a.Name, n.ID)
		}
	}
}
