package state

import (
	"fmt"
	"sort"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
)

// MaxJobVersions is how many versions of a job the store keeps; older ones
// are dropped as new ones are written.
const MaxJobVersions = 6

// JobVersionsByID returns the kept versions of a job, newest first; none
// (and no error) when the job is unknown.
func (r *reader) JobVersionsByID(ws memdb.WatchSet, namespace, id string) ([]*drover.Job, error) {
	return jobVersionsTxn(r.db.Txn(false), ws, namespace, id)
}

func jobVersionsTxn(txn *memdb.Txn, ws memdb.WatchSet, namespace, id string) ([]*drover.Job, error) {
	out, err := list[drover.Job](txn, ws, TableJobVersions, "job", namespace, id)
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Version > out[b].Version })
	return out, nil
}

// upsertJobVersionTxn records job as a version and drops the oldest ones
// beyond MaxJobVersions.
func upsertJobVersionTxn(txn *memdb.Txn, index uint64, job *drover.Job) error {
	if err := txn.Insert(TableJobVersions, job); err != nil {
		return fmt.Errorf("state: record version %d of job %s/%s: %w", job.Version, job.Namespace, job.ID, err)
	}
	versions, err := jobVersionsTxn(txn, nil, job.Namespace, job.ID)
	if err != nil {
		return err
	}
	for i := MaxJobVersions; i < len(versions); i++ {
		if err := txn.Delete(TableJobVersions, versions[i]); err != nil {
			return fmt.Errorf("state: drop version %d of job %s/%s: %w", versions[i].Version, job.Namespace, job.ID, err)
		}
	}
	return setIndexTxn(txn, index, TableJobVersions)
}

func deleteJobVersionsTxn(txn *memdb.Txn, index uint64, namespace, id string) error {
	n, err := txn.DeleteAll(TableJobVersions, "job", namespace, id)
	if err != nil {
		return fmt.Errorf("state: delete versions of job %s/%s: %w", namespace, id, err)
	}
	if n == 0 {
		return nil
	}
	return setIndexTxn(txn, index, TableJobVersions)
}
