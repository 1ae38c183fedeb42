package state

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
)

// AllNamespaces, passed as the namespace of JobsByIDPrefix, lists the jobs of
// every namespace.
const AllNamespaces = "*"

// JobByID returns the job, or nil (and no error) when it is absent.
func (r *reader) JobByID(ws memdb.WatchSet, namespace, id string) (*drover.Job, error) {
	obj, err := first(r.db.Txn(false), ws, TableJobs, "id", namespace, id)
	if err != nil || obj == nil {
		return nil, err
	}
	return obj.(*drover.Job), nil
}

// JobsByIDPrefix returns the jobs of namespace whose ID starts with prefix,
// sorted by ID (then namespace); "" returns every job of the namespace and
// AllNamespaces every namespace.
func (r *reader) JobsByIDPrefix(ws memdb.WatchSet, namespace, prefix string) ([]*drover.Job, error) {
	txn := r.db.Txn(false)
	if namespace != AllNamespaces {
		return list[drover.Job](txn, ws, TableJobs, "id_prefix", namespace, prefix)
	}
	all, err := list[drover.Job](txn, ws, TableJobs, "id")
	if err != nil {
		return nil, err
	}
	var out []*drover.Job
	for _, j := range all {
		if strings.HasPrefix(j.ID, prefix) {
			out = append(out, j)
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].ID != out[b].ID {
			return out[a].ID < out[b].ID
		}
		return out[a].Namespace < out[b].Namespace
	})
	return out, nil
}

// UpsertJob registers or updates a job at index. When the job is new or its
// spec changed (see drover.Job.SpecChanged) its Version is bumped (from 0 for a new
// job), JobModifyIndex becomes index and the version is kept in
// job_versions (the newest MaxJobVersions). CreateIndex is kept from the
// stored job; ModifyIndex becomes index; a SubmitTime of 0 keeps the stored
// one (a new job keeps 0: the store never reads the clock, so every replica
// applies a command alike; the server sets it). Status and the JobSummary
// are computed by the store.
func (s *StateStore) UpsertJob(index uint64, job *drover.Job) error {
	return s.write(func(txn *memdb.Txn) error {
		touched := jobSet{}
		if err := upsertJobTxn(txn, index, job, touched); err != nil {
			return err
		}
		return refreshJobsTxn(txn, index, touched, false)
	})
}

// UpsertJobWithEval upserts job and eval (which may be nil) in one
// transaction: a registration and the evaluation it triggers commit together.
func (s *StateStore) UpsertJobWithEval(index uint64, job *drover.Job, eval *drover.Evaluation) error {
	return s.write(func(txn *memdb.Txn) error { return upsertJobWithEvalTxn(txn, index, job, eval, nil) })
}

// upsertJobWithEvalTxn upserts job and eval (may be nil), runs also (may be
// nil) in the same transaction, then refreshes the touched jobs.
func upsertJobWithEvalTxn(txn *memdb.Txn, index uint64, job *drover.Job, eval *drover.Evaluation, also func() error) error {
	touched := jobSet{}
	if err := upsertJobTxn(txn, index, job, touched); err != nil {
		return err
	}
	if eval != nil {
		// The evaluation is for the job as just stored: a registration
		// that changed the spec moved its JobModifyIndex to index.
		if eval.JobID == job.ID && eval.Namespace == job.Namespace {
			eval.JobModifyIndex = job.JobModifyIndex
		}
		if err := upsertEvalsTxn(txn, index, []*drover.Evaluation{eval}, touched); err != nil {
			return err
		}
	}
	if also != nil {
		if err := also(); err != nil {
			return err
		}
	}
	return refreshJobsTxn(txn, index, touched, false)
}

// DeleteJob removes a job, its versions and its summary at index. Its
// evaluations and allocations stay until garbage collection (DeleteEvals).
// An unknown job is an ErrNotFound error.
func (s *StateStore) DeleteJob(index uint64, namespace, id string) error {
	return s.write(func(txn *memdb.Txn) error { return deleteJobTxn(txn, index, namespace, id) })
}

// DeregisterJob stops a job (a new version with Stop set) or, with purge,
// deletes it as DeleteJob does, and upserts eval (may be nil), all in one
// transaction. An unknown job is an ErrNotFound error.
func (s *StateStore) DeregisterJob(index uint64, namespace, id string, purge bool, eval *drover.Evaluation) error {
	return s.write(func(txn *memdb.Txn) error {
		touched := jobSet{}
		if purge {
			if err := deleteJobTxn(txn, index, namespace, id); err != nil {
				return err
			}
		} else {
			raw, err := txn.First(TableJobs, "id", namespace, id)
			if err != nil {
				return fmt.Errorf("state: deregister job %s/%s: %w", namespace, id, err)
			}
			if raw == nil {
				return drover.Errorf(drover.ErrNotFound, "job %q not found in namespace %q", id, namespace)
			}
			if !raw.(*drover.Job).Stop {
				stopped := raw.(*drover.Job).Copy()
				stopped.Stop = true
				if err := upsertJobTxn(txn, index, stopped, touched); err != nil {
					return err
				}
			}
		}
		if eval != nil {
			if err := upsertEvalsTxn(txn, index, []*drover.Evaluation{eval}, touched); err != nil {
				return err
			}
		}
		return refreshJobsTxn(txn, index, touched, false)
	})
}

func upsertJobTxn(txn *memdb.Txn, index uint64, job *drover.Job, touched jobSet) error {
	if job == nil || job.ID == "" {
		return drover.Errorf(drover.ErrInvalid, "state: upsert job: missing job ID")
	}
	if job.Namespace == "" {
		job.Namespace = drover.DefaultNamespace
	}
	raw, err := txn.First(TableJobs, "id", job.Namespace, job.ID)
	if err != nil {
		return fmt.Errorf("state: upsert job %s/%s: %w", job.Namespace, job.ID, err)
	}
	changed := true
	if raw != nil {
		old := raw.(*drover.Job)
		if changed, err = old.SpecChanged(job); err != nil {
			return fmt.Errorf("state: upsert job %s/%s: %w", job.Namespace, job.ID, err)
		}
		job.CreateIndex = old.CreateIndex
		job.Version, job.JobModifyIndex, job.Status = old.Version, old.JobModifyIndex, old.Status
		if job.SubmitTime == 0 || !changed {
			job.SubmitTime = old.SubmitTime
		}
		if changed {
			job.Version = old.Version + 1
		}
	} else {
		job.CreateIndex, job.Version = index, 0
	}
	if changed {
		job.JobModifyIndex = index
	}
	job.ModifyIndex = index
	if err := txn.Insert(TableJobs, job); err != nil {
		return fmt.Errorf("state: upsert job %s/%s: %w", job.Namespace, job.ID, err)
	}
	touched.job(job.Namespace, job.ID)
	if raw == nil {
		touched.get(job.Namespace, job.ID).created = true
	}
	if err := setIndexTxn(txn, index, TableJobs); err != nil {
		return err
	}
	if !changed {
		return nil
	}
	return upsertJobVersionTxn(txn, index, job)
}

func deleteJobTxn(txn *memdb.Txn, index uint64, namespace, id string) error {
	raw, err := txn.First(TableJobs, "id", namespace, id)
	if err != nil {
		return fmt.Errorf("state: delete job %s/%s: %w", namespace, id, err)
	}
	if raw == nil {
		return drover.Errorf(drover.ErrNotFound, "job %q not found in namespace %q", id, namespace)
	}
	if err := txn.Delete(TableJobs, raw); err != nil {
		return fmt.Errorf("state: delete job %s/%s: %w", namespace, id, err)
	}
	if err := deleteJobVersionsTxn(txn, index, namespace, id); err != nil {
		return err
	}
	if err := deleteJobSummaryTxn(txn, index, namespace, id); err != nil {
		return err
	}
	if err := deletePeriodicLaunchTxn(txn, index, namespace, id); err != nil {
		return err
	}
	if err := setIndexTxn(txn, index, TableJobs); err != nil {
		return err
	}
	if job := raw.(*drover.Job); job.ParentID != "" {
		var d childDelta
		d.add(job.Status, -1)
		return applyChildDeltaTxn(txn, index, jobKey{namespace, job.ParentID}, d)
	}
	return nil
}
