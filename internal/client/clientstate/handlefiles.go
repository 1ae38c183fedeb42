package clientstate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/drover-sh/drover/internal/driver"
)

// HandleDirName is the directory, inside the client's state directory, that
// holds one file per running task's driver handle.
const HandleDirName = "tasks"

// HandleRecord is a task's driver handle as recorded apart from the state
// file, so that it survives the state file's loss.
type HandleRecord struct {
	AllocID string             `json:"alloc_id"`
	Task    string             `json:"task"`
	Handle  *driver.TaskHandle `json:"handle"`
}

// handleFiles keeps a HandleRecord per task as a small JSON file under
// <state dir>/tasks, written atomically (temporary file, fsync, rename,
// fsync of the directory). It is a second, independent record of what runs:
// when the bbolt file is damaged and moved aside, these files still say
// which processes belong to which allocation, so a restarted client
// reattaches to them instead of starting the tasks a second time. The
// directory is the agent's own (0700), never inside an allocation
// directory, which tasks can write.
type handleFiles struct {
	dir    string
	logger *slog.Logger
}

func openHandleFiles(stateDir string, logger *slog.Logger) (*handleFiles, error) {
	dir := filepath.Join(stateDir, HandleDirName)
	if fi, err := os.Lstat(dir); err == nil && !fi.IsDir() {
		// Not ours to make sense of, and in the way: keep it for a look.
		aside := fmt.Sprintf("%s.corrupt-%d", dir, time.Now().Unix())
		logger.Warn("task handle directory is not a directory; moving it aside", "path", dir, "moved_to", aside)
		if err := os.Rename(dir, aside); err != nil {
			return nil, fmt.Errorf("clientstate: move aside %s: %w", dir, err)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("clientstate: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("clientstate: %w", err)
	}
	// Temporary files left by a write an earlier agent did not finish are
	// removed now, before this agent writes: later, such a file may be a
	// write under way (a reattached task's handle, written while the client
	// reads the records).
	if leftovers, err := filepath.Glob(filepath.Join(dir, ".tmp-*")); err == nil {
		for _, p := range leftovers {
			os.Remove(p) // the record it was replacing is intact
		}
	}
	return &handleFiles{dir: dir, logger: logger}, nil
}

// fileName is the record's file name: the allocation ID (a UUID, without
// dots) then the task name escaped so that it is one path element.
func (f *handleFiles) fileName(allocID, task string) string {
	return filepath.Join(f.dir, allocID+"."+url.PathEscape(task)+".json")
}

// put records h for the task, replacing any earlier record.
func (f *handleFiles) put(allocID, task string, h *driver.TaskHandle) error {
	b, err := json.Marshal(&HandleRecord{AllocID: allocID, Task: task, Handle: h})
	if err != nil {
		return fmt.Errorf("clientstate: encode handle record %s/%s: %w", allocID, task, err)
	}
	if err := writeFileAtomic(f.fileName(allocID, task), b); err != nil {
		return fmt.Errorf("clientstate: write handle record %s/%s: %w", allocID, task, err)
	}
	return nil
}

// get returns the task's recorded handle, nil when there is none. A record
// that cannot be decoded is removed, with a warning, and counts as none.
func (f *handleFiles) get(allocID, task string) (*driver.TaskHandle, error) {
	path := f.fileName(allocID, task)
	rec, err := f.read(path)
	if err != nil || rec == nil {
		return nil, err
	}
	return rec.Handle, nil
}

// read decodes one record file; nil when it does not exist or was
// unreadable (and so removed).
func (f *handleFiles) read(path string) (*HandleRecord, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("clientstate: read handle record: %w", err)
	}
	var rec HandleRecord
	if err := json.Unmarshal(b, &rec); err != nil || rec.AllocID == "" || rec.Task == "" || rec.Handle == nil || rec.Handle.Config == nil {
		if err == nil {
			err = errors.New("record is incomplete")
		}
		f.logger.Warn("task handle record is unreadable; removing it", "path", path, "error", err)
		if rerr := os.Remove(path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return nil, fmt.Errorf("clientstate: remove unreadable handle record %s: %w", path, rerr)
		}
		return nil, nil
	}
	return &rec, nil
}

// delete removes the task's record; a missing one is not an error.
func (f *handleFiles) delete(allocID, task string) error {
	if err := os.Remove(f.fileName(allocID, task)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("clientstate: remove handle record %s/%s: %w", allocID, task, err)
	}
	return nil
}

// deleteAlloc removes every record of the allocation.
func (f *handleFiles) deleteAlloc(allocID string) error {
	paths, err := filepath.Glob(filepath.Join(f.dir, allocID+".*.json"))
	if err != nil {
		return fmt.Errorf("clientstate: list handle records of %s: %w", allocID, err)
	}
	var errs []error
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("clientstate: remove handle record: %w", err))
		}
	}
	return errors.Join(errs...)
}

// all returns every readable record, ordered by allocation and task.
// Temporary files (writes under way) are skipped.
func (f *handleFiles) all() ([]*HandleRecord, error) {
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		return nil, fmt.Errorf("clientstate: list handle records: %w", err)
	}
	var out []*HandleRecord
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(f.dir, name)
		if strings.HasPrefix(name, ".tmp-") {
			continue
		}
		if e.IsDir() || !strings.HasSuffix(name, ".json") {
			continue
		}
		rec, err := f.read(path)
		if err != nil {
			return nil, err
		}
		if rec != nil {
			out = append(out, rec)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].AllocID != out[j].AllocID {
			return out[i].AllocID < out[j].AllocID
		}
		return out[i].Task < out[j].Task
	})
	return out, nil
}

// writeFileAtomic replaces path with b so that a crash at any point leaves
// either the old content or the new, never a mix: write a temporary file in
// the same directory, fsync it, rename it over path, fsync the directory.
func writeFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".tmp-") // mode 0600
	if err != nil {
		return err
	}
	name := tmp.Name()
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
