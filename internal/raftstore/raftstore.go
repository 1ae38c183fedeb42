// Package raftstore wires hashicorp/raft for a drover server: log, stable
// and snapshot stores (on disk under a data directory, or in memory for
// -dev and tests), the transport, single-server bootstrap, and Apply of
// typed FSM commands.
package raftstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/fsm"
)

// Config configures Open.
type Config struct {
	// DataDir holds raft's data: DataDir/raft/raft.db (log and stable store)
	// and DataDir/raft/snapshots. "" keeps everything in memory.
	DataDir string
	// LocalID is this server's raft ID; "" uses the transport's address.
	LocalID string
	// Addr is the address peers reach this server at. With the in-memory
	// transport it is the transport's name ("" picks a unique one).
	Addr string
	// StreamLayer carries raft's traffic (the server's port-4647 mux). nil
	// uses an in-memory transport: a single server, or tests.
	StreamLayer raft.StreamLayer
	// Transport, when set, is used as is (tests connecting in-memory
	// transports of several servers); it overrides StreamLayer. The caller
	// keeps it: Shutdown does not close it.
	Transport raft.Transport
	// Bootstrap makes a server with no raft state a cluster of itself.
	Bootstrap bool
	// FSM receives the committed commands.
	FSM raft.FSM
	// Logger gets raft's logs (nil discards them).
	Logger *slog.Logger
	// FastTimeouts uses ~100ms heartbeat and election timeouts (-dev and
	// tests) instead of raft's 1s defaults.
	FastTimeouts bool
	// SnapshotThreshold and SnapshotInterval override raft's defaults when
	// not zero: a snapshot is taken every SnapshotInterval when at least
	// SnapshotThreshold entries were appended since the last one.
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration
}

// Store is a running raft node.
type Store struct {
	raft      *raft.Raft
	transport raft.Transport
	ownTrans  bool // Open created the transport, so Shutdown closes it
	bolt      *raftboltdb.BoltStore
	logger    *slog.Logger

	shutdownOnce sync.Once
	shutdownErr  error
}

// Open starts raft as configured. With Bootstrap and no existing state it
// bootstraps a cluster of this server alone, which becomes leader after one
// election timeout. With existing state, raft restores the newest snapshot
// and replays the log after it once this server learns the commit index (for
// a single server: once it is leader again).
func Open(cfg Config) (*Store, error) {
	if cfg.FSM == nil {
		return nil, errors.New("raftstore: Config.FSM is required")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{logger: logger}
	logs, stable, snaps, err := s.openStores(cfg)
	if err != nil {
		return nil, err
	}
	trans, err := openTransport(cfg, logger)
	if err != nil {
		s.closeStores()
		return nil, err
	}
	s.transport, s.ownTrans = trans, cfg.Transport == nil
	conf := raftConfig(cfg, trans, logger)
	if err := bootstrap(cfg, conf, logs, stable, snaps, trans); err != nil {
		s.closeAll()
		return nil, err
	}
	r, err := raft.NewRaft(conf, cfg.FSM, logs, stable, snaps, trans)
	if err != nil {
		s.closeAll()
		return nil, fmt.Errorf("raftstore: start raft: %w", err)
	}
	s.raft = r
	return s, nil
}

func (s *Store) openStores(cfg Config) (raft.LogStore, raft.StableStore, raft.SnapshotStore, error) {
	if cfg.DataDir == "" {
		mem := raft.NewInmemStore()
		return mem, mem, raft.NewInmemSnapshotStore(), nil
	}
	dir := filepath.Join(cfg.DataDir, "raft")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, nil, fmt.Errorf("raftstore: create %s: %w", dir, err)
	}
	bolt, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, "raft.db")})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("raftstore: open %s: %w", filepath.Join(dir, "raft.db"), err)
	}
	s.bolt = bolt
	logs, err := raft.NewLogCache(512, bolt)
	if err != nil {
		s.closeStores()
		return nil, nil, nil, fmt.Errorf("raftstore: log cache: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, newHCLogger(s.logger))
	if err != nil {
		s.closeStores()
		return nil, nil, nil, fmt.Errorf("raftstore: snapshot store in %s: %w", dir, err)
	}
	return logs, bolt, snaps, nil
}

func openTransport(cfg Config, logger *slog.Logger) (raft.Transport, error) {
	switch {
	case cfg.Transport != nil:
		return cfg.Transport, nil
	case cfg.StreamLayer != nil:
		return raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
			Stream:  cfg.StreamLayer,
			MaxPool: 3,
			Timeout: 10 * time.Second,
			Logger:  newHCLogger(logger),
		}), nil
	}
	_, trans := raft.NewInmemTransport(raft.ServerAddress(cfg.Addr))
	return trans, nil
}

func raftConfig(cfg Config, trans raft.Transport, logger *slog.Logger) *raft.Config {
	conf := raft.DefaultConfig()
	conf.LocalID = raft.ServerID(cfg.LocalID)
	if conf.LocalID == "" {
		conf.LocalID = raft.ServerID(trans.LocalAddr())
	}
	conf.Logger = newHCLogger(logger)
	if cfg.FastTimeouts {
		conf.HeartbeatTimeout = 100 * time.Millisecond
		conf.ElectionTimeout = 100 * time.Millisecond
		conf.LeaderLeaseTimeout = 100 * time.Millisecond
		conf.CommitTimeout = 5 * time.Millisecond
	}
	if cfg.SnapshotThreshold != 0 {
		conf.SnapshotThreshold = cfg.SnapshotThreshold
	}
	if cfg.SnapshotInterval != 0 {
		conf.SnapshotInterval = cfg.SnapshotInterval
	}
	return conf
}

func bootstrap(cfg Config, conf *raft.Config, logs raft.LogStore, stable raft.StableStore, snaps raft.SnapshotStore, trans raft.Transport) error {
	if !cfg.Bootstrap {
		return nil
	}
	has, err := raft.HasExistingState(logs, stable, snaps)
	if err != nil {
		return fmt.Errorf("raftstore: check existing state: %w", err)
	}
	if has {
		return nil
	}
	err = raft.BootstrapCluster(conf, logs, stable, snaps, trans, raft.Configuration{
		Servers: []raft.Server{{Suffrage: raft.Voter, ID: conf.LocalID, Address: trans.LocalAddr()}},
	})
	if err != nil {
		return fmt.Errorf("raftstore: bootstrap: %w", err)
	}
	return nil
}

// Apply commits a command of type t with payload msg and waits until this
// server's FSM applied it. It returns the entry's index and the FSM's
// response; a response that is an error is returned as err (with index
// set). A ctx deadline bounds the wait to enqueue; ctx ending stops the
// wait, though the command may still commit. Not being the leader is an
// error matching both raft.ErrNotLeader and drover.ErrNoLeader.
func (s *Store) Apply(ctx context.Context, t fsm.MessageType, msg any) (uint64, any, error) {
	data, err := fsm.Encode(t, msg)
	if err != nil {
		return 0, nil, err
	}
	var timeout time.Duration
	if d, ok := ctx.Deadline(); ok {
		if timeout = time.Until(d); timeout <= 0 {
			return 0, nil, fmt.Errorf("raftstore: apply %s: %w", t, context.DeadlineExceeded)
		}
	}
	future := s.raft.Apply(data, timeout)
	if err := wait(ctx, future); err != nil {
		return 0, nil, fmt.Errorf("raftstore: apply %s: %w", t, err)
	}
	resp := future.Response()
	if rerr, ok := resp.(error); ok {
		return future.Index(), nil, rerr
	}
	return future.Index(), resp, nil
}

// wait waits for future or ctx, classifying raft's errors.
func wait(ctx context.Context, future raft.Future) error {
	done := make(chan error, 1)
	go func() { done <- future.Error() }()
	select {
	case err := <-done:
		return classify(err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// kindError carries both a drover error kind and raft's error, so callers
// can test for either with errors.Is.
type kindError struct{ kind, cause error }

func (e *kindError) Error() string   { return e.cause.Error() }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.cause} }

func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost),
		errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return &kindError{kind: drover.ErrNoLeader, cause: err}
	case errors.Is(err, raft.ErrRaftShutdown), errors.Is(err, raft.ErrEnqueueTimeout):
		return &kindError{kind: drover.ErrUnavailable, cause: err}
	}
	return err
}

// IsLeader reports whether this server is the leader now.
func (s *Store) IsLeader() bool { return s.raft.State() == raft.Leader }

// LeaderCh delivers true when this server becomes leader and false when it
// stops being leader. It keeps only the latest transition for a slow
// reader, and has a single consumer.
func (s *Store) LeaderCh() <-chan bool { return s.raft.LeaderCh() }

// Leader returns the current leader's address, "" when there is none known.
func (s *Store) Leader() string {
	addr, _ := s.raft.LeaderWithID()
	return string(addr)
}

// Barrier waits until every command committed before it is applied to the
// FSM (a new leader calls it before reading state). It fails if not leader.
func (s *Store) Barrier(ctx context.Context) error {
	var timeout time.Duration
	if d, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(d), time.Millisecond)
	}
	if err := wait(ctx, s.raft.Barrier(timeout)); err != nil {
		return fmt.Errorf("raftstore: barrier: %w", err)
	}
	return nil
}

// Raft returns the raft node, for membership changes, stats and snapshots.
func (s *Store) Raft() *raft.Raft { return s.raft }

// Shutdown stops raft and closes the stores and transport. It is safe to
// call more than once.
func (s *Store) Shutdown() error {
	s.shutdownOnce.Do(func() {
		var errs []error
		if err := s.raft.Shutdown().Error(); err != nil {
			errs = append(errs, fmt.Errorf("raftstore: shutdown raft: %w", err))
		}
		errs = append(errs, s.closeAll())
		s.shutdownErr = errors.Join(errs...)
	})
	return s.shutdownErr
}

func (s *Store) closeAll() error {
	var errs []error
	if c, ok := s.transport.(io.Closer); ok && s.ownTrans {
		if err := c.Close(); err != nil {
			errs = append(errs, fmt.Errorf("raftstore: close transport: %w", err))
		}
	}
	errs = append(errs, s.closeStores())
	return errors.Join(errs...)
}

func (s *Store) closeStores() error {
	if s.bolt == nil {
		return nil
	}
	err := s.bolt.Close()
	s.bolt = nil
	if err != nil {
		return fmt.Errorf("raftstore: close raft.db: %w", err)
	}
	return nil
}
