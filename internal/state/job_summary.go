package state

import (
	"fmt"
	"maps"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
)

// JobSummaryByID returns a job's summary, or nil (and no error) when the
// job is absent.
func (r *reader) JobSummaryByID(ws memdb.WatchSet, namespace, id string) (*drover.JobSummary, error) {
	obj, err := first(r.db.Txn(false), ws, TableJobSummary, "id", namespace, id)
	if err != nil || obj == nil {
		return nil, err
	}
	return obj.(*drover.JobSummary), nil
}

// buildSummary counts job's allocations per group by client status; Queued
// comes from the newest evaluation that recorded QueuedAllocations,
// preferring one that is not terminal yet.
func buildSummary(job *drover.Job, allocs []*drover.Allocation, evals []*drover.Evaluation) map[string]drover.TaskGroupSummary {
	sum := make(map[string]drover.TaskGroupSummary, len(job.TaskGroups))
	for _, tg := range job.TaskGroups {
		sum[tg.Name] = drover.TaskGroupSummary{}
	}
	for _, a := range allocs {
		countAlloc(sum, job, a, +1)
	}
	setQueued(sum, queuedFrom(evals))
	return sum
}

// countAlloc adds delta to the count of a's client status in its group,
// when a is of job's current incarnation and its group is in sum.
func countAlloc(sum map[string]drover.TaskGroupSummary, job *drover.Job, a *drover.Allocation, delta int) {
	if !current(job, a) {
		return
	}
	tg, ok := sum[a.TaskGroup]
	if !ok {
		return
	}
	switch a.ClientStatus {
	case drover.AllocClientStatusPending:
		tg.Starting += delta
	case drover.AllocClientStatusRunning:
		tg.Running += delta
	case drover.AllocClientStatusComplete:
		tg.Complete += delta
	case drover.AllocClientStatusFailed:
		tg.Failed += delta
	case drover.AllocClientStatusLost:
		tg.Lost += delta
	case drover.AllocClientStatusUnknown:
		tg.Unknown += delta
	}
	sum[a.TaskGroup] = tg
}

// setQueued sets every group's Queued from queued (0 when absent).
func setQueued(sum map[string]drover.TaskGroupSummary, queued map[string]int) {
	for name, tg := range sum {
		tg.Queued = queued[name]
		sum[name] = tg
	}
}

func queuedFrom(evals []*drover.Evaluation) map[string]int {
	var newest, newestLive *drover.Evaluation
	for _, e := range evals {
		if e.QueuedAllocations == nil {
			continue
		}
		if newest == nil || newerEval(e, newest) {
			newest = e
		}
		if !e.Terminal() && (newestLive == nil || newerEval(e, newestLive)) {
			newestLive = e
		}
	}
	switch {
	case newestLive != nil:
		return newestLive.QueuedAllocations
	case newest != nil:
		return newest.QueuedAllocations
	}
	return nil
}

func newerEval(a, b *drover.Evaluation) bool {
	if a.CreateIndex != b.CreateIndex {
		return a.CreateIndex > b.CreateIndex
	}
	return a.ModifyIndex > b.ModifyIndex
}

func setJobSummaryTxn(txn *memdb.Txn, index uint64, job *drover.Job, sum map[string]drover.TaskGroupSummary) error {
	raw, err := txn.First(TableJobSummary, "id", job.Namespace, job.ID)
	if err != nil {
		return fmt.Errorf("state: read summary of job %s/%s: %w", job.Namespace, job.ID, err)
	}
	next := &drover.JobSummary{JobID: job.ID, Namespace: job.Namespace, Summary: sum, CreateIndex: index, ModifyIndex: index}
	if raw != nil {
		old := raw.(*drover.JobSummary)
		if maps.Equal(old.Summary, sum) && (old.Children != nil || !job.IsParent()) {
			return nil
		}
		next.CreateIndex, next.Children = old.CreateIndex, old.Children
	}
	if next.Children == nil && job.IsParent() {
		next.Children = &drover.JobChildrenSummary{} // counted by refreshChildrenTxn
	}
	if err := txn.Insert(TableJobSummary, next); err != nil {
		return fmt.Errorf("state: write summary of job %s/%s: %w", job.Namespace, job.ID, err)
	}
	return setIndexTxn(txn, index, TableJobSummary)
}

func deleteJobSummaryTxn(txn *memdb.Txn, index uint64, namespace, id string) error {
	n, err := txn.DeleteAll(TableJobSummary, "id", namespace, id)
	if err != nil {
		return fmt.Errorf("state: delete summary of job %s/%s: %w", namespace, id, err)
	}
	if n == 0 {
		return nil
	}
	return setIndexTxn(txn, index, TableJobSummary)
}
