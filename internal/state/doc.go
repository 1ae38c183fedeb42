// Package state is drover's replicated cluster state: an in-memory
// go-memdb database of jobs (and their versions and summaries),
// allocations, evaluations and nodes.
//
// Contracts:
//   - Writes are made only by internal/fsm, each at a Raft index; every object
//     a write touches gets that index as its ModifyIndex, and the "index"
//     table records the latest index per table. Each public write opens one
//     memdb transaction and hands off to ...Txn helpers, so composite writes
//     (job + eval, plan results + evals, client updates + evals) commit
//     atomically.
//   - Writes take ownership of the objects passed in: the caller must not use
//     or change them afterwards (the FSM passes freshly decoded objects).
//   - Objects returned by reads are shared with the store and with every
//     other reader: never modify one in place; copy it first (Job.Copy,
//     Allocation.CopySkipJob, ...).
//   - Every read takes a memdb.WatchSet (nil allowed) and adds the channels
//     of what it read, so blocking queries can wait for a change.
//   - Snapshot returns a read-only point-in-time view with the same reads.
//   - The store maintains each job's Status and JobSummary as allocations
//     and evaluations change.
//
// DeleteJob removes a job, its versions and its summary; its evaluations
// and allocations stay until garbage collection removes them with
// DeleteEvals (as Nomad does), so a purge never races a client that still
// reports on an allocation.
package state
