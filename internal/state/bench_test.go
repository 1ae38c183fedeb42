package state

import (
	"fmt"
	"testing"
	"time"

	"github.com/drover-sh/drover"
)

// benchStore returns a store with one job and n of its allocations.
func benchStore(b *testing.B, n int) (*StateStore, *drover.Job) {
	b.Helper()
	s, err := NewStateStore()
	if err != nil {
		b.Fatal(err)
	}
	job := testJob("web")
	if err := s.UpsertJob(1, job); err != nil {
		b.Fatal(err)
	}
	allocs := make([]*drover.Allocation, n)
	for i := range allocs {
		allocs[i] = testAlloc(fmt.Sprintf("a%06d", i), job, fmt.Sprintf("n%d", i%50), "e0")
	}
	if err := s.UpsertAllocs(2, allocs); err != nil {
		b.Fatal(err)
	}
	return s, job
}

// BenchmarkUpsertPlanResults: one plan placing 10 allocations for a job
// that already has 1000.
func BenchmarkUpsertPlanResults(b *testing.B) {
	s, job := benchStore(b, 1000)
	index := uint64(10)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := &ApplyPlanResultsRequest{Job: job, EvalID: "e"}
		for k := 0; k < 10; k++ {
			a := testAlloc(drover.GenerateID(), job, "n1", "e")
			a.Job = nil
			req.AllocsUpdated = append(req.AllocsUpdated, a)
		}
		if err := s.UpsertPlanResults(index, req); err != nil {
			b.Fatal(err)
		}
		index++
	}
}

// BenchmarkUpdateAllocsFromClient: one client report on one allocation of
// a job with 1000 (the job's status and summary are recomputed each time).
func BenchmarkUpdateAllocsFromClient(b *testing.B) {
	s, _ := benchStore(b, 1000)
	statuses := []string{drover.AllocClientStatusRunning, drover.AllocClientStatusPending}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		u := &drover.Allocation{ID: fmt.Sprintf("a%06d", i%1000), ClientStatus: statuses[i%2]}
		if err := s.UpdateAllocsFromClient(uint64(10+i), []*drover.Allocation{u}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChildAllocUpdate: a client update of one dispatched child's
// allocation, its parent having n children. The parent's counts follow the
// write's change, so the cost does not grow with n.
func BenchmarkChildAllocUpdate(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprint(n, " children"), func(b *testing.B) {
			s, err := NewStateStore()
			if err != nil {
				b.Fatal(err)
			}
			parent := testJob("p")
			parent.Type = drover.JobTypeBatch
			parent.ParameterizedJob = &drover.ParameterizedJobConfig{}
			index := uint64(1)
			if err := s.UpsertJob(index, parent); err != nil {
				b.Fatal(err)
			}
			var child *drover.Job
			for i := range n {
				index++
				child = parent.DispatchChild(nil, nil, "", time.Unix(int64(i), 0), "x")
				if err := s.UpsertJob(index, child); err != nil {
					b.Fatal(err)
				}
			}
			index++
			if err := s.UpsertAllocs(index, []*drover.Allocation{testAlloc("a1", child, "n1", "e1")}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				index++
				status := []string{drover.AllocClientStatusRunning, drover.AllocClientStatusPending}[i%2]
				if err := s.UpdateAllocsFromClient(index, []*drover.Allocation{{ID: "a1", ClientStatus: status}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
