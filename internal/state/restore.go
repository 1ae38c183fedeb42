package state

import (
	"fmt"
	"reflect"

	"github.com/hashicorp/go-memdb"
)

// ForEach calls fn for every object of every table, table by table in
// Tables order; it stops at fn's first error. Call it on a StateSnapshot to
// write a consistent Raft snapshot. fn must not modify the objects.
func (r *reader) ForEach(fn func(table string, obj any) error) error {
	txn := r.db.Txn(false)
	for _, table := range Tables {
		it, err := txn.Get(table, "id")
		if err != nil {
			return fmt.Errorf("state: iterate %s: %w", table, err)
		}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			if err := fn(table, raw); err != nil {
				return err
			}
		}
	}
	return nil
}

// NewObject returns a pointer to a zero value of the type stored in table
// (*drover.Job, *IndexEntry, ...), to decode a snapshot record into.
func NewObject(table string) (any, error) { return newObject(table) }

// StateRestore inserts objects into a fresh store, as they were, indexes
// included (nothing is derived or re-indexed). Commit makes them visible;
// Abort discards them.
type StateRestore struct {
	txn *memdb.Txn
}

// Restore starts restoring into s, which should be new and empty (the FSM
// builds a fresh store and swaps it in). Exactly one of Commit and Abort
// must follow.
func (s *StateStore) Restore() *StateRestore {
	return &StateRestore{txn: s.db.Txn(true)}
}

// Insert adds obj (of the type NewObject(table) returns) to table.
func (r *StateRestore) Insert(table string, obj any) error {
	want, err := newObject(table)
	if err != nil {
		return err
	}
	if reflect.TypeOf(want) != reflect.TypeOf(obj) {
		return fmt.Errorf("state: restore %s: object is %T, want %T", table, obj, want)
	}
	if err := r.txn.Insert(table, obj); err != nil {
		return fmt.Errorf("state: restore %s: %w", table, err)
	}
	return nil
}

// Commit makes the restored objects visible.
func (r *StateRestore) Commit() { r.txn.Commit() }

// Abort discards the restored objects; it is a no-op after Commit.
func (r *StateRestore) Abort() { r.txn.Abort() }
