package state

import (
	"fmt"
	"maps"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
)

// jobKey names a job.
type jobKey struct{ namespace, id string }

// jobChange is what one write changed of a job: enough to update its
// derived state (status and summary) incrementally on the hot paths
// (placements and client updates) rather than recount every allocation.
type jobChange struct {
	full    bool          // the job itself changed, or objects were deleted: recount
	created bool          // the job is new: no parent counted it yet
	evals   bool          // evaluations changed: Queued and status may change
	allocs  []allocChange // allocations written, in order
}

// allocChange is one allocation write: old is nil for a new allocation.
type allocChange struct{ old, new *drover.Allocation }

// jobSet collects the jobs a write touched, so their derived state is
// updated once, at the end of the transaction.
type jobSet map[jobKey]*jobChange

func (s jobSet) get(namespace, id string) *jobChange {
	k := jobKey{namespace, id}
	c := s[k]
	if c == nil {
		c = &jobChange{}
		s[k] = c
	}
	return c
}

// job marks a job for a full recount.
func (s jobSet) job(namespace, id string) {
	if id != "" {
		s.get(namespace, id).full = true
	}
}

// eval marks a change to a job's evaluations.
func (s jobSet) eval(namespace, id string) {
	if id != "" {
		s.get(namespace, id).evals = true
	}
}

// alloc records an allocation write (old is nil for a new allocation).
func (s jobSet) alloc(old, new *drover.Allocation) {
	if new.JobID != "" {
		c := s.get(new.Namespace, new.JobID)
		c.allocs = append(c.allocs, allocChange{old, new})
	}
}

// refreshJobsTxn updates the Status and JobSummary of every touched job
// that still exists, writing (at index) only what changed. evalDelete says
// the write garbage-collected evaluations: a job left with neither
// evaluations nor allocations is then dead rather than pending.
func refreshJobsTxn(txn *memdb.Txn, index uint64, touched jobSet, evalDelete bool) error {
	deltas := childDeltas{}
	for k, ch := range touched {
		raw, err := txn.First(TableJobs, "id", k.namespace, k.id)
		if err != nil {
			return fmt.Errorf("state: read job %s/%s: %w", k.namespace, k.id, err)
		}
		if raw == nil {
			continue
		}
		job := raw.(*drover.Job)
		sraw, err := txn.First(TableJobSummary, "id", k.namespace, k.id)
		if err != nil {
			return fmt.Errorf("state: read summary of job %s/%s: %w", k.namespace, k.id, err)
		}
		before := job.Status
		if sraw == nil || ch.full || evalDelete {
			err = recountJobTxn(txn, index, job, evalDelete)
		} else {
			err = updateJobTxn(txn, index, job, sraw.(*drover.JobSummary), ch)
		}
		if err != nil {
			return err
		}
		if job.ParentID != "" {
			if err := deltas.childChanged(txn, job, before, ch.created); err != nil {
				return err
			}
		}
	}
	return refreshParentsTxn(txn, index, touched, deltas)
}

// recountJobTxn derives a job's status and summary from all its
// allocations and evaluations.
func recountJobTxn(txn *memdb.Txn, index uint64, job *drover.Job, evalDelete bool) error {
	allocs, err := currentAllocsTxn(txn, job)
	if err != nil {
		return err
	}
	evals, err := list[drover.Evaluation](txn, nil, TableEvals, "job", job.Namespace, job.ID)
	if err != nil {
		return err
	}
	if err := setJobStatusTxn(txn, index, job, jobStatus(job, allocs, evals, evalDelete)); err != nil {
		return err
	}
	return setJobSummaryTxn(txn, index, job, buildSummary(job, allocs, evals))
}

// updateJobTxn applies one write's changes to a job's stored summary and
// re-derives its status, reading as little as it can: a live allocation
// written makes the job running without a scan.
func updateJobTxn(txn *memdb.Txn, index uint64, job *drover.Job, stored *drover.JobSummary, ch *jobChange) error {
	sum := maps.Clone(stored.Summary)
	final := make(map[string]*drover.Allocation, len(ch.allocs))
	for _, c := range ch.allocs {
		countAlloc(sum, job, c.old, -1)
		countAlloc(sum, job, c.new, +1)
		final[c.new.ID] = c.new // an allocation may be written twice
	}
	live := false
	for _, a := range final {
		live = live || (current(job, a) && !a.Terminal())
	}
	var evals []*drover.Evaluation
	if ch.evals {
		var err error
		if evals, err = list[drover.Evaluation](txn, nil, TableEvals, "job", job.Namespace, job.ID); err != nil {
			return err
		}
		setQueued(sum, queuedFrom(evals))
	}
	status, err := jobStatusTxn(txn, job, live, evals)
	if err != nil {
		return err
	}
	if err := setJobStatusTxn(txn, index, job, status); err != nil {
		return err
	}
	return setJobSummaryTxn(txn, index, job, sum)
}

// jobStatusTxn is jobStatus without reading more than needed: live says a
// live allocation of the job is known; evals, when not nil, are the job's
// evaluations.
func jobStatusTxn(txn *memdb.Txn, job *drover.Job, live bool, evals []*drover.Evaluation) (string, error) {
	if job.Stop {
		return drover.JobStatusDead, nil
	}
	if live || job.IsParent() {
		return drover.JobStatusRunning, nil
	}
	it, err := txn.Get(TableAllocs, "job", job.Namespace, job.ID)
	if err != nil {
		return "", fmt.Errorf("state: read allocs of job %s/%s: %w", job.Namespace, job.ID, err)
	}
	var allocs []*drover.Allocation
	for raw := it.Next(); raw != nil; raw = it.Next() {
		a := raw.(*drover.Allocation)
		if !current(job, a) {
			continue
		}
		if !a.Terminal() {
			return drover.JobStatusRunning, nil
		}
		allocs = append(allocs, a)
	}
	if evals == nil {
		if evals, err = list[drover.Evaluation](txn, nil, TableEvals, "job", job.Namespace, job.ID); err != nil {
			return "", err
		}
	}
	return jobStatus(job, allocs, evals, false), nil
}

// currentAllocsTxn returns the allocations of job's current incarnation: a
// job purged and registered again under the same ID does not count the
// allocations of its predecessor.
func currentAllocsTxn(txn *memdb.Txn, job *drover.Job) ([]*drover.Allocation, error) {
	all, err := list[drover.Allocation](txn, nil, TableAllocs, "job", job.Namespace, job.ID)
	if err != nil {
		return nil, err
	}
	out := all[:0:0]
	for _, a := range all {
		if current(job, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

// current reports whether a belongs to job's current incarnation.
func current(job *drover.Job, a *drover.Allocation) bool {
	return a != nil && (a.Job == nil || a.Job.CreateIndex == job.CreateIndex)
}

// jobStatus derives a job's status as Nomad does: dead when stopped;
// running while it is a periodic or parameterized parent (it may launch
// children); running while any allocation is not terminal; pending while any
// evaluation is not terminal (nothing placed yet, or blocked); dead once it
// had allocations or evaluations and all are terminal (a finished batch job,
// or a service whose allocations all failed); pending otherwise.
func jobStatus(job *drover.Job, allocs []*drover.Allocation, evals []*drover.Evaluation, evalDelete bool) string {
	if job.Stop {
		return drover.JobStatusDead
	}
	if job.IsParent() {
		return drover.JobStatusRunning
	}
	for _, a := range allocs {
		if !a.Terminal() {
			return drover.JobStatusRunning
		}
	}
	for _, e := range evals {
		if !e.Terminal() {
			return drover.JobStatusPending
		}
	}
	if evalDelete || len(allocs) > 0 || len(evals) > 0 {
		return drover.JobStatusDead
	}
	return drover.JobStatusPending
}

func setJobStatusTxn(txn *memdb.Txn, index uint64, job *drover.Job, status string) error {
	if job.Status == status {
		return nil
	}
	c := *job // shallow: only Status and ModifyIndex change
	c.Status = status
	c.ModifyIndex = index
	if err := txn.Insert(TableJobs, &c); err != nil {
		return fmt.Errorf("state: set status of job %s/%s: %w", job.Namespace, job.ID, err)
	}
	return setIndexTxn(txn, index, TableJobs)
}
