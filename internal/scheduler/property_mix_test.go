package scheduler_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

// TestPropertyPlacementFeaturesTogether places random mixes of jobs that
// combine every placement feature (distinct_hosts and distinct_property at
// job or group level, affinities, spreads, static and dynamic ports,
// priorities from 10 to 90 with preemption on for every scheduler, either
// scheduler algorithm, and node drains that migrate service allocations) on
// random small clusters spread over racks. After every evaluation it checks
// that no node is oversubscribed in any dimension or port, and that among
// the live allocations (not stopped, evicted or finished) no distinct_hosts
// or distinct_property limit is exceeded. A migrating allocation and its
// replacement are one instance and count once.
func TestPropertyPlacementFeaturesTogether(t *testing.T) {
	iterations := 300
	if testing.Short() {
		iterations = 60
	}
	var stats mixStats
	defer func() {
		// The mix must exercise every outcome, or it proves less than it says.
		if stats.placed == 0 || stats.failed == 0 || stats.preempted == 0 || stats.migrated == 0 {
			t.Errorf("the random mix misses an outcome: %+v", stats)
		}
		t.Logf("%+v", stats)
	}()
	for it := range iterations {
		rng := rand.New(rand.NewPCG(uint64(it), 7))
		h := schedtest.New()
		cfg := &drover.SchedulerConfiguration{SchedulerAlgorithm: drover.SchedulerAlgorithmBinpack,
			PreemptionConfig: drover.PreemptionConfig{SystemSchedulerEnabled: true, SysBatchSchedulerEnabled: true,
				BatchSchedulerEnabled: true, ServiceSchedulerEnabled: true}}
		if rng.IntN(2) == 0 {
			cfg.SchedulerAlgorithm = drover.SchedulerAlgorithmSpread
		}
		h.SetSchedulerConfig(cfg)
		nodes := mixNodes(rng, h)
		var jobs []*drover.Job
		for j := range 2 + rng.IntN(5) {
			job := randomMixJob(rng, fmt.Sprintf("job%d", j))
			jobs = append(jobs, job)
			h.UpsertJob(job)
			stats.eval(t, h, schedtest.Eval(job))
			stats.placed += checkInvariants(t, it, h, nodes)
			checkDistinct(t, it, h, jobs)
		}
		// Drain a node: its service allocations migrate, each job's
		// evaluation places their replacements while they still run.
		drained := nodes[rng.IntN(len(nodes))]
		drainNode(t, h, drained.ID)
		marked, _ := h.AllocsByNode(drained.ID)
		var toMark []*drover.Allocation
		for _, a := range marked {
			if !a.Terminal() && a.Job != nil && a.Job.Type == drover.JobTypeService {
				toMark = append(toMark, a)
			}
		}
		markMigrate(h, toMark...)
		stats.migrated += len(toMark)
		for _, job := range jobs {
			ev := schedtest.Eval(job)
			ev.TriggeredBy = drover.EvalTriggerNodeDrain
			stats.eval(t, h, ev)
			stats.placed += checkInvariants(t, it, h, nodes)
			checkDistinct(t, it, h, jobs)
		}
		if t.Failed() {
			return
		}
	}
}

type mixStats struct{ placed, failed, preempted, migrated int }

// eval processes ev and counts its failures and the preemptions of its plans.
func (s *mixStats) eval(t *testing.T, h *schedtest.Harness, ev *drover.Evaluation) {
	t.Helper()
	plans := len(h.Plans)
	if got := processEval(t, h, ev); len(got.FailedTGAllocs) > 0 {
		s.failed++
	}
	for _, p := range h.Plans[plans:] {
		for _, as := range p.NodePreemptions {
			s.preempted += len(as)
		}
	}
}

// mixNodes adds 2 to 7 random nodes over up to three racks.
func mixNodes(rng *rand.Rand, h *schedtest.Harness) []*drover.Node {
	nodes := schedtest.Nodes(2 + rng.IntN(6))
	racks := 1 + rng.IntN(3)
	for i, n := range nodes {
		n.Meta["rack"] = "r" + strconv.Itoa(i%racks)
		n.NodeResources.Cpu.CpuShares = int64(1000 + rng.IntN(3000))
		n.NodeResources.Memory.MemoryMB = int64(1024 + rng.IntN(4096))
		n.NodeResources.Disk.DiskMB = int64(1000 + rng.IntN(5000))
		n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 20000, 20000+rng.IntN(20)
		n.ReservedResources = &drover.NodeReservedResources{
			Cpu:      drover.NodeCpuResources{CpuShares: int64(rng.IntN(200))},
			Networks: drover.NodeReservedNetworkResources{ReservedHostPorts: fmt.Sprintf("%d,8080", 20000+rng.IntN(10))},
		}
		h.UpsertNode(n)
	}
	return nodes
}

// randomMixJob is randomJob with a random priority and a random choice of
// placement constraints and preferences.
func randomMixJob(rng *rand.Rand, id string) *drover.Job {
	job := randomJob(rng, id)
	job.Priority = 10 + 20*rng.IntN(5)
	if rng.IntN(8) == 0 {
		job.Type = drover.JobTypeSystem
	}
	tg := job.TaskGroups[0]
	if rng.IntN(2) == 0 {
		// A second group, so job-level constraints span groups.
		g := randomJob(rng, id).TaskGroups[0]
		g.Name = "api"
		job.TaskGroups = append(job.TaskGroups, g)
	}
	for _, g := range job.TaskGroups {
		g.Count = rng.IntN(5)
	}
	where := func() *[]*drover.Constraint {
		if rng.IntN(2) == 0 {
			return &job.Constraints
		}
		return &tg.Constraints
	}
	if rng.IntN(3) == 0 {
		c := where()
		*c = append(*c, &drover.Constraint{Operand: "distinct_hosts"})
	}
	if rng.IntN(3) == 0 {
		c := where()
		limit := ""
		if rng.IntN(2) == 0 {
			limit = strconv.Itoa(1 + rng.IntN(2))
		}
		*c = append(*c, &drover.Constraint{LTarget: "${meta.rack}", Operand: "distinct_property", RTarget: limit})
	}
	if rng.IntN(3) == 0 {
		job.Affinities = append(job.Affinities, &drover.Affinity{LTarget: "${meta.rack}", Operand: "=", RTarget: "r0",
			Weight: int8(rng.IntN(200) - 100)})
	}
	if rng.IntN(3) == 0 {
		s := &drover.Spread{Attribute: "${meta.rack}", Weight: int8(1 + rng.IntN(100))}
		if rng.IntN(2) == 0 {
			s.SpreadTarget = []*drover.SpreadTarget{{Value: "r0", Percent: 70}, {Value: "r1", Percent: 30}}
		}
		tg.Spreads = append(tg.Spreads, s)
	}
	return job
}

// checkDistinct checks the distinct_hosts and distinct_property
// constraints of jobs over their live allocations. A migrating allocation
// whose replacement is live counts once, through the replacement.
func checkDistinct(t *testing.T, it int, h *schedtest.Harness, jobs []*drover.Job) {
	t.Helper()
	for _, j := range jobs {
		job, _ := h.JobByID(j.Namespace, j.ID)
		live := h.LiveAllocs(job.Namespace, job.ID)
		replaced := map[string]bool{}
		for _, a := range live {
			if a.PreviousAllocation != "" {
				replaced[a.PreviousAllocation] = true
			}
		}
		var counted []*drover.Allocation
		for _, a := range live {
			if !a.ClientTerminal() && !replaced[a.ID] {
				counted = append(counted, a)
			}
		}
		checkConstraints(t, it, h, job, job.Constraints, "", counted)
		for _, tg := range job.TaskGroups {
			checkConstraints(t, it, h, job, tg.Constraints, tg.Name, counted)
		}
	}
}

func checkConstraints(t *testing.T, it int, h *schedtest.Harness, job *drover.Job, cs []*drover.Constraint, group string, allocs []*drover.Allocation) {
	t.Helper()
	for _, c := range cs {
		if c.Operand != "distinct_hosts" && c.Operand != "distinct_property" {
			continue
		}
		limit := 1
		if c.Operand == "distinct_property" && c.RTarget != "" {
			limit, _ = strconv.Atoi(c.RTarget)
		}
		counts := map[string]int{}
		for _, a := range allocs {
			if group != "" && a.TaskGroup != group {
				continue
			}
			key := a.NodeID
			if c.Operand == "distinct_property" {
				n, _ := h.NodeByID(a.NodeID)
				key = n.Meta["rack"]
			}
			counts[key]++
			if counts[key] > limit {
				t.Errorf("iteration %d: job %s (priority %d, %s) group %q: %s %s holds %d allocations, limit %d",
					it, job.ID, job.Priority, job.Type, group, c.Operand, key, counts[key], limit)
			}
		}
	}
}
