// Package server is a drover server: it holds the cluster state in a
// Raft-replicated store and serves the internal RPC endpoints (one handler
// per drover.Method* constant). The leader also runs the leader duties: the
// eval broker and the blocked-evals tracker, the scheduler workers, the plan
// queue and its applier, and node liveness (heartbeat timers).
//
// Writes on a follower are forwarded to the leader over the internal RPC;
// reads are answered from the local state, with blocking-query support.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/fsm"
	"github.com/drover-sh/drover/internal/raftstore"
	"github.com/drover-sh/drover/internal/rpc"
	"github.com/drover-sh/drover/internal/state"
)

// Config configures a server. Zero durations take the defaults noted.
type Config struct {
	// NodeName names this server; it is its Raft ID (default: its Raft address).
	NodeName string
	// Region is the server's region (default "global").
	Region string
	// Datacenter is the server's datacenter, and the default of nodes
	// registering without one (default "dc1").
	Datacenter string
	// DataDir holds Raft's log and snapshots; "" keeps them in memory (-dev).
	DataDir string
	// RPCAdvertise is the address (host:port) other agents reach this
	// server's port 4647 at; default: the listener's address.
	RPCAdvertise string
	// Listener is port 4647 (Raft + internal RPC). nil serves only in-process
	// calls (tests, or a -dev agent whose client calls in process).
	Listener net.Listener
	// Bootstrap makes a server with no Raft state a cluster of itself.
	Bootstrap bool
	// NumSchedulers is the number of scheduler workers (default: cores).
	NumSchedulers int
	// HeartbeatTTL is how often clients must heartbeat (default 10s); a node
	// is marked down after HeartbeatTTL + HeartbeatGrace without one.
	HeartbeatTTL time.Duration
	// MaxHeartbeatsPerSecond bounds the heartbeats all nodes together send:
	// clients of a large cluster get longer TTLs (default 50, as Nomad's;
	// negative: no bound).
	MaxHeartbeatsPerSecond float64
	// HeartbeatGrace is the slack before a node is marked down (default
	// 10s; negative means none). On gaining leadership, every ready node
	// gets FailoverGrace (default 2×TTL) on top before its first heartbeat
	// is due.
	HeartbeatGrace time.Duration
	FailoverGrace  time.Duration
	// NackTimeout bounds how long a worker may hold an evaluation (default
	// 1m); DeliveryLimit is how often one is delivered before it fails
	// (default 3).
	NackTimeout   time.Duration
	DeliveryLimit int
	// AllocUpdateBatch is how long client allocation updates are coalesced
	// into one Raft command (default 50ms).
	AllocUpdateBatch time.Duration
	// MaxQueryTime caps a blocking query's wait (default 5m).
	MaxQueryTime time.Duration
	// FastRaft uses short Raft timeouts (-dev and tests).
	FastRaft bool
	// RaftTransport, when set, replaces the Raft transport (tests joining
	// several in-process servers over in-memory transports).
	RaftTransport raft.Transport
	// Logger gets the server's logs (nil discards them).
	Logger *slog.Logger
	// Clock is the time the drainer and the schedulers judge deadlines and
	// health by (nil: the wall clock).
	Clock Clock
}

func (c *Config) setDefaults() {
	if c.Region == "" {
		c.Region = drover.DefaultRegion
	}
	if c.Datacenter == "" {
		c.Datacenter = "dc1"
	}
	if c.NumSchedulers <= 0 {
		c.NumSchedulers = runtime.NumCPU()
	}
	if c.MaxHeartbeatsPerSecond == 0 {
		c.MaxHeartbeatsPerSecond = 50
	}
	if c.HeartbeatTTL <= 0 {
		c.HeartbeatTTL = 10 * time.Second
	}
	if c.HeartbeatGrace == 0 {
		c.HeartbeatGrace = 10 * time.Second
	}
	c.HeartbeatGrace = max(c.HeartbeatGrace, 0)
	if c.FailoverGrace <= 0 {
		c.FailoverGrace = 2 * c.HeartbeatTTL
	}
	if c.NackTimeout <= 0 {
		c.NackTimeout = time.Minute
	}
	if c.DeliveryLimit <= 0 {
		c.DeliveryLimit = 3
	}
	if c.AllocUpdateBatch <= 0 {
		c.AllocUpdateBatch = 50 * time.Millisecond
	}
	if c.MaxQueryTime <= 0 {
		c.MaxQueryTime = 5 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = wallClock{}
	}
	if c.RPCAdvertise == "" && c.Listener != nil {
		c.RPCAdvertise = advertiseAddr(c.Listener.Addr())
	}
}

// advertiseAddr returns addr, or, when it is unspecified (0.0.0.0, ::), the
// same port on this host's first private or global unicast IPv4 address, so
// peers are never told to dial 0.0.0.0.
func advertiseAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	ifaddrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range ifaddrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && ipn.IP.IsGlobalUnicast() {
				return net.JoinHostPort(ipn.IP.String(), strconv.Itoa(tcp.Port))
			}
		}
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}

// Server is a running drover server.
type Server struct {
	cfg    Config
	logger *slog.Logger

	fsm       *fsm.FSM
	raft      *raftstore.Store
	mux       *rpc.Mux
	rpcServer *rpc.Server
	rpcClient *rpc.Client

	broker     *EvalBroker
	blocked    *BlockedEvals
	heartbeats *heartbeats
	periodic   *periodicDispatcher
	planCh     chan *pendingPlan
	allocBatch *allocBatcher

	leadershipMu sync.Mutex // serializes establishLeadership and revokeLeadership
	// afterBarrier, when set (tests), runs once establishLeadership's
	// barrier has succeeded, before any duty starts.
	afterBarrier func()

	leaderMu     sync.Mutex
	leaderCtx    context.Context // nil while not leader
	leaderCancel context.CancelFunc
	leaderWG     sync.WaitGroup

	ctx    context.Context // ends at Shutdown
	cancel context.CancelFunc
	wg     sync.WaitGroup

	shutdownOnce sync.Once
}

// New builds and starts a server: state, FSM, Raft, the RPC server (and, with
// a Listener, the port-4647 mux), and the leadership monitor that runs the
// leader duties whenever this server leads.
func New(cfg Config) (*Server, error) {
	cfg.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:       cfg,
		logger:    cfg.Logger.With("component", "server"),
		rpcServer: rpc.NewServer(cfg.Logger),
		rpcClient: rpc.NewClient(cfg.Logger, rpc.ClientConfig{}),
		blocked:   NewBlockedEvals(),
		planCh:    make(chan *pendingPlan),
		ctx:       ctx,
		cancel:    cancel,
	}
	s.broker = NewEvalBroker(cfg.NackTimeout, cfg.DeliveryLimit, s.evalFailed)
	s.heartbeats = newHeartbeats(s)
	s.periodic = newPeriodicDispatcher(s.State, s.launchPeriodic, cfg.Clock.Now, cfg.Logger.With("component", "periodic"))
	s.allocBatch = newAllocBatcher(s, cfg.AllocUpdateBatch)
	s.fsm = fsm.New(nil, cfg.Logger.With("component", "fsm"), fsm.Hooks{
		EvalsUpserted:       s.onEvalsUpserted,
		AllocsClientUpdated: s.onAllocsClientUpdated,
		NodeUpserted:        s.onNodeUpserted,
		JobChanged:          func(ns, id string) { s.periodic.jobChanged(ns, id) },
		// The broker follows the configuration in log order, whichever
		// path wrote it.
		SchedulerConfigChanged: func(cfg *drover.SchedulerConfiguration) { s.broker.SetPaused(cfg.PauseEvalBroker) },
	})
	s.registerEndpoints()

	rcfg := raftstore.Config{
		DataDir:      cfg.DataDir,
		LocalID:      cfg.NodeName,
		Bootstrap:    cfg.Bootstrap,
		FSM:          s.fsm,
		Logger:       cfg.Logger.With("component", "raft"),
		FastTimeouts: cfg.FastRaft,
		Transport:    cfg.RaftTransport,
	}
	if cfg.Listener != nil {
		var opts []rpc.MuxOption
		if adv, err := net.ResolveTCPAddr("tcp", cfg.RPCAdvertise); err == nil {
			opts = append(opts, rpc.WithAdvertise(adv))
		}
		s.mux = rpc.NewMux(cfg.Listener, cfg.Logger, opts...)
		if cfg.DataDir != "" {
			rcfg.StreamLayer = s.mux.RaftLayer()
			rcfg.Addr = cfg.RPCAdvertise
		}
	}
	store, err := raftstore.Open(rcfg)
	if err != nil {
		cancel()
		if s.mux != nil {
			s.mux.Close()
		}
		return nil, fmt.Errorf("server: %w", err)
	}
	s.raft = store

	if s.mux != nil {
		s.goRun(func() {
			if err := s.mux.Serve(); err != nil {
				s.logger.Error("rpc mux stopped", "error", err)
			}
		})
		s.goRun(func() {
			if err := s.rpcServer.Serve(s.mux.RPCListener()); err != nil {
				s.logger.Error("rpc server stopped", "error", err)
			}
		})
	}
	s.goRun(s.monitorLeadership)
	s.goRun(func() { s.allocBatch.run(s.ctx) })
	return s, nil
}

func (s *Server) goRun(fn func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn()
	}()
}

// RPC calls an endpoint in process (it satisfies the RPC caller contract
// used by the HTTP API and a -dev agent's client). Replies may share objects
// with the state store: the caller must copy before modifying them.
func (s *Server) RPC(ctx context.Context, method string, args, reply any) error {
	return s.rpcServer.Call(ctx, method, args, reply)
}

// State returns the current state store (a new one after a snapshot
// restore; readers holding the old one see its AbandonCh closed).
func (s *Server) State() *state.StateStore { return s.fsm.State() }

// IsLeader reports whether this server leads the cluster now.
func (s *Server) IsLeader() bool { return s.raft.IsLeader() }

// Leader returns the leader's RPC address, "" when no leader is known.
func (s *Server) Leader() string {
	if s.raft.IsLeader() && s.cfg.RPCAdvertise != "" {
		return s.cfg.RPCAdvertise
	}
	return s.raft.Leader()
}

// Raft returns the Raft node (membership changes, stats).
func (s *Server) Raft() *raft.Raft { return s.raft.Raft() }

// Shutdown stops the leader duties, the RPC server and Raft. ctx bounds the
// wait for goroutines to end.
func (s *Server) Shutdown(ctx context.Context) error {
	var errs []error
	s.shutdownOnce.Do(func() {
		s.cancel()
		s.revokeLeadership()
		if s.mux != nil {
			s.mux.Close()
		}
		s.rpcServer.Shutdown()
		s.rpcClient.Close()
		if err := s.raft.Shutdown(); err != nil {
			errs = append(errs, err)
		}
		done := make(chan struct{})
		go func() {
			s.wg.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("server shutdown: %w", ctx.Err()))
		}
	})
	return errors.Join(errs...)
}

// raftApply commits a command; not being the leader is drover.ErrNoLeader.
func (s *Server) raftApply(ctx context.Context, t fsm.MessageType, msg any) (uint64, error) {
	index, _, err := s.raft.Apply(ctx, t, msg)
	return index, err
}
