package cli

import (
	"strings"

	drover "github.com/drover-sh/drover"
)

// preemptionRows are the lines naming the other side of a preemption, as
// Nomad shows them: for an evicted allocation the one that preempted it,
// for a preempting one the allocations it evicted.
func preemptionRows(a *drover.Allocation) []kv {
	if a.PreemptedByAllocation != "" {
		return []kv{{"Preempted By", short(a.PreemptedByAllocation)}}
	}
	if len(a.PreemptedAllocations) == 0 {
		return nil
	}
	ids := make([]string, len(a.PreemptedAllocations))
	for i, id := range a.PreemptedAllocations {
		ids[i] = short(id)
	}
	return []kv{{"Preempted Allocations", strings.Join(ids, ", ")}}
}
