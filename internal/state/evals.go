package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
)

// EvalByID returns the evaluation, or nil (and no error) when it is absent.
func (r *reader) EvalByID(ws memdb.WatchSet, id string) (*drover.Evaluation, error) {
	obj, err := first(r.db.Txn(false), ws, TableEvals, "id", id)
	if err != nil || obj == nil {
		return nil, err
	}
	return obj.(*drover.Evaluation), nil
}

// EvalsByIDPrefix returns the evaluations whose ID starts with prefix,
// sorted by ID; "" returns every evaluation.
func (r *reader) EvalsByIDPrefix(ws memdb.WatchSet, prefix string) ([]*drover.Evaluation, error) {
	return list[drover.Evaluation](r.db.Txn(false), ws, TableEvals, "id_prefix", prefix)
}

// EvalsByJob returns every evaluation of a job, sorted by ID.
func (r *reader) EvalsByJob(ws memdb.WatchSet, namespace, jobID string) ([]*drover.Evaluation, error) {
	return list[drover.Evaluation](r.db.Txn(false), ws, TableEvals, "job", namespace, jobID)
}

// UpsertEvals creates or updates evaluations at index. An existing
// evaluation keeps its CreateIndex (and CreateTime when the update has
// none). The status and summary of each evaluation's job are recomputed.
func (s *StateStore) UpsertEvals(index uint64, evals []*drover.Evaluation) error {
	return s.write(func(txn *memdb.Txn) error {
		touched := jobSet{}
		if err := upsertEvalsTxn(txn, index, evals, touched); err != nil {
			return err
		}
		return refreshJobsTxn(txn, index, touched, false)
	})
}

// DeleteEvals removes evaluations and allocations at index (garbage
// collection); unknown IDs are ignored. The status and summary of each
// affected job are recomputed: a job left with neither is dead.
func (s *StateStore) DeleteEvals(index uint64, evalIDs, allocIDs []string) error {
	return s.write(func(txn *memdb.Txn) error {
		touched := jobSet{}
		if err := deleteByIDTxn[drover.Evaluation](txn, index, TableEvals, evalIDs, func(e *drover.Evaluation) {
			touched.job(e.Namespace, e.JobID)
		}); err != nil {
			return err
		}
		if err := deleteByIDTxn[drover.Allocation](txn, index, TableAllocs, allocIDs, func(a *drover.Allocation) {
			touched.job(a.Namespace, a.JobID)
		}); err != nil {
			return err
		}
		return refreshJobsTxn(txn, index, touched, true)
	})
}

func upsertEvalsTxn(txn *memdb.Txn, index uint64, evals []*drover.Evaluation, touched jobSet) error {
	for _, e := range evals {
		if e == nil || e.ID == "" {
			return drover.Errorf(drover.ErrInvalid, "state: upsert eval: missing eval ID")
		}
		raw, err := txn.First(TableEvals, "id", e.ID)
		if err != nil {
			return fmt.Errorf("state: upsert eval %s: %w", e.ID, err)
		}
		if raw != nil {
			old := raw.(*drover.Evaluation)
			e.CreateIndex = old.CreateIndex
			if e.CreateTime == 0 {
				e.CreateTime = old.CreateTime
			}
		} else {
			e.CreateIndex = index
		}
		e.ModifyIndex = index
		if err := txn.Insert(TableEvals, e); err != nil {
			return fmt.Errorf("state: upsert eval %s: %w", e.ID, err)
		}
		touched.eval(e.Namespace, e.JobID)
	}
	if len(evals) == 0 {
		return nil
	}
	return setIndexTxn(txn, index, TableEvals)
}

// deleteByIDTxn deletes the objects of table with the given IDs, calling
// deleted for each one found.
func deleteByIDTxn[T any](txn *memdb.Txn, index uint64, table string, ids []string, deleted func(*T)) error {
	n := 0
	for _, id := range ids {
		raw, err := txn.First(table, "id", id)
		if err != nil {
			return fmt.Errorf("state: delete %s %s: %w", table, id, err)
		}
		if raw == nil {
			continue
		}
		if err := txn.Delete(table, raw); err != nil {
			return fmt.Errorf("state: delete %s %s: %w", table, id, err)
		}
		deleted(raw.(*T))
		n++
	}
	if n == 0 {
		return nil
	}
	return setIndexTxn(txn, index, table)
}
