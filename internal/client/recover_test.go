package client

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/clientstate"
	"github.com/drover-sh/drover/internal/client/internal/fakedriver"
	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/testutil"
)

// runThenStop runs a service alloc on a non-dev client with state in
// stateDir, stops the client (the task keeps running in drv) and returns
// the alloc as the server has it.
func runThenStop(t *testing.T, srv *fakeServer, drv *fakedriver.Driver, mod func(*Config), allocMods ...func(*drover.Allocation)) *drover.Allocation {
	t.Helper()
	c1 := startClient(t, srv, drv, mod)
	waitFor(t, "register", func() bool { r, _, _ := srv.counts(); return r == 1 })
	a := testAlloc(c1.NodeID(), drover.JobTypeService, map[string]any{})
	for _, m := range allocMods {
		m(a)
	}
	srv.upsertAlloc(a)
	waitFor(t, "running", func() bool {
		s := srv.alloc(a.ID)
		return s.ClientStatus == drover.AllocClientStatusRunning && s.TaskStates["web"] != nil &&
			s.TaskStates["web"].State == drover.TaskStateRunning
	})
	c1.stop(t)
	if drv.Running("web") != 1 {
		t.Fatal("non-dev shutdown stopped the task")
	}
	return srv.alloc(a.ID)
}

func handleRecords(t *testing.T, stateDir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(stateDir, clientstate.HandleDirName, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

func startedEvents(ts *drover.TaskState) int {
	n := 0
	for _, e := range ts.Events {
		if e.Type == drover.TaskStarted {
			n++
		}
	}
	return n
}

// TestCorruptStateReattachesRunningTask: the state file is unreadable when
// the agent restarts while a task runs. The client moves it aside, and the
// servers' allocation is matched with the task's handle record: the same
// task is reattached (never started twice) and its restart count is the
// servers' (it never goes backwards).
func TestCorruptStateReattachesRunningTask(t *testing.T) {
	for name, damage := range map[string]func(t *testing.T, path string){
		"garbage": func(t *testing.T, p string) {
			if err := os.WriteFile(p, []byte(strings.Repeat("not bolt", 600)), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"truncated": func(t *testing.T, p string) {
			if err := os.Truncate(p, 100); err != nil {
				t.Fatal(err)
			}
		},
		"missing": func(t *testing.T, p string) {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newFakeServer()
			drv := fakedriver.New("fake")
			stateDir := t.TempDir()
			mod := func(cfg *Config) { cfg.StateDir, cfg.DevMode = stateDir, false }
			a := runThenStop(t, srv, drv, mod)
			if n := len(handleRecords(t, stateDir)); n != 1 {
				t.Fatalf("%d handle records for one running task", n)
			}
			// The servers' copy says the task was restarted twice before.
			a.TaskStates["web"].Restarts = 2
			srv.upsertAlloc(a)
			damage(t, filepath.Join(stateDir, clientstate.FileName))
			queries := srv.queryCount()

			c2 := startClient(t, srv, drv, mod)
			defer c2.stop(t)
			waitFor(t, "a sync round", func() bool { return srv.queryCount() >= queries+2 })
			waitFor(t, "reattached", func() bool {
				c2.mu.Lock()
				defer c2.mu.Unlock()
				return c2.runners[a.ID] != nil
			})
			c2.mu.Lock()
			ar := c2.runners[a.ID]
			c2.mu.Unlock()
			waitFor(t, "task running", func() bool { return ar.Alloc().TaskStates["web"].State == drover.TaskStateRunning })
			if drv.Starts("web") != 1 || drv.Running("web") != 1 {
				t.Fatalf("driver starts %d, running %d: the task was started again", drv.Starts("web"), drv.Running("web"))
			}
			ts := ar.Alloc().TaskStates["web"]
			if ts.Restarts != 2 || startedEvents(ts) != 1 {
				t.Fatalf("restarts %d (want the servers' 2), Started events %d", ts.Restarts, startedEvents(ts))
			}
			if name != "missing" {
				aside, _ := filepath.Glob(filepath.Join(stateDir, clientstate.FileName+".corrupt-*"))
				if len(aside) != 1 {
					t.Fatalf("moved-aside files: %v", aside)
				}
			}
			// The reattached task is managed: stopping the alloc kills it
			// and its record goes with the allocation.
			stop := srv.alloc(a.ID)
			stop.DesiredStatus = drover.AllocDesiredStatusStop
			srv.upsertAlloc(stop)
			waitFor(t, "stopped", func() bool { return drv.Running("web") == 0 })
			srv.deleteAlloc(a.ID)
			waitFor(t, "records removed", func() bool { return len(handleRecords(t, stateDir)) == 0 })
		})
	}
}

// TestCorruptStateStopsOrphans: after the state file was lost, a recorded
// task whose allocation the servers no longer want run is stopped, never
// left running beside a replacement, and its record and directory removed.
// One the servers want stopped but still think runs is stopped through a
// runner, so its last status reaches them.
func TestCorruptStateStopsOrphans(t *testing.T) {
	tests := []struct {
		name       string
		change     func(srv *fakeServer, a *drover.Allocation)
		wantStatus string // the status the server ends with; "" for a deleted alloc
	}{
		{"deleted by the servers", func(srv *fakeServer, a *drover.Allocation) { srv.deleteAlloc(a.ID) }, ""},
		{"finished per the servers", func(srv *fakeServer, a *drover.Allocation) {
			a.ClientStatus = drover.AllocClientStatusLost
			srv.upsertAlloc(a)
		}, drover.AllocClientStatusLost},
		{"stopped by the servers", func(srv *fakeServer, a *drover.Allocation) {
			a.DesiredStatus = drover.AllocDesiredStatusStop
			srv.upsertAlloc(a)
		}, drover.AllocClientStatusComplete},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer()
			drv := fakedriver.New("fake")
			stateDir, allocDir := t.TempDir(), testutil.AllocRoot(t)
			mod := func(cfg *Config) { cfg.StateDir, cfg.AllocDir, cfg.DevMode = stateDir, allocDir, false }
			a := runThenStop(t, srv, drv, mod)
			tt.change(srv, a)
			if err := os.WriteFile(filepath.Join(stateDir, clientstate.FileName), []byte("garbage"), 0o600); err != nil {
				t.Fatal(err)
			}

			c2 := startClient(t, srv, drv, mod)
			defer c2.stop(t)
			waitFor(t, "orphan stopped", func() bool { return drv.Running("web") == 0 })
			waitFor(t, "record removed", func() bool { return len(handleRecords(t, stateDir)) == 0 })
			if tt.wantStatus != "" {
				waitFor(t, "status "+tt.wantStatus, func() bool { return srv.alloc(a.ID).ClientStatus == tt.wantStatus })
			} else {
				waitFor(t, "alloc dir removed", func() bool {
					_, err := os.Stat(filepath.Join(allocDir, a.ID))
					return os.IsNotExist(err)
				})
			}
			if drv.Starts("web") != 1 {
				t.Fatalf("driver starts %d: an unwanted allocation was started", drv.Starts("web"))
			}
		})
	}
}

// TestUndecodableRecordRebuiltFromServers: a state file that opens but
// whose allocation record does not decode does not keep the client from
// starting; the allocation is rebuilt from the servers' copy and its task
// reattached.
func TestUndecodableRecordRebuiltFromServers(t *testing.T) {
	srv := newFakeServer()
	drv := fakedriver.New("fake")
	stateDir := t.TempDir()
	mod := func(cfg *Config) { cfg.StateDir, cfg.DevMode = stateDir, false }
	a := runThenStop(t, srv, drv, mod)

	bad, err := drover.EncodeMsgpack("not an allocation")
	if err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(stateDir, clientstate.FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		ab := tx.Bucket([]byte("allocs")).Bucket([]byte(a.ID))
		if err := ab.Put([]byte("alloc"), bad); err != nil {
			return err
		}
		return ab.Put([]byte("state/web"), bad)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	c2 := startClient(t, srv, drv, mod)
	defer c2.stop(t)
	waitFor(t, "reattached", func() bool {
		c2.mu.Lock()
		defer c2.mu.Unlock()
		return c2.runners[a.ID] != nil
	})
	c2.mu.Lock()
	ar := c2.runners[a.ID]
	c2.mu.Unlock()
	waitFor(t, "task running", func() bool { return ar.Alloc().TaskStates["web"].State == drover.TaskStateRunning })
	if drv.Starts("web") != 1 || drv.Running("web") != 1 {
		t.Fatalf("driver starts %d, running %d", drv.Starts("web"), drv.Running("web"))
	}
	stop := srv.alloc(a.ID)
	stop.DesiredStatus = drover.AllocDesiredStatusStop
	srv.upsertAlloc(stop)
	waitFor(t, "stopped", func() bool { return drv.Running("web") == 0 })
}

// TestHandleWithoutStateIsReattached: the agent died after recording a
// task's handle but before the servers heard the task started. The handle
// alone is enough to reattach, with a Started event from its start time.
func TestHandleWithoutStateIsReattached(t *testing.T) {
	srv := newFakeServer()
	drv := fakedriver.New("fake")
	stateDir := t.TempDir()
	mod := func(cfg *Config) { cfg.StateDir, cfg.DevMode = stateDir, false }
	a := runThenStop(t, srv, drv, mod)
	a.TaskStates = nil
	a.ClientStatus = drover.AllocClientStatusPending
	srv.upsertAlloc(a)
	if err := os.Remove(filepath.Join(stateDir, clientstate.FileName)); err != nil {
		t.Fatal(err)
	}

	c2 := startClient(t, srv, drv, mod)
	defer c2.stop(t)
	waitFor(t, "running reported", func() bool {
		s := srv.alloc(a.ID)
		return s.ClientStatus == drover.AllocClientStatusRunning && s.TaskStates["web"] != nil
	})
	ts := srv.alloc(a.ID).TaskStates["web"]
	if drv.Starts("web") != 1 || startedEvents(ts) != 1 || ts.StartedAt.IsZero() {
		t.Fatalf("driver starts %d, Started events %d, started at %v", drv.Starts("web"), startedEvents(ts), ts.StartedAt)
	}
	stop := srv.alloc(a.ID)
	stop.DesiredStatus = drover.AllocDesiredStatusStop
	srv.upsertAlloc(stop)
	waitFor(t, "stopped", func() bool { return drv.Running("web") == 0 })
}

// TestUnrecordedStartIsCleanedUp: the agent died after the driver started
// the task but before the task's handle was recorded; only the pending
// handle written before the start is left. The next agent has the driver
// clean up that start before starting the task again, so it never runs
// twice.
func TestUnrecordedStartIsCleanedUp(t *testing.T) {
	srv := newFakeServer()
	drv := fakedriver.New("fake")
	stateDir := t.TempDir()
	mod := func(cfg *Config) { cfg.StateDir, cfg.DevMode = stateDir, false }
	a := runThenStop(t, srv, drv, mod)

	st, err := clientstate.OpenBolt(stateDir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	h, err := st.TaskHandle(a.ID, "web")
	if err != nil || h == nil || h.Driver != "fake" {
		t.Fatalf("recorded handle %+v, %v", h, err)
	}
	pending := &driver.TaskHandle{Config: h.Config, Driver: h.Driver, Pending: true}
	if err := st.PutTaskHandle(a.ID, "web", pending); err != nil {
		t.Fatal(err)
	}
	before := &drover.TaskState{State: drover.TaskStatePending, Events: []*drover.TaskEvent{{Type: drover.TaskReceived}, {Type: drover.TaskSetup}}}
	if err := st.PutTaskState(a.ID, "web", before); err != nil {
		t.Fatal(err)
	}
	st.Close()

	c2 := startClient(t, srv, drv, mod)
	defer c2.stop(t)
	waitFor(t, "started again", func() bool { return drv.Starts("web") == 2 })
	waitFor(t, "running reported", func() bool {
		s := srv.alloc(a.ID).TaskStates["web"]
		return s != nil && s.State == drover.TaskStateRunning && startedEvents(s) == 1
	})
	if drv.Cleanups() != 1 || drv.Running("web") != 1 {
		t.Fatalf("cleanups %d, running %d: the unrecorded start was not cleaned up", drv.Cleanups(), drv.Running("web"))
	}
	stop := srv.alloc(a.ID)
	stop.DesiredStatus = drover.AllocDesiredStatusStop
	srv.upsertAlloc(stop)
	waitFor(t, "stopped", func() bool { return drv.Running("web") == 0 })
}

// TestReattachRewritesHandleRecord: a task recorded only in the state file
// (by an agent that wrote no handle files) gets its handle file when it is
// reattached, so a later loss of the state file still finds it.
func TestReattachRewritesHandleRecord(t *testing.T) {
	srv := newFakeServer()
	drv := fakedriver.New("fake")
	stateDir := t.TempDir()
	mod := func(cfg *Config) { cfg.StateDir, cfg.DevMode = stateDir, false }
	a := runThenStop(t, srv, drv, mod)
	for _, p := range handleRecords(t, stateDir) {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}

	c2 := startClient(t, srv, drv, mod)
	waitFor(t, "handle file rewritten", func() bool { return len(handleRecords(t, stateDir)) == 1 })
	c2.stop(t)
	if err := os.Truncate(filepath.Join(stateDir, clientstate.FileName), 100); err != nil {
		t.Fatal(err)
	}
	c3 := startClient(t, srv, drv, mod)
	defer c3.stop(t)
	waitFor(t, "reattached", func() bool {
		c3.mu.Lock()
		defer c3.mu.Unlock()
		return c3.runners[a.ID] != nil
	})
	if drv.Starts("web") != 1 || drv.Running("web") != 1 {
		t.Fatalf("driver starts %d, running %d", drv.Starts("web"), drv.Running("web"))
	}
	stop := srv.alloc(a.ID)
	stop.DesiredStatus = drover.AllocDesiredStatusStop
	srv.upsertAlloc(stop)
	waitFor(t, "stopped", func() bool { return drv.Running("web") == 0 })
}

// TestCorruptStateRestartsDeadTaskCountingUp: the state file is lost and
// the task died while the agent was down. The task is restarted per its
// policy, and its restart count goes on from the servers' copy.
func TestCorruptStateRestartsDeadTaskCountingUp(t *testing.T) {
	srv := newFakeServer()
	drv := fakedriver.New("fake")
	stateDir := t.TempDir()
	mod := func(cfg *Config) { cfg.StateDir, cfg.DevMode = stateDir, false }
	a := runThenStop(t, srv, drv, mod, func(a *drover.Allocation) {
		a.Job.TaskGroups[0].Tasks[0].RestartPolicy = &drover.RestartPolicy{Attempts: 5, Interval: time.Hour, Mode: drover.RestartModeFail}
	})
	a.TaskStates["web"].Restarts = 2
	srv.upsertAlloc(a)
	drv.Exit("web", 1)
	if err := os.Truncate(filepath.Join(stateDir, clientstate.FileName), 100); err != nil {
		t.Fatal(err)
	}

	c2 := startClient(t, srv, drv, mod)
	defer c2.stop(t)
	waitFor(t, "restarted", func() bool {
		s := srv.alloc(a.ID).TaskStates["web"]
		return s != nil && s.State == drover.TaskStateRunning && s.Restarts == 3
	})
	if drv.Starts("web") != 2 || drv.Running("web") != 1 {
		t.Fatalf("driver starts %d, running %d", drv.Starts("web"), drv.Running("web"))
	}
	stop := srv.alloc(a.ID)
	stop.DesiredStatus = drover.AllocDesiredStatusStop
	srv.upsertAlloc(stop)
	waitFor(t, "stopped", func() bool { return drv.Running("web") == 0 })
}

// TestDeadTaskWithLiveHandleIsStopped: after the state file was lost, the
// servers' copy says a task is dead while its recorded handle still finds
// it running. Nothing may run for a dead task: it is stopped, not
// restarted.
func TestDeadTaskWithLiveHandleIsStopped(t *testing.T) {
	srv := newFakeServer()
	drv := fakedriver.New("fake")
	stateDir := t.TempDir()
	mod := func(cfg *Config) { cfg.StateDir, cfg.DevMode = stateDir, false }
	a := runThenStop(t, srv, drv, mod)
	a.TaskStates["web"].State = drover.TaskStateDead
	srv.upsertAlloc(a)
	if err := os.Remove(filepath.Join(stateDir, clientstate.FileName)); err != nil {
		t.Fatal(err)
	}

	c2 := startClient(t, srv, drv, mod)
	defer c2.stop(t)
	waitFor(t, "leftover stopped", func() bool { return drv.Running("web") == 0 })
	waitFor(t, "record removed", func() bool { return len(handleRecords(t, stateDir)) == 0 })
	waitFor(t, "complete reported", func() bool { return srv.alloc(a.ID).ClientStatus == drover.AllocClientStatusComplete })
	if drv.Starts("web") != 1 {
		t.Fatalf("driver starts %d: a dead task was started", drv.Starts("web"))
	}
}
