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

// parentsOf returns the parents of the touched jobs that still exist, and
// the touched jobs that are parents themselves (a parent registered anew
// may find children of its predecessor), once each.
func parentsOf(txn *memdb.Txn, touched jobSet) (map[jobKey]bool, error) {
	parents := map[jobKey]bool{}
	for k := range touched {
		raw, err := txn.First(TableJobs, "id", k.namespace, k.id)
		if err != nil {
			return nil, fmt.Errorf("state: read job %s/%s: %w", k.namespace, k.id, err)
		}
		if raw == nil {
			continue
		}
		job := raw.(*drover.Job)
		if job.ParentID != "" {
			parents[jobKey{k.namespace, job.ParentID}] = true
		}
		if job.IsParent() {
			parents[k] = true
		}
	}
	return parents, nil
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
	var count drover.JobChildrenSummary
	for _, c := range children {
		switch c.Status {
		case drover.JobStatusRunning:
			count.Running++
		case drover.JobStatusDead:
			count.Dead++
		default:
			count.Pending++
		}
	}
	old := raw.(*drover.JobSummary)
	if old.Children != nil && *old.Children == count {
		return nil
	}
	next := *old // shallow: only Children and ModifyIndex change
	next.Children = &count
	next.ModifyIndex = index
	if err := txn.Insert(TableJobSummary, &next); err != nil {
		return fmt.Errorf("state: write summary of job %s/%s: %w", namespace, parentID, err)
	}
	return setIndexTxn(txn, index, TableJobSummary)
}

// refreshParentsTxn recounts the children of every parent of a touched job,
// after the touched jobs' own statuses were derived.
func refreshParentsTxn(txn *memdb.Txn, index uint64, touched jobSet) error {
	parents, err := parentsOf(txn, touched)
	if err != nil {
		return err
	}
	for p := range parents {
		if err := refreshChildrenTxn(txn, index, p.namespace, p.id); err != nil {
			return err
		}
	}
	return nil
}
