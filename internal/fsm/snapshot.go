package fsm

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/hashicorp/raft"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/state"
)

// snapshotFormat is the version of the snapshot layout written by Persist:
// a snapshotHeader, then records (a table name, then one object of that
// table), then the end marker: an empty table name.
const snapshotFormat = 1

type snapshotHeader struct {
	Format    int
	LastIndex uint64
}

// fsmSnapshot is a point-in-time view of the store, written by Persist
// while Apply goes on.
type fsmSnapshot struct {
	snap *state.StateSnapshot
}

// Snapshot returns a point-in-time view of the store for raft to persist.
// It is cheap: memdb snapshots share structure.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	snap, err := f.State().Snapshot()
	if err != nil {
		return nil, fmt.Errorf("fsm: snapshot: %w", err)
	}
	return &fsmSnapshot{snap: snap}, nil
}

// Persist writes the snapshot to sink, cancelling the sink on error.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := s.write(sink); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("fsm: persist snapshot: %w", err)
	}
	return sink.Close()
}

func (s *fsmSnapshot) write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	enc := codec.NewEncoder(bw, drover.MsgpackHandle)
	last, err := s.snap.LatestIndex()
	if err != nil {
		return err
	}
	if err := enc.Encode(&snapshotHeader{Format: snapshotFormat, LastIndex: last}); err != nil {
		return err
	}
	err = s.snap.ForEach(func(table string, obj any) error {
		if err := enc.Encode(table); err != nil {
			return err
		}
		return enc.Encode(obj)
	})
	if err != nil {
		return err
	}
	if err := enc.Encode(""); err != nil {
		return err
	}
	return bw.Flush()
}

// Release does nothing: the memdb snapshot needs no cleanup.
func (s *fsmSnapshot) Release() {}

// Restore replaces the store with the snapshot's content: it builds a fresh
// store, swaps it in atomically and closes the old store's AbandonCh.
// Records of tables this version does not know are skipped with a warning.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	fresh, err := state.NewStateStore()
	if err != nil {
		return fmt.Errorf("fsm: restore: %w", err)
	}
	if err := f.readSnapshot(rc, fresh); err != nil {
		return fmt.Errorf("fsm: restore: %w", err)
	}
	f.mu.Lock()
	old := f.state
	f.state = fresh
	f.mu.Unlock()
	old.Abandon()
	return nil
}

func (f *FSM) readSnapshot(r io.Reader, into *state.StateStore) error {
	dec := codec.NewDecoder(bufio.NewReader(r), drover.MsgpackHandle)
	var hdr snapshotHeader
	if err := dec.Decode(&hdr); err != nil {
		return fmt.Errorf("read header: %w", err)
	}
	if hdr.Format != snapshotFormat {
		return fmt.Errorf("snapshot format %d is not supported (want %d)", hdr.Format, snapshotFormat)
	}
	res := into.Restore()
	defer res.Abort()
	for {
		var table string
		if err := dec.Decode(&table); err != nil {
			if errors.Is(err, io.EOF) {
				return errors.New("snapshot is truncated: no end marker")
			}
			return fmt.Errorf("read record: %w", err)
		}
		if table == "" {
			break
		}
		obj, err := state.NewObject(table)
		if err != nil {
			f.logger.Warn("skipping snapshot record of unknown table", "table", table)
			var skip any
			obj = &skip
		}
		if err := dec.Decode(obj); err != nil {
			return fmt.Errorf("read %s record: %w", table, err)
		}
		if _, unknown := obj.(*any); unknown {
			continue
		}
		if err := res.Insert(table, obj); err != nil {
			return err
		}
	}
	res.Commit()
	return nil
}
