package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
)

// Table names. The names are also the record tags of Raft snapshots, so they
// are never renamed.
const (
	TableJobs        = "jobs"
	TableJobVersions = "job_versions"
	TableJobSummary  = "job_summary"
	TableAllocs      = "allocs"
	TableEvals       = "evals"
	TableNodes       = "nodes"
	TableIndex       = "index"
	// TableSchedulerConfig holds at most one row: the operator's scheduler
	// configuration.
	TableSchedulerConfig = "scheduler_config"
	// TablePeriodicLaunch holds each periodic job's latest launch.
	TablePeriodicLaunch = "periodic_launch"
)

// Tables lists every table in a fixed order: the order snapshots are written
// and restored in.
var Tables = []string{TableIndex, TableNodes, TableJobs, TableJobVersions, TableJobSummary, TableEvals, TableAllocs,
	TableSchedulerConfig, TablePeriodicLaunch}

// IndexEntry is a row of the "index" table: the latest Raft index that
// changed table Key.
type IndexEntry struct {
	Key   string
	Value uint64
}

// newObject returns a pointer to a zero value of the type stored in table,
// for decoding snapshot records.
func newObject(table string) (any, error) {
	switch table {
	case TableJobs, TableJobVersions:
		return new(drover.Job), nil
	case TableJobSummary:
		return new(drover.JobSummary), nil
	case TableAllocs:
		return new(drover.Allocation), nil
	case TableEvals:
		return new(drover.Evaluation), nil
	case TableNodes:
		return new(drover.Node), nil
	case TableIndex:
		return new(IndexEntry), nil
	case TableSchedulerConfig:
		return new(drover.SchedulerConfiguration), nil
	case TablePeriodicLaunch:
		return new(drover.PeriodicLaunch), nil
	}
	return nil, fmt.Errorf("state: unknown table %q", table)
}

func stringField(field string) *memdb.StringFieldIndex {
	return &memdb.StringFieldIndex{Field: field}
}

// schema returns the memdb schema of every table.
func schema() *memdb.DBSchema {
	return &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		TableIndex: {
			Name: TableIndex,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: stringField("Key")},
			},
		},
		TableJobs: {
			Name: TableJobs,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.CompoundIndex{
					Indexes: []memdb.Indexer{stringField("Namespace"), stringField("ID")},
				}},
			},
		},
		TableJobVersions: {
			Name: TableJobVersions,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.CompoundIndex{
					Indexes: []memdb.Indexer{stringField("Namespace"), stringField("ID"), &memdb.UintFieldIndex{Field: "Version"}},
				}},
				"job": {Name: "job", Indexer: &memdb.CompoundIndex{
					Indexes: []memdb.Indexer{stringField("Namespace"), stringField("ID")},
				}},
			},
		},
		TableJobSummary: {
			Name: TableJobSummary,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.CompoundIndex{
					Indexes: []memdb.Indexer{stringField("Namespace"), stringField("JobID")},
				}},
			},
		},
		TableAllocs: {
			Name: TableAllocs,
			Indexes: map[string]*memdb.IndexSchema{
				"id":   {Name: "id", Unique: true, Indexer: stringField("ID")},
				"node": {Name: "node", AllowMissing: true, Indexer: stringField("NodeID")},
				"eval": {Name: "eval", AllowMissing: true, Indexer: stringField("EvalID")},
				"job": {Name: "job", AllowMissing: true, Indexer: &memdb.CompoundIndex{
					Indexes: []memdb.Indexer{stringField("Namespace"), stringField("JobID")},
				}},
			},
		},
		TableEvals: {
			Name: TableEvals,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: stringField("ID")},
				"job": {Name: "job", AllowMissing: true, Indexer: &memdb.CompoundIndex{
					Indexes: []memdb.Indexer{stringField("Namespace"), stringField("JobID")},
				}},
			},
		},
		TableNodes: {
			Name: TableNodes,
			Indexes: map[string]*memdb.IndexSchema{
				"id":       {Name: "id", Unique: true, Indexer: stringField("ID")},
				"draining": {Name: "draining", AllowMissing: true, Indexer: drainingIndexer{}},
			},
		},
		TableSchedulerConfig: {
			Name: TableSchedulerConfig,
			Indexes: map[string]*memdb.IndexSchema{
				// One row: every object has the same (empty) key.
				"id": {Name: "id", Unique: true, Indexer: &memdb.ConditionalIndex{
					Conditional: func(any) (bool, error) { return true, nil },
				}},
			},
		},
		TablePeriodicLaunch: {
			Name: TablePeriodicLaunch,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.CompoundIndex{
					Indexes: []memdb.Indexer{stringField("Namespace"), stringField("ID")},
				}},
			},
		},
	}}
}
