package scheduler_test

import (
	"fmt"
	"testing"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

func BenchmarkServicePlace_1000allocs_100nodes(b *testing.B) { benchPlace(b, 1000, 100, nil) }

func BenchmarkServicePlace_10000allocs_5000nodes(b *testing.B) { benchPlace(b, 10000, 5000, nil) }

// The same placements for a job with one affinity (to a third of the racks)
// and one even spread over ten racks: every placement scores many more
// candidates (PreferenceCandidateLimit).
func BenchmarkServicePlacePreferences_1000allocs_100nodes(b *testing.B) {
	benchPlace(b, 1000, 100, withPreferences)
}

func BenchmarkServicePlacePreferences_10000allocs_5000nodes(b *testing.B) {
	benchPlace(b, 10000, 5000, withPreferences)
}

func withPreferences(job *drover.Job) {
	job.Affinities = []*drover.Affinity{{LTarget: "${meta.rack}", Operand: "set_contains_any", RTarget: "r0,r1,r2", Weight: 50}}
	job.Spreads = []*drover.Spread{{Attribute: "${meta.rack}", Weight: 50}}
}

// benchPlace measures one evaluation placing a whole job of count
// allocations (100 MHz, 128 MB, one dynamic port each) on a fresh cluster of
// n nodes spread over ten racks (meta.rack r0 to r9); prefs, if set, adds
// placement preferences to the job. Each iteration's harness is built
// outside the timer.
func benchPlace(b *testing.B, count, n int, prefs func(*drover.Job)) {
	nodes := schedtest.Nodes(n)
	for i, node := range nodes {
		node.Meta["rack"] = fmt.Sprintf("r%d", i%10)
	}
	b.ReportAllocs()
	placed := 0
	for b.Loop() {
		b.StopTimer()
		h := schedtest.New()
		for _, node := range nodes {
			h.UpsertNode(node)
		}
		job := schedtest.Job("bench", count)
		r := job.TaskGroups[0].Tasks[0].Resources
		r.CPU, r.MemoryMB = 100, 128
		job.TaskGroups[0].Networks = []*drover.NetworkResource{{DynamicPorts: []drover.Port{{Label: "http"}}}}
		if prefs != nil {
			prefs(job)
		}
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
		placed += count
		b.StartTimer()
	}
	b.ReportMetric(float64(placed)/b.Elapsed().Seconds(), "placements/s")
}

// BenchmarkServiceReevaluate_10000allocs_5000nodes measures an evaluation
// that finds nothing to change (e.g. a node update) on a job of 10,000 placed
// allocations: the cost of reading and reconciling alone.
func BenchmarkServiceReevaluate_10000allocs_5000nodes(b *testing.B) {
	h := schedtest.New()
	for _, node := range schedtest.Nodes(5000) {
		h.UpsertNode(node)
	}
	job := schedtest.Job("bench", 10000)
	r := job.TaskGroups[0].Tasks[0].Resources
	r.CPU, r.MemoryMB = 100, 128
	h.UpsertJob(job)
	s, err := scheduler.New(job.Type, nil, h, h)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Process(schedtest.Eval(job)); err != nil {
		b.Fatal(err)
	}
	plans := len(h.Plans)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Process(schedtest.Eval(job)); err != nil {
			b.Fatal(err)
		}
	}
	if len(h.Plans) != plans {
		b.Fatal("a steady job was replanned")
	}
}
