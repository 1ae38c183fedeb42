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
	return s.write(func(txn *memdb.Txn) error {
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
	})
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
