package raftstore

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/fsm"
	"github.com/drover-sh/drover/internal/state"
)

func testJob(id string) *drover.Job {
	j := &drover.Job{ID: id, TaskGroups: []*drover.TaskGroup{{Name: "web", Count: 1,
		Tasks: []*drover.Task{{Name: "srv", Driver: "raw_exec"}}}}}
	j.Canonicalize()
	return j
}

func open(t *testing.T, cfg Config) (*Store, *fsm.FSM) {
	t.Helper()
	f := fsm.New(nil, slog.New(slog.DiscardHandler), fsm.Hooks{})
	cfg.FSM = f
	cfg.FastTimeouts = true
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Shutdown() })
	return s, f
}

// waitLeader waits for s to report leadership, failing after a deadline.
func waitLeader(t *testing.T, s *Store) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case isLeader := <-s.LeaderCh():
			if isLeader {
				return time.Since(start)
			}
		case <-deadline:
			t.Fatal("no leader within 5s")
		}
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestInmemSingleServerAppliesToFSM(t *testing.T) {
	s, f := open(t, Config{Bootstrap: true, LocalID: "s1"})
	if took := waitLeader(t, s); took > time.Second {
		t.Errorf("leader after %s, want well under a second", took)
	}
	if !s.IsLeader() || s.Leader() == "" {
		t.Fatalf("IsLeader %v, Leader %q", s.IsLeader(), s.Leader())
	}
	index, resp, err := s.Apply(ctx(t), fsm.JobRegisterRequestType, &fsm.JobRegisterRequest{Job: testJob("web")})
	if err != nil || resp != nil || index == 0 {
		t.Fatalf("Apply = %d, %v, %v", index, resp, err)
	}
	j, _ := f.State().JobByID(nil, "default", "web")
	if j == nil || j.CreateIndex != index {
		t.Fatalf("job after apply = %+v, want CreateIndex %d", j, index)
	}
	if err := s.Barrier(ctx(t)); err != nil {
		t.Fatalf("Barrier: %v", err)
	}

	// The FSM's rejection comes back as the error, with the entry's index.
	index2, _, err := s.Apply(ctx(t), fsm.JobDeregisterRequestType, &fsm.JobDeregisterRequest{Namespace: "default", JobID: "nope"})
	if !errors.Is(err, drover.ErrNotFound) || index2 <= index {
		t.Fatalf("Apply of a rejected command = %d, %v; want index > %d and ErrNotFound", index2, err, index)
	}
}

func TestApplyWithoutLeadership(t *testing.T) {
	s, _ := open(t, Config{LocalID: "lonely"}) // never bootstrapped: no leader
	_, _, err := s.Apply(ctx(t), fsm.JobRegisterRequestType, &fsm.JobRegisterRequest{Job: testJob("web")})
	if !errors.Is(err, drover.ErrNoLeader) || !errors.Is(err, raft.ErrNotLeader) {
		t.Fatalf("Apply on a follower: %v, want ErrNoLeader and raft.ErrNotLeader", err)
	}
}

// TestRestartKeepsJobs: a single server with a data directory keeps its
// jobs across a restart, by log replay and by snapshot restore.
func TestRestartKeepsJobs(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DataDir: dir, Bootstrap: true, LocalID: "s1", Addr: "s1"}

	s, _ := open(t, cfg)
	waitLeader(t, s)
	if _, _, err := s.Apply(ctx(t), fsm.JobRegisterRequestType, &fsm.JobRegisterRequest{Job: testJob("web")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Shutdown(); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "raft", "raft.db")); err != nil {
		t.Fatalf("raft.db: %v", err)
	}

	// Restart: the log is replayed.
	s, f := open(t, cfg)
	waitLeader(t, s)
	if err := s.Barrier(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if j, _ := f.State().JobByID(nil, "default", "web"); j == nil {
		t.Fatal("job lost across a restart (log replay)")
	}

	// Snapshot, then one more write after it, then restart: the snapshot is
	// restored and the log after it replayed.
	if err := s.Raft().Snapshot().Error(); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	if _, _, err := s.Apply(ctx(t), fsm.JobRegisterRequestType, &fsm.JobRegisterRequest{Job: testJob("api")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Shutdown(); err != nil {
		t.Fatal(err)
	}
	snaps, _ := filepath.Glob(filepath.Join(dir, "raft", "snapshots", "*"))
	if len(snaps) == 0 {
		t.Fatal("no snapshot on disk")
	}

	initial, _ := state.NewStateStore()
	f = fsm.New(initial, slog.New(slog.DiscardHandler), fsm.Hooks{})
	cfg.FSM, cfg.FastTimeouts = f, true
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	select {
	case <-initial.AbandonCh():
	default:
		t.Fatal("the snapshot was not restored into the FSM on start")
	}
	waitLeader(t, s)
	if err := s.Barrier(ctx(t)); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"web", "api"} {
		if j, _ := f.State().JobByID(nil, "default", id); j == nil {
			t.Errorf("job %s lost across a restart from a snapshot", id)
		}
	}
}
