package scheduler_test

import (
	"fmt"
	"testing"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

func BenchmarkSystemPreempt_100nodes_20allocs(b *testing.B) { benchPreempt(b, 100, 20) }

// benchPreempt measures one evaluation of a system job (priority 100, 1000
// MHz) on n full nodes, each holding perNode allocations of service jobs of
// priorities 10 to 80: every placement must choose what to evict. Each
// iteration's harness is built outside the timer.
func benchPreempt(b *testing.B, n, perNode int) {
	nodes := schedtest.Nodes(n)
	jobs := make([]*drover.Job, perNode)
	for i := range jobs {
		jobs[i] = schedtest.Job(fmt.Sprintf("svc-%d", i), perNode)
		jobs[i].Priority = 10 + 10*(i%8)
	}
	cpu := int64(4000 / perNode)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		h := schedtest.New()
		for _, node := range nodes {
			h.UpsertNode(node)
			for i, j := range jobs {
				h.UpsertAllocs(&drover.Allocation{
					ID: drover.GenerateID(), Namespace: j.Namespace, JobID: j.ID, Job: j, TaskGroup: "web",
					Name: drover.AllocName(j.ID, "web", i), NodeID: node.ID,
					DesiredStatus: drover.AllocDesiredStatusRun, ClientStatus: drover.AllocClientStatusRunning,
					AllocatedResources: &drover.AllocatedResources{Tasks: map[string]*drover.AllocatedTaskResources{
						"server": {Cpu: drover.AllocatedCpuResources{CpuShares: cpu}}}},
				})
			}
		}
		sys := schedtest.Job("sys", 1)
		sys.Type, sys.Priority = drover.JobTypeSystem, 100
		sys.TaskGroups[0].Tasks[0].Resources.CPU = 1000
		h.UpsertJob(sys)
		s, err := scheduler.New(sys.Type, nil, h, h)
		if err != nil {
			b.Fatal(err)
		}
		eval := schedtest.Eval(sys)
		b.StartTimer()
		if err := s.Process(eval); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if ev := h.Eval(eval.ID); len(ev.FailedTGAllocs) != 0 {
			b.Fatalf("placements failed: %+v", ev.FailedTGAllocs["web"])
		}
		if p := h.Plans[len(h.Plans)-1]; len(p.NodePreemptions) != n {
			b.Fatalf("preempted on %d nodes, want %d", len(p.NodePreemptions), n)
		}
		b.StartTimer()
	}
}

func BenchmarkServicePreempt_500allocs_500nodes(b *testing.B)   { benchServicePreempt(b, 500) }
func BenchmarkServicePreempt_2000allocs_2000nodes(b *testing.B) { benchServicePreempt(b, 2000) }

// benchServicePreempt measures one evaluation of a service job (priority
// 100, n allocations of 1000 MHz) on n nodes filled by lower-priority
// allocations: no node fits as is, so every placement preempts.
func benchServicePreempt(b *testing.B, n int) {
	const perNode = 4
	nodes := schedtest.Nodes(n)
	low := schedtest.Job("low", n*perNode)
	low.Priority = 20
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		h := schedtest.New()
		h.SetSchedulerConfig(&drover.SchedulerConfiguration{
			PreemptionConfig: drover.PreemptionConfig{ServiceSchedulerEnabled: true}})
		for i, node := range nodes {
			h.UpsertNode(node)
			for k := range perNode {
				h.UpsertAllocs(&drover.Allocation{
					ID: drover.GenerateID(), Namespace: low.Namespace, JobID: low.ID, Job: low, TaskGroup: "web",
					Name: drover.AllocName(low.ID, "web", i*perNode+k), NodeID: node.ID,
					DesiredStatus: drover.AllocDesiredStatusRun, ClientStatus: drover.AllocClientStatusRunning,
					AllocatedResources: &drover.AllocatedResources{Tasks: map[string]*drover.AllocatedTaskResources{
						"server": {Cpu: drover.AllocatedCpuResources{CpuShares: 4000 / perNode}}}},
				})
			}
		}
		job := schedtest.Job("high", n)
		job.Priority = 100
		job.TaskGroups[0].Tasks[0].Resources.CPU = 1000
		h.UpsertJob(job)
		s, err := scheduler.New(job.Type, nil, h, h)
		if err != nil {
			b.Fatal(err)
		}
		eval := schedtest.Eval(job)
		b.StartTimer()
		if err := s.Process(eval); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if ev := h.Eval(eval.ID); len(ev.FailedTGAllocs) != 0 {
			b.Fatalf("placements failed: %+v", ev.FailedTGAllocs["web"])
		}
		if got := len(h.LiveAllocs(job.Namespace, job.ID)); got != n {
			b.Fatalf("%d placed, want %d", got, n)
		}
		b.StartTimer()
	}
}
