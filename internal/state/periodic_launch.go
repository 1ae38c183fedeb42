package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
)

// PeriodicLaunchByID returns a periodic job's latest launch, or nil (and no
// error) when it never launched.
func (r *reader) PeriodicLaunchByID(ws memdb.WatchSet, namespace, id string) (*drover.PeriodicLaunch, error) {
	obj, err := first(r.db.Txn(false), ws, TablePeriodicLaunch, "id", namespace, id)
	if err != nil || obj == nil {
		return nil, err
	}
	return obj.(*drover.PeriodicLaunch), nil
}

// UpsertPeriodicLaunch records a periodic job's latest launch at index. A
// launch older than the stored one is ignored, so a replayed or reordered
// command never moves the schedule backwards.
func (s *StateStore) UpsertPeriodicLaunch(index uint64, launch *drover.PeriodicLaunch) error {
	if launch == nil || launch.ID == "" {
		return drover.Errorf(drover.ErrInvalid, "state: upsert periodic launch: missing job ID")
	}
	return s.write(func(txn *memdb.Txn) error { return upsertPeriodicLaunchTxn(txn, index, launch) })
}

// UpsertPeriodicChild registers a periodic job's child (a new one, or the
// same launch again), its evaluation (may be nil) and the parent's launch
// record in one transaction at index, so that no child exists without its
// launch being recorded nor a launch is recorded without its child. The
// launch must name the child's parent (drover.ErrInvalid otherwise); like
// UpsertPeriodicLaunch, it never moves the recorded launch backwards.
func (s *StateStore) UpsertPeriodicChild(index uint64, child *drover.Job, eval *drover.Evaluation, launch *drover.PeriodicLaunch) error {
	if child == nil || child.ParentID == "" {
		return drover.Errorf(drover.ErrInvalid, "state: upsert periodic child: missing child job or its parent ID")
	}
	if child.Namespace == "" {
		child.Namespace = drover.DefaultNamespace
	}
	if launch == nil || launch.ID != child.ParentID || launch.Namespace != child.Namespace {
		return drover.Errorf(drover.ErrInvalid, "state: upsert periodic child %s: the launch record must name its parent %q", child.ID, child.ParentID)
	}
	return s.write(func(txn *memdb.Txn) error {
		return upsertJobWithEvalTxn(txn, index, child, eval, func() error { return upsertPeriodicLaunchTxn(txn, index, launch) })
	})
}

func upsertPeriodicLaunchTxn(txn *memdb.Txn, index uint64, launch *drover.PeriodicLaunch) error {
	raw, err := txn.First(TablePeriodicLaunch, "id", launch.Namespace, launch.ID)
	if err != nil {
		return fmt.Errorf("state: read periodic launch %s: %w", launch.ID, err)
	}
	l := *launch
	l.CreateIndex = index
	if raw != nil {
		old := raw.(*drover.PeriodicLaunch)
		if old.Launch.After(l.Launch) {
			return nil
		}
		l.CreateIndex = old.CreateIndex
	}
	l.ModifyIndex = index
	if err := txn.Insert(TablePeriodicLaunch, &l); err != nil {
		return fmt.Errorf("state: upsert periodic launch %s: %w", launch.ID, err)
	}
	return setIndexTxn(txn, index, TablePeriodicLaunch)
}

// deletePeriodicLaunchTxn removes a purged job's launch record.
func deletePeriodicLaunchTxn(txn *memdb.Txn, index uint64, namespace, id string) error {
	n, err := txn.DeleteAll(TablePeriodicLaunch, "id", namespace, id)
	if err != nil {
		return fmt.Errorf("state: delete periodic launch %s: %w", id, err)
	}
	if n == 0 {
		return nil
	}
	return setIndexTxn(txn, index, TablePeriodicLaunch)
}
