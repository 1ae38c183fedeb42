package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
)

// preemptAllocsTxn evicts the stored allocations named in preempted: each
// takes DesiredStatus "evict", the DesiredDescription (which names the
// preempting allocation; a default is supplied), PreemptedByAllocation and
// ModifyTime of its entry. Unknown allocations are skipped (garbage
// collected meanwhile; the plan applier refuses a node whose preempted
// allocations are gone, so this happens only on replay).
func preemptAllocsTxn(txn *memdb.Txn, index uint64, preempted []*drover.Allocation, touched jobSet) error {
	n := 0
	for _, p := range preempted {
		raw, err := txn.First(TableAllocs, "id", p.ID)
		if err != nil {
			return fmt.Errorf("state: preempt alloc %s: %w", p.ID, err)
		}
		if raw == nil {
			continue
		}
		old := raw.(*drover.Allocation)
		a := old.CopySkipJob()
		a.DesiredStatus = drover.AllocDesiredStatusEvict
		a.DesiredDescription = p.DesiredDescription
		if a.DesiredDescription == "" {
			a.DesiredDescription = "Preempted by alloc ID " + p.PreemptedByAllocation
		}
		a.PreemptedByAllocation = p.PreemptedByAllocation
		if p.ModifyTime != 0 {
			a.ModifyTime = p.ModifyTime
		}
		a.ModifyIndex, a.AllocModifyIndex = index, index
		if err := txn.Insert(TableAllocs, a); err != nil {
			return fmt.Errorf("state: preempt alloc %s: %w", p.ID, err)
		}
		touched.alloc(old, a)
		n++
	}
	if n == 0 {
		return nil
	}
	return setIndexTxn(txn, index, TableAllocs)
}
