package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"
)

// Index returns the latest Raft index that changed table, 0 if none did.
func (r *reader) Index(table string) (uint64, error) {
	return r.IndexWatch(nil, table)
}

// IndexWatch is Index that also adds the table's index entry to ws, so a
// blocking query over a whole table (a list) wakes on any change to it.
func (r *reader) IndexWatch(ws memdb.WatchSet, table string) (uint64, error) {
	txn := r.db.Txn(false)
	obj, err := first(txn, ws, TableIndex, "id", table)
	if err != nil || obj == nil {
		return 0, err
	}
	return obj.(*IndexEntry).Value, nil
}

// LatestIndex returns the highest index of any table: the index of the last
// write applied to the store.
func (r *reader) LatestIndex() (uint64, error) {
	txn := r.db.Txn(false)
	it, err := txn.Get(TableIndex, "id")
	if err != nil {
		return 0, fmt.Errorf("state: read index table: %w", err)
	}
	var max uint64
	for raw := it.Next(); raw != nil; raw = it.Next() {
		max = maxU64(max, raw.(*IndexEntry).Value)
	}
	return max, nil
}

// setIndexTxn records index as the latest change of each of tables.
func setIndexTxn(txn *memdb.Txn, index uint64, tables ...string) error {
	for _, t := range tables {
		raw, err := txn.First(TableIndex, "id", t)
		if err != nil {
			return fmt.Errorf("state: read index of %s: %w", t, err)
		}
		if raw != nil && raw.(*IndexEntry).Value >= index {
			continue
		}
		if err := txn.Insert(TableIndex, &IndexEntry{Key: t, Value: index}); err != nil {
			return fmt.Errorf("state: set index of %s: %w", t, err)
		}
	}
	return nil
}

func maxU64(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}
