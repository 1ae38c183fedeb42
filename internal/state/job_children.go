package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
)

// ChildJobs returns the children of a periodic or parameterized job (the
// jobs whose ParentID is parentID), sorted by ID.
func (r *reader) ChildJobs(ws memdb.WatchSet, namespace, parentID string) ([]*drover.Job, error) {
	return childJobsTxn(r.db.Txn(false), ws, namespace, parentID)
}

// childJobsTxn lists parentID's children. Every child's ID starts with
// "<parent>/" (see drover.PeriodicLaunchSuffix), so a prefix scan finds
// them; ParentID filters out a job that merely looks like a child.
func childJobsTxn(txn *memdb.Txn, ws memdb.WatchSet, namespace, parentID string) ([]*drover.Job, error) {
	all, err := list[drover.Job](txn, ws, TableJobs, "id_prefix", namespace, parentID+"/")
	if err != nil {
		return nil, err
	}
	out := all[:0:0]
	for _, j := range all {
		if j.ParentID == parentID {
			out = append(out, j)
		}
	}
	return out, nil
}

// touchedParents returns the touched jobs that are parents themselves, once
// each: their children are recounted, as a parent registered anew may find
// children of its predecessor.
func touchedParents(txn *memdb.Txn, touched jobSet) (map[jobKey]bool, error) {
	parents := map[jobKey]bool{}
	for k := range touched {
		raw, err := txn.First(TableJobs, "id", k.namespace, k.id)
		if err != nil {
			return nil, fmt.Errorf("state: read job %s/%s: %w", k.namespace, k.id, err)
		}
		if raw != nil && raw.(*drover.Job).IsParent() {
			parents[k] = true
		}
	}
	return parents, nil
}

// childDelta is how one write changed a parent's children counts.
type childDelta drover.JobChildrenSummary

// add counts n children of status (negative n uncounts them).
func (d *childDelta) add(status string, n int64) {
	switch status {
	case drover.JobStatusRunning:
		d.Running += n
	case drover.JobStatusDead:
		d.Dead += n
	default:
		d.Pending += n
	}
}

// childDeltas are one write's changes to children counts, by parent.
type childDeltas map[jobKey]*childDelta

// childChanged records that child, whose status was before (not counted
// yet when created), now has the status stored in txn.
func (d childDeltas) childChanged(txn *memdb.Txn, child *drover.Job, before string, created bool) error {
	raw, err := txn.First(TableJobs, "id", child.Namespace, child.ID)
	if err != nil {
		return fmt.Errorf("state: read job %s/%s: %w", child.Namespace, child.ID, err)
	}
	after := raw.(*drover.Job).Status
	if !created && before == after {
		return nil
	}
	k := jobKey{child.Namespace, child.ParentID}
	if d[k] == nil {
		d[k] = &childDelta{}
	}
	if !created {
		d[k].add(before, -1)
	}
	d[k].add(after, +1)
	return nil
}

// applyChildDeltaTxn adds d to parent's children counts at index. A parent
// that no longer exists is left alone; one whose counts are missing, or
// would go negative (they cannot: every child's status change passes
// here), is recounted instead.
func applyChildDeltaTxn(txn *memdb.Txn, index uint64, parent jobKey, d childDelta) error {
	if d == (childDelta{}) {
		return nil
	}
	raw, err := txn.First(TableJobSummary, "id", parent.namespace, parent.id)
	if err != nil {
		return fmt.Errorf("state: read summary of job %s/%s: %w", parent.namespace, parent.id, err)
	}
	if raw == nil {
		return nil
	}
	old := raw.(*drover.JobSummary)
	if old.Children == nil {
		return refreshChildrenTxn(txn, index, parent.namespace, parent.id)
	}
	count := *old.Children
	count.Pending += d.Pending
	count.Running += d.Running
	count.Dead += d.Dead
	if count.Pending < 0 || count.Running < 0 || count.Dead < 0 {
		return refreshChildrenTxn(txn, index, parent.namespace, parent.id)
	}
	next := *old // shallow: only Children and ModifyIndex change
	next.Children = &count
	next.ModifyIndex = index
	if err := txn.Insert(TableJobSummary, &next); err != nil {
		return fmt.Errorf("state: write summary of job %s/%s: %w", parent.namespace, parent.id, err)
	}
	return setIndexTxn(txn, index, TableJobSummary)
}

// refreshChildrenTxn recounts a parent's children by status into its
// summary's Children, writing (at index) only when a count changed. A
// parent that no longer exists is left alone.
func refreshChildrenTxn(txn *memdb.Txn, index uint64, namespace, parentID string) error {
	raw, err := txn.First(TableJobSummary, "id", namespace, parentID)
	if err != nil {
		return fmt.Errorf("state: read summary of job %s/%s: %w", namespace, parentID, err)
	}
	if raw == nil {
		return nil
	}
	children, err := childJobsTxn(txn, nil, namespace, parentID)
	if err != nil {
		return err
	}
	var count childDelta
	for _, c := range children {
		count.add(c.Status, 1)
	}
	old := raw.(*drover.JobSummary)
	if old.Children != nil && *old.Children == drover.JobChildrenSummary(count) {
		return nil
	}
	next := *old // shallow: only Children and ModifyIndex change
	next.Children = (*drover.JobChildrenSummary)(&count)
	next.ModifyIndex = index
	if err := txn.Insert(TableJobSummary, &next); err != nil {
		return fmt.Errorf("state: write summary of job %s/%s: %w", namespace, parentID, err)
	}
	return setIndexTxn(txn, index, TableJobSummary)
}

// refreshParentsTxn brings children counts up to date after the touched
// jobs' own statuses were derived: a touched parent is recounted (cost: its
// children), any other parent gets the write's deltas (cost: nothing per
// child it has), so a parent with many children does not make every write
// of one of them scan them all.
func refreshParentsTxn(txn *memdb.Txn, index uint64, touched jobSet, deltas childDeltas) error {
	recount, err := touchedParents(txn, touched)
	if err != nil {
		return err
	}
	for p := range recount {
		if err := refreshChildrenTxn(txn, index, p.namespace, p.id); err != nil {
			return err
		}
	}
	for p, d := range deltas {
		if recount[p] {
			continue
		}
		if err := applyChildDeltaTxn(txn, index, p, *d); err != nil {
			return err
		}
	}
	return nil
}
