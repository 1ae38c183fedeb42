package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
)

// AllocByID returns the allocation, or nil (and no error) when it is absent.
func (r *reader) AllocByID(ws memdb.WatchSet, id string) (*drover.Allocation, error) {
	obj, err := first(r.db.Txn(false), ws, TableAllocs, "id", id)
	if err != nil || obj == nil {
		return nil, err
	}
	return obj.(*drover.Allocation), nil
}

// AllocsByIDPrefix returns the allocations whose ID starts with prefix,
// sorted by ID; "" returns every allocation.
func (r *reader) AllocsByIDPrefix(ws memdb.WatchSet, prefix string) ([]*drover.Allocation, error) {
	return list[drover.Allocation](r.db.Txn(false), ws, TableAllocs, "id_prefix", prefix)
}

// AllocsByJob returns a job's allocations of every version, terminal ones
// included. Unless anyCreateIndex, only allocations of the job's current
// incarnation are returned (not those of a job of the same ID that was
// purged); when the job is absent every allocation is returned.
func (r *reader) AllocsByJob(ws memdb.WatchSet, namespace, jobID string, anyCreateIndex bool) ([]*drover.Allocation, error) {
	txn := r.db.Txn(false)
	all, err := list[drover.Allocation](txn, ws, TableAllocs, "job", namespace, jobID)
	if err != nil || anyCreateIndex {
		return all, err
	}
	raw, err := first(txn, ws, TableJobs, "id", namespace, jobID)
	if err != nil || raw == nil {
		return all, err
	}
	return currentAllocsTxn(txn, raw.(*drover.Job))
}

// AllocsByNode returns the allocations placed on a node, terminal ones
// included.
func (r *reader) AllocsByNode(ws memdb.WatchSet, nodeID string) ([]*drover.Allocation, error) {
	return list[drover.Allocation](r.db.Txn(false), ws, TableAllocs, "node", nodeID)
}

// AllocsByEval returns the allocations an evaluation created or updated.
func (r *reader) AllocsByEval(ws memdb.WatchSet, evalID string) ([]*drover.Allocation, error) {
	return list[drover.Allocation](r.db.Txn(false), ws, TableAllocs, "eval", evalID)
}

// UpsertAllocs writes allocations as the servers decided them (as plan
// placements are written; see UpsertPlanResults). It exists for tests and
// tools that seed a store.
func (s *StateStore) UpsertAllocs(index uint64, allocs []*drover.Allocation) error {
	return s.write(func(txn *memdb.Txn) error {
		touched := jobSet{}
		if err := upsertAllocsTxn(txn, index, allocs, nil, touched); err != nil {
			return err
		}
		return refreshJobsTxn(txn, index, touched, false)
	})
}

// UpdateAllocsFromClient records what clients report about their
// allocations: ClientStatus, ClientDescription, TaskStates (and ModifyTime
// when set) are copied onto the stored allocations, whose ModifyIndex
// becomes index. AllocModifyIndex does not change: it marks server-side
// changes the client must act on. Unknown allocations are ignored (they may
// have been garbage-collected).
func (s *StateStore) UpdateAllocsFromClient(index uint64, allocs []*drover.Allocation) error {
	return s.UpdateAllocsFromClientWithEvals(index, allocs, nil)
}

// UpdateAllocsFromClientWithEvals is UpdateAllocsFromClient and UpsertEvals
// in one transaction (e.g. a failed allocation and the evaluation that
// reschedules it).
func (s *StateStore) UpdateAllocsFromClientWithEvals(index uint64, allocs []*drover.Allocation, evals []*drover.Evaluation) error {
	return s.write(func(txn *memdb.Txn) error {
		touched := jobSet{}
		if err := updateAllocsFromClientTxn(txn, index, allocs, touched); err != nil {
			return err
		}
		if err := upsertEvalsTxn(txn, index, evals, touched); err != nil {
			return err
		}
		return refreshJobsTxn(txn, index, touched, false)
	})
}

func updateAllocsFromClientTxn(txn *memdb.Txn, index uint64, allocs []*drover.Allocation, touched jobSet) error {
	n := 0
	for _, u := range allocs {
		raw, err := txn.First(TableAllocs, "id", u.ID)
		if err != nil {
			return fmt.Errorf("state: client update of alloc %s: %w", u.ID, err)
		}
		if raw == nil {
			continue
		}
		old := raw.(*drover.Allocation)
		a := old.CopySkipJob()
		a.ClientStatus = u.ClientStatus
		a.ClientDescription = u.ClientDescription
		a.TaskStates = u.TaskStates
		if u.ModifyTime != 0 {
			a.ModifyTime = u.ModifyTime
		}
		a.ModifyIndex = index
		if err := txn.Insert(TableAllocs, a); err != nil {
			return fmt.Errorf("state: client update of alloc %s: %w", u.ID, err)
		}
		touched.alloc(old, a)
		n++
	}
	if n == 0 {
		return nil
	}
	return setIndexTxn(txn, index, TableAllocs)
}

// upsertAllocsTxn writes placements and in-place updates decided by the
// servers. A new allocation gets CreateIndex = index and ClientStatus
// pending when it has none; an existing one keeps its CreateIndex,
// CreateTime and the client's view (ClientStatus, ClientDescription,
// TaskStates). Both get ModifyIndex = AllocModifyIndex = index. An
// allocation without a Job gets job, or else the stored job. A placement
// that replaces a previous allocation links it through NextAllocation.
func upsertAllocsTxn(txn *memdb.Txn, index uint64, allocs []*drover.Allocation, job *drover.Job, touched jobSet) error {
	for _, a := range allocs {
		if a == nil || a.ID == "" {
			return drover.Errorf(drover.ErrInvalid, "state: upsert alloc: missing alloc ID")
		}
		raw, err := txn.First(TableAllocs, "id", a.ID)
		if err != nil {
			return fmt.Errorf("state: upsert alloc %s: %w", a.ID, err)
		}
		var old *drover.Allocation
		if raw != nil {
			old = raw.(*drover.Allocation)
			a.CreateIndex, a.CreateTime = old.CreateIndex, old.CreateTime
			a.ClientStatus, a.ClientDescription, a.TaskStates = old.ClientStatus, old.ClientDescription, old.TaskStates
		} else {
			a.CreateIndex = index
			if a.ClientStatus == "" {
				a.ClientStatus = drover.AllocClientStatusPending
			}
		}
		a.ModifyIndex, a.AllocModifyIndex = index, index
		if err := attachJobTxn(txn, a, job); err != nil {
			return err
		}
		if err := txn.Insert(TableAllocs, a); err != nil {
			return fmt.Errorf("state: upsert alloc %s: %w", a.ID, err)
		}
		if err := linkPreviousTxn(txn, index, a); err != nil {
			return err
		}
		touched.alloc(old, a)
	}
	if len(allocs) == 0 {
		return nil
	}
	return setIndexTxn(txn, index, TableAllocs)
}

func attachJobTxn(txn *memdb.Txn, a *drover.Allocation, job *drover.Job) error {
	if a.Job != nil {
		return nil
	}
	if job != nil && job.ID == a.JobID && job.Namespace == a.Namespace {
		a.Job = job
		return nil
	}
	raw, err := txn.First(TableJobs, "id", a.Namespace, a.JobID)
	if err != nil {
		return fmt.Errorf("state: job of alloc %s: %w", a.ID, err)
	}
	if raw != nil {
		a.Job = raw.(*drover.Job)
	}
	return nil
}

func linkPreviousTxn(txn *memdb.Txn, index uint64, a *drover.Allocation) error {
	if a.PreviousAllocation == "" {
		return nil
	}
	raw, err := txn.First(TableAllocs, "id", a.PreviousAllocation)
	if err != nil {
		return fmt.Errorf("state: previous alloc of %s: %w", a.ID, err)
	}
	if raw == nil || raw.(*drover.Allocation).NextAllocation == a.ID {
		return nil
	}
	prev := raw.(*drover.Allocation).CopySkipJob()
	prev.NextAllocation = a.ID
	prev.ModifyIndex = index
	if err := txn.Insert(TableAllocs, prev); err != nil {
		return fmt.Errorf("state: link alloc %s to %s: %w", prev.ID, a.ID, err)
	}
	return nil
}

// stopAllocsTxn applies the stops of a plan: each stored allocation gets
// the stop's DesiredStatus (stop when empty) and DesiredDescription, and
// its ClientStatus when the servers decide it (lost or unknown, for a node
// that is down) and the client has not reported a final one. Any other
// ClientStatus on a stop is ignored: it is the scheduler's possibly stale
// copy of the client's report. AllocModifyIndex becomes index so the client
// acts. Unknown allocations are ignored.
func stopAllocsTxn(txn *memdb.Txn, index uint64, stops []*drover.Allocation, touched jobSet) error {
	n := 0
	for _, s := range stops {
		raw, err := txn.First(TableAllocs, "id", s.ID)
		if err != nil {
			return fmt.Errorf("state: stop alloc %s: %w", s.ID, err)
		}
		if raw == nil {
			continue
		}
		old := raw.(*drover.Allocation)
		a := old.CopySkipJob()
		a.DesiredStatus = s.DesiredStatus
		if a.DesiredStatus == "" {
			a.DesiredStatus = drover.AllocDesiredStatusStop
		}
		a.DesiredDescription = s.DesiredDescription
		if serverClientStatus(s.ClientStatus) && !a.ClientTerminal() {
			a.ClientStatus = s.ClientStatus
		}
		if s.ModifyTime != 0 {
			a.ModifyTime = s.ModifyTime
		}
		a.ModifyIndex, a.AllocModifyIndex = index, index
		if err := txn.Insert(TableAllocs, a); err != nil {
			return fmt.Errorf("state: stop alloc %s: %w", s.ID, err)
		}
		touched.alloc(old, a)
		n++
	}
	if n == 0 {
		return nil
	}
	return setIndexTxn(txn, index, TableAllocs)
}

// serverClientStatus reports whether status is one the servers may set on
// an allocation's behalf.
func serverClientStatus(status string) bool {
	return status == drover.AllocClientStatusLost || status == drover.AllocClientStatusUnknown
}
