package scheduler_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

// TestSamePlanFromSameState plans one evaluation twice from the same state
// (the planner commits nothing, so the state does not move) over random
// mixes of every placement feature, preemption and migrations, and checks
// that the two plans are the same: same nodes, ports and evictions for the
// same allocations. A scheduler whose choice depends on map order or on
// anything but the evaluation and the state fails it.
func TestSamePlanFromSameState(t *testing.T) {
	iterations := 100
	if testing.Short() {
		iterations = 30
	}
	compared := 0
	for it := range iterations {
		rng := rand.New(rand.NewPCG(uint64(it), 11))
		h := schedtest.New()
		h.SetSchedulerConfig(&drover.SchedulerConfiguration{SchedulerAlgorithm: drover.SchedulerAlgorithmBinpack,
			PreemptionConfig: drover.PreemptionConfig{SystemSchedulerEnabled: true, BatchSchedulerEnabled: true,
				ServiceSchedulerEnabled: true}})
		nodes := mixNodes(rng, h)
		var jobs []*drover.Job
		for j := range 2 + rng.IntN(4) {
			job := randomMixJob(rng, fmt.Sprintf("job%d", j))
			jobs = append(jobs, job)
			h.UpsertJob(job)
			processEval(t, h, schedtest.Eval(job))
		}
		drained := nodes[rng.IntN(len(nodes))]
		drainNode(t, h, drained.ID)
		all, _ := h.AllocsByNode(drained.ID)
		markMigrate(h, all...)
		last := randomMixJob(rng, "last")
		last.Priority = 90
		h.UpsertJob(last)
		jobs = append(jobs, last)

		h.InjectPartialCommit(func(*drover.Plan, int) *drover.PlanResult { return &drover.PlanResult{} })
		for _, job := range jobs {
			ev := schedtest.Eval(job)
			first := len(h.Plans)
			processEval(t, h, ev)
			if len(h.Plans) == first {
				continue // nothing to plan
			}
			a := planSummary(h.Plans[first])
			second := len(h.Plans)
			processEval(t, h, ev)
			b := planSummary(h.Plans[second])
			compared++
			if !slices.Equal(a, b) {
				t.Fatalf("iteration %d, job %s: two plans of one eval from one state differ:\n%v\n%v", it, job.ID, a, b)
			}
		}
	}
	if compared == 0 {
		t.Fatal("no plan compared")
	}
}

// planSummary lists what a plan does, sorted: each placement by name with
// its node, ports and evictions, each stop and each preemption by ID.
func planSummary(p *drover.Plan) []string {
	var out []string
	for node, as := range p.NodeAllocation {
		for _, a := range as {
			var ports []int
			for _, m := range a.AllocatedResources.Shared.Ports {
				ports = append(ports, m.Value)
			}
			for _, tr := range a.AllocatedResources.Tasks {
				for _, n := range tr.Networks {
					for _, p := range append(slices.Clone(n.ReservedPorts), n.DynamicPorts...) {
						ports = append(ports, p.Value)
					}
				}
			}
			slices.Sort(ports)
			evicts := slices.Clone(a.PreemptedAllocations)
			slices.Sort(evicts)
			out = append(out, fmt.Sprintf("place %s %s on %s ports %v evicts %v", a.Name, a.TaskGroup, node, ports, evicts))
		}
	}
	for node, as := range p.NodeUpdate {
		for _, a := range as {
			out = append(out, fmt.Sprintf("stop %s on %s: %s", a.ID, node, a.DesiredDescription))
		}
	}
	for node, as := range p.NodePreemptions {
		for _, a := range as {
			out = append(out, fmt.Sprintf("preempt %s on %s", a.ID, node))
		}
	}
	slices.Sort(out)
	return out
}
