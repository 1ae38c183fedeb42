package clientstate

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/driver"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testState is the conformance suite both implementations pass.
func testState(t *testing.T, s State) {
	t.Helper()
	a := &drover.Allocation{ID: "a1", Name: "j.g[0]", AllocModifyIndex: 7, Job: &drover.Job{ID: "j"}}
	if err := s.PutAlloc(a); err != nil {
		t.Fatal(err)
	}
	h := &driver.TaskHandle{Version: 1, DriverState: []byte{1, 2}, StartedAt: time.Unix(5, 0).UTC(),
		Config: &driver.TaskConfig{ID: "a1/web/x", Config: map[string]any{"command": "sleep"}}}
	if err := s.PutTaskHandle("a1", "web", h); err != nil {
		t.Fatal(err)
	}
	ts := &drover.TaskState{State: drover.TaskStateRunning, Restarts: 3, Events: []*drover.TaskEvent{{Type: drover.TaskStarted}}}
	if err := s.PutTaskState("a1", "web", ts); err != nil {
		t.Fatal(err)
	}
	allocs, err := s.Allocs()
	if err != nil || len(allocs) != 1 || allocs[0].AllocModifyIndex != 7 || allocs[0].Job.ID != "j" {
		t.Fatalf("Allocs = %v, %v", allocs, err)
	}
	gh, err := s.TaskHandle("a1", "web")
	if err != nil || gh == nil || gh.Config.ID != "a1/web/x" || gh.Config.Config["command"] != "sleep" || !gh.StartedAt.Equal(h.StartedAt) {
		t.Fatalf("TaskHandle = %+v, %v", gh, err)
	}
	gs, err := s.TaskState("a1", "web")
	if err != nil || gs == nil || gs.Restarts != 3 || len(gs.Events) != 1 {
		t.Fatalf("TaskState = %+v, %v", gs, err)
	}
	if h, err := s.TaskHandle("a1", "other"); h != nil || err != nil {
		t.Fatalf("missing handle = %v, %v", h, err)
	}
	if err := s.PutTaskHandle("a1", "web", nil); err != nil {
		t.Fatal(err)
	}
	if h, _ := s.TaskHandle("a1", "web"); h != nil {
		t.Fatal("handle not deleted")
	}
	if err := s.DeleteAlloc("a1"); err != nil {
		t.Fatal(err)
	}
	if allocs, _ := s.Allocs(); len(allocs) != 0 {
		t.Fatalf("after delete: %v", allocs)
	}
	if st, _ := s.TaskState("a1", "web"); st != nil {
		t.Fatal("task state survived DeleteAlloc")
	}
}

func TestMemory(t *testing.T) { testState(t, NewMemory()) }

func TestBolt(t *testing.T) {
	b, err := OpenBolt(t.TempDir(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	testState(t, b)
}

func TestBoltPersists(t *testing.T) {
	dir := t.TempDir()
	b, err := OpenBolt(dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	b.PutAlloc(&drover.Allocation{ID: "a1"})
	b.Close()
	b, err = OpenBolt(dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if allocs, _ := b.Allocs(); len(allocs) != 1 {
		t.Fatalf("reopened: %d allocs", len(allocs))
	}
}

func TestBoltCorruptMovedAside(t *testing.T) {
	for name, damage := range map[string]func(path string) error{
		"garbage":   func(p string) error { return os.WriteFile(p, []byte(strings.Repeat("garbage!", 1000)), 0o600) },
		"truncated": func(p string) error { return os.Truncate(p, 100) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			b, err := OpenBolt(dir, quiet)
			if err != nil {
				t.Fatal(err)
			}
			b.PutAlloc(&drover.Allocation{ID: "a1"})
			b.Close()
			if err := damage(filepath.Join(dir, FileName)); err != nil {
				t.Fatal(err)
			}
			b, err = OpenBolt(dir, quiet)
			if err != nil {
				t.Fatalf("OpenBolt on a damaged file: %v", err)
			}
			defer b.Close()
			if allocs, _ := b.Allocs(); len(allocs) != 0 {
				t.Fatalf("fresh state has %d allocs", len(allocs))
			}
			aside, _ := filepath.Glob(filepath.Join(dir, FileName+".corrupt-*"))
			if len(aside) != 1 {
				t.Fatalf("moved-aside files: %v", aside)
			}
		})
	}
}

func runningHandle(id string) *driver.TaskHandle {
	return &driver.TaskHandle{Version: 1, Driver: "raw_exec", DriverState: []byte(`{"pid":42}`), StartedAt: time.Unix(9, 0).UTC(),
		Config: &driver.TaskConfig{ID: id, Name: "web", Config: map[string]any{"command": "sleep"}}}
}

// TestBoltHandleRecordsOutliveStateFile: each handle is also recorded in a
// file of its own, which survives the state file's loss, stands in for a
// handle the state file lacks, and goes with its allocation.
func TestBoltHandleRecordsOutliveStateFile(t *testing.T) {
	dir := t.TempDir()
	b, err := OpenBolt(dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	b.PutAlloc(&drover.Allocation{ID: "a1"})
	if err := b.PutTaskHandle("a1", "web", runningHandle("a1/web/1")); err != nil {
		t.Fatal(err)
	}
	if err := b.PutTaskHandle("a1", "side/car", runningHandle("a1/side/car/1")); err != nil {
		t.Fatal(err)
	}
	b.Close()
	info, err := os.Stat(filepath.Join(dir, HandleDirName))
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("handle directory: %v, %v", info, err)
	}
	if err := os.Truncate(filepath.Join(dir, FileName), 100); err != nil {
		t.Fatal(err)
	}

	b, err = OpenBolt(dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.MovedAside() == "" {
		t.Fatal("MovedAside is empty after a damaged file")
	}
	recs, err := b.HandleRecords()
	if err != nil || len(recs) != 2 {
		t.Fatalf("HandleRecords = %v, %v", recs, err)
	}
	if r := recs[0]; r.AllocID != "a1" || r.Task != "side/car" || r.Handle.Config.ID != "a1/side/car/1" || r.Handle.Driver != "raw_exec" {
		t.Fatalf("record %+v", r)
	}
	if r := recs[1]; r.Task != "web" || string(r.Handle.DriverState) != `{"pid":42}` || !r.Handle.StartedAt.Equal(time.Unix(9, 0)) {
		t.Fatalf("record %+v", r)
	}
	// The fresh state file has no handle; the record stands in.
	if h, err := b.TaskHandle("a1", "web"); err != nil || h == nil || h.Config.ID != "a1/web/1" {
		t.Fatalf("TaskHandle = %+v, %v", h, err)
	}
	if err := b.PutTaskHandle("a1", "web", nil); err != nil {
		t.Fatal(err)
	}
	if h, _ := b.TaskHandle("a1", "web"); h != nil {
		t.Fatal("deleted handle still found")
	}
	if err := b.DeleteAlloc("a1"); err != nil {
		t.Fatal(err)
	}
	if recs, _ := b.HandleRecords(); len(recs) != 0 {
		t.Fatalf("records after DeleteAlloc: %v", recs)
	}
}

// TestBoltBadRecordsSkipped: a handle record file that does not decode is
// removed (it cannot name a process), and an allocation record that does
// not decode is skipped with the others kept; neither is an error. A
// temporary file is skipped while the state is open and removed when it is
// opened again.
func TestBoltBadRecordsSkipped(t *testing.T) {
	dir := t.TempDir()
	b, err := OpenBolt(dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.PutAlloc(&drover.Allocation{ID: "good"})
	b.PutTaskHandle("good", "web", runningHandle("good/web/1"))
	bad := filepath.Join(dir, HandleDirName, "bad.web.json")
	if err := os.WriteFile(bad, []byte(`{"alloc_id": "bad", "ta`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, HandleDirName, ".tmp-123"), []byte(`{`), 0o600); err != nil {
		t.Fatal(err)
	}
	recs, err := b.HandleRecords()
	if err != nil || len(recs) != 1 || recs[0].AllocID != "good" {
		t.Fatalf("HandleRecords = %v, %v", recs, err)
	}
	// The temporary file may be a write under way: it is skipped, not
	// removed, while the state is open; the undecodable record is removed.
	if left, _ := os.ReadDir(filepath.Join(dir, HandleDirName)); len(left) != 2 || left[0].Name() != ".tmp-123" {
		t.Fatalf("files left %v, want the temporary file and the good record", left)
	}
	raw, _ := drover.EncodeMsgpack("not an allocation")
	if err := b.db.Update(func(tx *bolt.Tx) error {
		ab, err := tx.Bucket(allocsBucket).CreateBucketIfNotExists([]byte("bad"))
		if err != nil {
			return err
		}
		return ab.Put([]byte("alloc"), raw)
	}); err != nil {
		t.Fatal(err)
	}
	allocs, err := b.Allocs()
	if err != nil || len(allocs) != 1 || allocs[0].ID != "good" {
		t.Fatalf("Allocs = %v, %v", allocs, err)
	}
	// Reopened, as by the next agent: the temporary file is a leftover of
	// a write that never finished, and is removed before anything is written.
	b.Close()
	b2, err := OpenBolt(dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if left, _ := os.ReadDir(filepath.Join(dir, HandleDirName)); len(left) != 1 || left[0].Name() != "good.web.json" {
		t.Fatalf("files left after reopening %v, want only the good record", left)
	}
}

// TestBoltHandleFileIsNewer: an agent killed between writing a handle's
// file and the state file's copy leaves the state file behind; the file's
// handle is the one read.
func TestBoltHandleFileIsNewer(t *testing.T) {
	dir := t.TempDir()
	b, err := OpenBolt(dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.PutAlloc(&drover.Allocation{ID: "a1"})
	pending := &driver.TaskHandle{Pending: true, Driver: "raw_exec", Config: &driver.TaskConfig{ID: "a1/web/1"}}
	if err := b.PutTaskHandle("a1", "web", pending); err != nil {
		t.Fatal(err)
	}
	if err := b.files.put("a1", "web", runningHandle("a1/web/1")); err != nil { // the kill came here
		t.Fatal(err)
	}
	h, err := b.TaskHandle("a1", "web")
	if err != nil || h == nil || h.Pending || string(h.DriverState) != `{"pid":42}` {
		t.Fatalf("TaskHandle = %+v, %v: want the file's started handle", h, err)
	}
}

// TestBoltHandleDirInTheWay: a file where the handle directory belongs is
// moved aside rather than keeping the client from starting.
func TestBoltHandleDirInTheWay(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, HandleDirName), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := OpenBolt(dir, quiet)
	if err != nil {
		t.Fatalf("OpenBolt: %v", err)
	}
	defer b.Close()
	if err := b.PutTaskHandle("a1", "web", runningHandle("a1/web/1")); err != nil {
		t.Fatal(err)
	}
	if aside, _ := filepath.Glob(filepath.Join(dir, HandleDirName+".corrupt-*")); len(aside) != 1 {
		t.Fatalf("moved-aside files: %v", aside)
	}
}
