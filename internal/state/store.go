package state

import (
	"fmt"
	"sync"

	"github.com/hashicorp/go-memdb"
)

// reader holds the read methods shared by StateStore and StateSnapshot.
// Each read opens its own read transaction on db.
type reader struct {
	db *memdb.MemDB
}

// StateStore is the live cluster state. Reads are safe from any goroutine;
// writes are made by the FSM only (memdb serialises write transactions).
type StateStore struct {
	reader

	abandonOnce sync.Once
	abandonCh   chan struct{}
}

// StateSnapshot is a read-only point-in-time view of a StateStore. Later
// writes to the store are not visible in it.
type StateSnapshot struct {
	reader
}

// NewStateStore returns an empty store.
func NewStateStore() (*StateStore, error) {
	db, err := memdb.NewMemDB(schema())
	if err != nil {
		return nil, fmt.Errorf("state: create memdb: %w", err)
	}
	return &StateStore{reader: reader{db: db}, abandonCh: make(chan struct{})}, nil
}

// Snapshot returns a read-only point-in-time view of the store.
func (s *StateStore) Snapshot() (*StateSnapshot, error) {
	return &StateSnapshot{reader: reader{db: s.db.Snapshot()}}, nil
}

// AbandonCh is closed when the store is replaced by a Raft snapshot restore:
// a blocking query waiting on it must re-read from the FSM's new store.
func (s *StateStore) AbandonCh() <-chan struct{} { return s.abandonCh }

// Abandon closes AbandonCh. The FSM calls it after swapping in a restored
// store. It is safe to call more than once.
func (s *StateStore) Abandon() { s.abandonOnce.Do(func() { close(s.abandonCh) }) }

// watch adds ch to ws when ws is not nil.
func watch(ws memdb.WatchSet, ch <-chan struct{}) {
	if ws != nil {
		ws.Add(ch)
	}
}

// first returns the first object of table matching index/args, adding its
// watch channel to ws.
func first(txn *memdb.Txn, ws memdb.WatchSet, table, index string, args ...any) (any, error) {
	ch, obj, err := txn.FirstWatch(table, index, args...)
	if err != nil {
		return nil, fmt.Errorf("state: read %s by %s: %w", table, index, err)
	}
	watch(ws, ch)
	return obj, nil
}

// list returns every object of table matching index/args, adding the
// iterator's watch channel to ws.
func list[T any](txn *memdb.Txn, ws memdb.WatchSet, table, index string, args ...any) ([]*T, error) {
	it, err := txn.Get(table, index, args...)
	if err != nil {
		return nil, fmt.Errorf("state: read %s by %s: %w", table, index, err)
	}
	watch(ws, it.WatchCh())
	var out []*T
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*T))
	}
	return out, nil
}

// write runs fn in one write transaction, committing when fn succeeds.
func (s *StateStore) write(fn func(txn *memdb.Txn) error) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	if err := fn(txn); err != nil {
		return err
	}
	txn.Commit()
	return nil
}
