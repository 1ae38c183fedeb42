package cli

import (
	"context"
	"testing"

	drover "github.com/drover-sh/drover"
)

const (
	evictedID    = "e71c7ed0-1111-4222-8333-444455556666"
	preemptingID = "57a7e000-aaaa-4bbb-8ccc-dddddddddddd"
	evicted2ID   = "e72c7ed0-9999-4aaa-8bbb-cccccccccccc"
)

// preemptionAllocs are an allocation of "hello" evicted by one of a system
// job, which evicted another one too.
func preemptionAllocs() (evicted, preempting *drover.Allocation) {
	evicted = helloAlloc()
	evicted.ID = evictedID
	evicted.DesiredStatus = drover.AllocDesiredStatusEvict
	evicted.DesiredDescription = "Preempted by alloc ID " + preemptingID
	evicted.PreemptedByAllocation = preemptingID
	evicted.TaskStates = nil

	preempting = helloAlloc()
	preempting.ID, preempting.JobID, preempting.Name = preemptingID, "sys", "sys.hello[0]"
	preempting.Job = helloJob()
	preempting.Job.ID, preempting.Job.Type, preempting.Job.Priority = "sys", drover.JobTypeSystem, 100
	preempting.ClientStatus, preempting.ClientDescription = drover.AllocClientStatusPending, ""
	preempting.PreemptedAllocations = []string{evictedID, evicted2ID}
	preempting.TaskStates = nil
	return evicted, preempting
}

func TestAllocStatusPreemption(t *testing.T) {
	evicted, preempting := preemptionAllocs()
	tests := []struct {
		name string
		args []string
	}{
		{"alloc_status_preempted", []string{"alloc", "status", "e71c"}},
		{"alloc_status_preempting", []string{"alloc", "status", "57a7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAgent(t)
			f.handle("GET /v1/allocations", []*drover.AllocListStub{evicted.Stub(), preempting.Stub()})
			f.handle("GET /v1/allocation/"+evictedID, evicted)
			f.handle("GET /v1/allocation/"+preemptingID, preempting)
			r := runCLI(context.Background(), t, f, "", tt.args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			checkGolden(t, tt.name, f, tt.args, r)
		})
	}
}
