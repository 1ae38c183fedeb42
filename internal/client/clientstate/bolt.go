package clientstate

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/driver"
)

// FileName is the state file's name inside the client's state directory.
const FileName = "state.db"

// Layout: bucket "allocs" holds one bucket per allocation ID with the keys
// "alloc", "handle/<task>" and "state/<task>"; values are msgpack.
var allocsBucket = []byte("allocs")

// Bolt is a State in a bbolt file, with each task's driver handle also
// recorded in a file of its own under <dir>/tasks (see HandleRecords).
type Bolt struct {
	db     *bolt.DB
	files  *handleFiles
	logger *slog.Logger
	aside  string
}

var _ State = (*Bolt)(nil)

// OpenBolt opens (or creates) <dir>/state.db and the handle records in
// <dir>/tasks. A file that cannot be opened or whose records are not
// msgpack is renamed to state.db.corrupt-<unix time>, with a warning, and a
// fresh file is created: a damaged state file must never keep the client
// from starting. The handle records are left alone, so the client can find
// the tasks that still run (see HandleRecords); MovedAside tells it
// happened.
func OpenBolt(dir string, logger *slog.Logger) (*Bolt, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("clientstate: %w", err)
	}
	files, err := openHandleFiles(dir, logger)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, FileName)
	b, err := openChecked(path)
	if err == nil {
		b.files, b.logger = files, logger
		return b, nil
	}
	aside := fmt.Sprintf("%s.corrupt-%d", path, time.Now().Unix())
	logger.Warn("client state file is unreadable; moving it aside and rebuilding from the servers and the running tasks",
		"path", path, "moved_to", aside, "error", err)
	if rerr := os.Rename(path, aside); rerr != nil {
		return nil, fmt.Errorf("clientstate: move aside unreadable %s: %w (after: %v)", path, rerr, err)
	}
	b, err = openChecked(path)
	if err != nil {
		return nil, fmt.Errorf("clientstate: open fresh %s: %w", path, err)
	}
	b.files, b.logger, b.aside = files, logger, aside
	return b, nil
}

// MovedAside returns where OpenBolt moved an unreadable state file, or ""
// when the file was read.
func (b *Bolt) MovedAside() string { return b.aside }

// openChecked opens the file and reads every record once, so damage shows
// now rather than later. bbolt may panic on a damaged page; that counts as
// an error too.
func openChecked(path string) (b *Bolt, err error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("reading state: %v", r)
		}
		if err != nil {
			db.Close()
			b = nil
		}
	}()
	err = db.Update(func(tx *bolt.Tx) error {
		root, err := tx.CreateBucketIfNotExists(allocsBucket)
		if err != nil {
			return err
		}
		return root.ForEachBucket(func(k []byte) error {
			return root.Bucket(k).ForEach(func(key, v []byte) error {
				var x any
				return drover.DecodeMsgpack(v, &x)
			})
		})
	})
	if err != nil {
		return nil, err
	}
	return &Bolt{db: db}, nil
}

func (b *Bolt) put(allocID, key string, v any) error {
	buf, err := drover.EncodeMsgpack(v)
	if err != nil {
		return fmt.Errorf("clientstate: encode %s/%s: %w", allocID, key, err)
	}
	return b.db.Update(func(tx *bolt.Tx) error {
		ab, err := tx.Bucket(allocsBucket).CreateBucketIfNotExists([]byte(allocID))
		if err != nil {
			return err
		}
		return ab.Put([]byte(key), buf)
	})
}

// get decodes the value at allocID/key into v; found is false when absent.
func (b *Bolt) get(allocID, key string, v any) (found bool, err error) {
	err = b.db.View(func(tx *bolt.Tx) error {
		ab := tx.Bucket(allocsBucket).Bucket([]byte(allocID))
		if ab == nil {
			return nil
		}
		raw := ab.Get([]byte(key))
		if raw == nil {
			return nil
		}
		found = true
		return drover.DecodeMsgpack(raw, v)
	})
	return found, err
}

// PutAlloc implements State.
func (b *Bolt) PutAlloc(alloc *drover.Allocation) error { return b.put(alloc.ID, "alloc", alloc) }

// Allocs implements State.
func (b *Bolt) Allocs() ([]*drover.Allocation, error) {
	var out []*drover.Allocation
	err := b.db.View(func(tx *bolt.Tx) error {
		root := tx.Bucket(allocsBucket)
		return root.ForEachBucket(func(k []byte) error {
			raw := root.Bucket(k).Get([]byte("alloc"))
			if raw == nil {
				return nil
			}
			var a drover.Allocation
			if err := drover.DecodeMsgpack(raw, &a); err != nil || a.ID != string(k) {
				// One bad record must not hide the others: the client
				// rebuilds this allocation from the servers' copy.
				b.logger.Warn("client state holds an unreadable allocation record; skipping it",
					"alloc_id", string(k), "error", err)
				return nil
			}
			out = append(out, &a)
			return nil
		})
	})
	return out, err
}

// DeleteAlloc implements State. The handle records go last, so that a
// crash in between leaves them to find the allocation's processes.
func (b *Bolt) DeleteAlloc(allocID string) error {
	err := b.db.Update(func(tx *bolt.Tx) error {
		err := tx.Bucket(allocsBucket).DeleteBucket([]byte(allocID))
		if errors.Is(err, bolt.ErrBucketNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	return b.files.deleteAlloc(allocID)
}

// PutTaskHandle implements State. A handle is written to its own file
// first, then to the state file; a deletion goes the other way. So the
// handle file is never older than the state file's copy.
func (b *Bolt) PutTaskHandle(allocID, task string, h *driver.TaskHandle) error {
	if h == nil {
		err := b.db.Update(func(tx *bolt.Tx) error {
			if ab := tx.Bucket(allocsBucket).Bucket([]byte(allocID)); ab != nil {
				return ab.Delete([]byte("handle/" + task))
			}
			return nil
		})
		if err != nil {
			return err
		}
		return b.files.delete(allocID, task)
	}
	if err := b.files.put(allocID, task, h); err != nil {
		return err
	}
	return b.put(allocID, "handle/"+task, h)
}

// TaskHandle implements State. The task's handle file is read first: it is
// written before the state file's copy and removed after it, so it is never
// the older of the two (an agent killed in between leaves the state file
// behind). The state file's copy stands in when there is no file, as for a
// handle an older agent recorded.
func (b *Bolt) TaskHandle(allocID, task string) (*driver.TaskHandle, error) {
	if h, err := b.files.get(allocID, task); err != nil || h != nil {
		return h, err
	}
	var h driver.TaskHandle
	found, err := b.get(allocID, "handle/"+task, &h)
	if err != nil || !found {
		return nil, err
	}
	return &h, nil
}

// HandleRecords implements State: the handle files under <dir>/tasks.
func (b *Bolt) HandleRecords() ([]*HandleRecord, error) { return b.files.all() }

// PutTaskState implements State.
func (b *Bolt) PutTaskState(allocID, task string, s *drover.TaskState) error {
	return b.put(allocID, "state/"+task, s)
}

// TaskState implements State.
func (b *Bolt) TaskState(allocID, task string) (*drover.TaskState, error) {
	var s drover.TaskState
	found, err := b.get(allocID, "state/"+task, &s)
	if err != nil || !found {
		return nil, err
	}
	return &s, nil
}

// Close implements State.
func (b *Bolt) Close() error { return b.db.Close() }
