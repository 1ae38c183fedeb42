// Package agent is the composition root: from a validated configuration it
// builds the server, the client, the drivers, the internal RPC listener and
// the HTTP API, runs them, and shuts them down in order. It owns the data
// directory lock, so two agents never share one data_dir.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client"
	"github.com/drover-sh/drover/internal/config"
	"github.com/drover-sh/drover/internal/driver"
	execdriver "github.com/drover-sh/drover/internal/driver/exec"
	"github.com/drover-sh/drover/internal/driver/mock"
	"github.com/drover-sh/drover/internal/driver/rawexec"
	"github.com/drover-sh/drover/internal/httpapi"
	"github.com/drover-sh/drover/internal/rpc"
	"github.com/drover-sh/drover/internal/server"
)

// Agent is a running drover agent: a server, a client, or both, and the
// HTTP API in front of them.
type Agent struct {
	cfg     *config.Config
	version string
	logger  *slog.Logger

	lock      *dataDirLock
	httpLn    net.Listener
	rpcLn     net.Listener
	server    *server.Server
	client    *client.Client
	rpcClient *rpc.Client
	httpSrv   *http.Server
	// httpCancel ends the context every HTTP request's context derives
	// from: at shutdown, what outlasts the grace (followed logs, exec
	// sessions, blocking queries) is ended rather than waited for.
	httpCancel context.CancelFunc

	clientCancel context.CancelFunc
	clientDone   chan error
	httpDone     chan error
}

// RPCer calls the internal RPC: the in-process server, or remote servers.
type RPCer interface {
	RPC(ctx context.Context, method string, args, reply any) error
}

// New builds an agent from a validated configuration and starts its
// listeners and its server; Run starts serving. On error everything started
// so far is released, so nothing is left half-open.
func New(cfg *config.Config, version string, logger *slog.Logger) (_ *Agent, err error) {
	if cfg.Client.Enabled {
		// Host volumes before anything starts: a mistyped path fails the
		// start instead of leaving jobs that can never be placed.
		if err := config.CheckHostVolumePaths(cfg.Client.HostVolumes); err != nil {
			return nil, err
		}
		if _, err := cfg.Client.ArtifactLimits(); err != nil {
			return nil, err
		}
	}
	a := &Agent{cfg: cfg, version: version, logger: logger}
	defer func() {
		if err != nil {
			a.close(context.Background())
		}
	}()
	if !cfg.DevMode {
		if a.lock, err = lockDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	// Listeners first: a taken port fails the start before any state is
	// touched.
	if a.httpLn, err = listen("http", cfg.Addr(cfg.Addresses.HTTP), cfg.Ports.HTTP); err != nil {
		return nil, err
	}
	if cfg.Server.Enabled {
		if a.rpcLn, err = listen("rpc", cfg.Addr(cfg.Addresses.RPC), cfg.Ports.RPC); err != nil {
			return nil, err
		}
		if a.server, err = server.New(a.serverConfig()); err != nil {
			return nil, fmt.Errorf("start server: %w", err)
		}
	}
	var rpcer RPCer
	if a.server != nil {
		rpcer = a.server
	} else {
		a.rpcClient = rpc.NewClient(logger, rpc.ClientConfig{Servers: cfg.Client.Servers})
		rpcer = a.rpcClient
	}
	if cfg.Client.Enabled {
		ds, err := a.drivers()
		if err != nil {
			return nil, fmt.Errorf("start client: %w", err)
		}
		if a.client, err = client.New(a.clientConfig(rpcer, ds)); err != nil {
			return nil, fmt.Errorf("start client: %w", err)
		}
	}
	hcfg := httpapi.Config{
		RPC:    rpcer,
		Self:   a.self,
		Logger: logger.With("component", "http"),
		Region: cfg.Region,
	}
	if a.client != nil {
		hcfg.Client = a.client
	}
	// No WriteTimeout: blocking queries and followed logs stream for long.
	baseCtx, httpCancel := context.WithCancel(context.Background())
	a.httpCancel = httpCancel
	a.httpSrv = &http.Server{
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
		Handler:           httpapi.New(hcfg),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.With("component", "http").Handler(), slog.LevelWarn),
	}
	return a, nil
}

func (a *Agent) serverConfig() server.Config {
	cfg := a.cfg
	sc := server.Config{
		NodeName:   a.nodeName(),
		Region:     cfg.Region,
		Datacenter: cfg.Datacenter,
		Listener:   a.rpcLn,
		Bootstrap:  true,
		Logger:     a.logger,
		FastRaft:   cfg.DevMode,
	}
	if !cfg.DevMode {
		sc.DataDir = filepath.Join(cfg.DataDir, "server")
		if cfg.Server.DataDir != "" {
			sc.DataDir = cfg.Server.DataDir
		}
	}
	if cfg.Server.NumSchedulers != nil {
		sc.NumSchedulers = *cfg.Server.NumSchedulers
	}
	sc.HeartbeatGrace = config.Duration(cfg.Server.HeartbeatGrace, 0)
	sc.HeartbeatTTL = config.Duration(cfg.Server.MinHeartbeatTTL, 0)
	sc.MaxHeartbeatsPerSecond = cfg.Server.MaxHeartbeatsPerSecond
	return sc
}

func (a *Agent) clientConfig(rpcer RPCer, drivers *driver.Registry) client.Config {
	cfg := a.cfg
	cc := client.Config{
		NodeName:         a.nodeName(),
		Datacenter:       cfg.Datacenter,
		Region:           cfg.Region,
		NodeClass:        cfg.Client.NodeClass,
		NodePool:         cfg.Client.NodePool,
		Meta:             cfg.Client.Meta,
		NetworkInterface: cfg.Client.NetworkInterface,
		HTTPAddr:         a.httpLn.Addr().String(),
		Drivers:          drivers,
		RPC:              rpcer,
		Logger:           a.logger,
		DevMode:          cfg.DevMode,
		Version:          a.version,
		MinDynamicPort:   cfg.Client.MinDynamicPort,
		MaxDynamicPort:   cfg.Client.MaxDynamicPort,
		HostVolumes:      cfg.Client.NodeHostVolumes(),
		GC: client.GCConfig{
			Interval:            config.Duration(cfg.Client.GCInterval, 0),
			MaxAllocs:           cfg.Client.GCMaxAllocs,
			DiskUsageThreshold:  cfg.Client.GCDiskUsageThreshold,
			InodeUsageThreshold: cfg.Client.GCInodeUsageThreshold,
			ParallelDestroys:    cfg.Client.GCParallelDestroys,
		},
		MaxKillTimeout: config.Duration(cfg.Client.MaxKillTimeout, 0),
	}
	if l, err := cfg.Client.ArtifactLimits(); err == nil { // New has refused a bad artifact block
		cc.ArtifactLimits = &l
	}
	if cfg.DevMode {
		cc.IP = "127.0.0.1"
	} else {
		cc.StateDir = filepath.Join(cfg.DataDir, "client")
		cc.AllocDir = filepath.Join(cfg.DataDir, "alloc")
	}
	if cfg.Client.StateDir != "" {
		cc.StateDir = cfg.Client.StateDir
	}
	if cfg.Client.AllocDir != "" {
		cc.AllocDir = cfg.Client.AllocDir
	}
	if r := cfg.Client.Reserved; r != nil {
		cc.Reserved = &drover.NodeReservedResources{
			Cpu:      drover.NodeCpuResources{CpuShares: int64(r.CPU)},
			Memory:   drover.NodeMemoryResources{MemoryMB: int64(r.Memory)},
			Disk:     drover.NodeDiskResources{DiskMB: int64(r.Disk)},
			Networks: drover.NodeReservedNetworkResources{ReservedHostPorts: r.ReservedPorts},
		}
	}
	return cc
}

// drivers builds the drivers this agent offers. raw_exec runs tasks without
// isolation and is off unless enabled (it is in -dev); the mock driver runs
// simulated tasks for tests and scale runs, in -dev or when enabled. exec
// isolates its tasks and is on unless disabled; it fingerprints as
// undetected where it cannot isolate (not root, no cgroups). A bad exec
// config stops the agent from starting.
func (a *Agent) drivers() (*driver.Registry, error) {
	enabled := func(name string) bool {
		v, _ := a.cfg.PluginConfig(name)["enabled"].(bool)
		return v
	}
	ds := []driver.Driver{rawexec.New(a.logger, rawexec.Config{Enabled: enabled("raw_exec")})}
	if a.cfg.DevMode || enabled("mock") {
		ds = append(ds, mock.New(a.logger))
	}
	execCfg, err := execdriver.ConfigFromPlugin(a.cfg.PluginConfig(execdriver.Name))
	if err != nil {
		return nil, err
	}
	if execCfg.ChrootEnv == nil && a.cfg.Client != nil {
		execCfg.ChrootEnv = a.cfg.Client.ChrootEnv
	}
	ex, err := execdriver.New(a.logger, execCfg)
	if err != nil {
		return nil, err
	}
	ds = append(ds, ex)
	return driver.NewRegistry(ds...), nil
}

func (a *Agent) nodeName() string {
	if a.cfg.Name != "" {
		return a.cfg.Name
	}
	h, err := os.Hostname()
	if err != nil {
		return "drover"
	}
	return h
}

// HTTPAddr is the address the HTTP API listens on.
func (a *Agent) HTTPAddr() string { return a.httpLn.Addr().String() }

// RPCAddr is the address of the internal RPC, or "" on a client-only agent.
func (a *Agent) RPCAddr() string {
	if a.rpcLn == nil {
		return ""
	}
	return a.rpcLn.Addr().String()
}

// Client returns the agent's client, or nil.
func (a *Agent) Client() *client.Client { return a.client }

// Server returns the agent's server, or nil.
func (a *Agent) Server() *server.Server { return a.server }

// Start serves the HTTP API and runs the client in the background. Call
// Shutdown to stop; Done reports a component that failed on its own.
func (a *Agent) Start() {
	if a.httpDone != nil {
		return
	}
	a.httpDone = make(chan error, 1)
	go func() {
		err := a.httpSrv.Serve(a.httpLn)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		a.httpDone <- err
	}()
	if a.client != nil {
		a.clientDone = make(chan error, 1)
		ctx, cancel := context.WithCancel(context.Background())
		a.clientCancel = cancel
		go func() { a.clientDone <- a.client.Run(ctx) }()
	}
}

// Run starts the agent (if Start was not called) and serves until ctx ends (SIGINT/SIGTERM) or a
// component fails, then shuts down. It returns nil after a clean shutdown.
func (a *Agent) Run(ctx context.Context) error {
	a.Start()
	var runErr error
	select {
	case <-ctx.Done():
		a.logger.Info("shutting down", "reason", context.Cause(ctx))
	case err := <-a.httpDone:
		runErr = fmt.Errorf("http server stopped: %w", err)
		a.httpDone <- err
	case err := <-a.clientDone:
		runErr = fmt.Errorf("client stopped: %w", err)
		a.clientDone <- err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Shutdown(sctx); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

// httpShutdownGrace is how long Shutdown lets HTTP requests under way
// finish before it ends the ones still open.
const httpShutdownGrace = 2 * time.Second

// Shutdown stops the HTTP API (requests under way get httpShutdownGrace,
// then open streams and blocking queries are ended), then the client (in
// -dev it stops its tasks; otherwise tasks keep running for the next agent
// to reattach), then the server, and releases the data directory.
func (a *Agent) Shutdown(ctx context.Context) error {
	return a.close(ctx)
}

func (a *Agent) close(ctx context.Context) error {
	var errs []error
	if a.httpSrv != nil {
		// Requests under way get a short grace to finish; streams and
		// blocking queries, which could hold the shutdown until its
		// deadline, are then ended through their context.
		grace, cancel := context.WithTimeout(ctx, httpShutdownGrace)
		err := a.httpSrv.Shutdown(grace)
		cancel()
		if err != nil && ctx.Err() == nil {
			a.httpCancel()
			err = a.httpSrv.Shutdown(ctx)
		}
		a.httpCancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("http: %w", err))
		}
	} else if a.httpLn != nil {
		a.httpLn.Close()
	}
	if a.client != nil {
		if err := a.client.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("client: %w", err))
		}
		if a.clientCancel != nil {
			a.clientCancel()
			<-a.clientDone
		}
	}
	if a.server != nil {
		if err := a.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("server: %w", err))
		}
	} else if a.rpcLn != nil {
		a.rpcLn.Close()
	}
	if a.rpcClient != nil {
		a.rpcClient.Close()
	}
	a.lock.release()
	return errors.Join(errs...)
}

// self answers /v1/agent/self.
func (a *Agent) self() httpapi.AgentSelf {
	host, port, _ := net.SplitHostPort(a.HTTPAddr())
	p, _ := strconv.Atoi(port)
	tags := map[string]string{"region": a.cfg.Region, "dc": a.cfg.Datacenter, "build": a.version}
	if a.server != nil {
		tags["role"] = "server"
	}
	stats := map[string]map[string]string{
		"runtime": {"arch": runtime.GOARCH, "os": runtime.GOOS, "version": runtime.Version(),
			"goroutines": strconv.Itoa(runtime.NumGoroutine()), "cpu_count": strconv.Itoa(runtime.NumCPU())},
		"agent": {"server": strconv.FormatBool(a.server != nil), "client": strconv.FormatBool(a.client != nil)},
	}
	if a.client != nil {
		stats["client"] = map[string]string{"node_id": a.client.NodeID()}
	}
	if a.server != nil {
		stats["raft"] = map[string]string{"leader": strconv.FormatBool(a.server.IsLeader()), "leader_addr": a.server.Leader()}
	}
	return httpapi.AgentSelf{
		Config: map[string]any{
			"Region": a.cfg.Region, "Datacenter": a.cfg.Datacenter, "NodeName": a.nodeName(),
			"DataDir": a.cfg.DataDir, "DevMode": a.cfg.DevMode, "BindAddr": a.cfg.BindAddr, "Version": a.version,
			"Ports": map[string]int{"HTTP": a.cfg.Ports.HTTP, "RPC": a.cfg.Ports.RPC},
		},
		Member: httpapi.AgentMember{Name: a.nodeName(), Addr: host, Port: p, Tags: tags},
		Stats:  stats,
	}
}

// WaitReady waits until the agent can take work: its server (if any) leads
// or knows a leader, and its client's node (if any) is registered and ready.
func (a *Agent) WaitReady(ctx context.Context) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if a.ready(ctx) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("agent not ready: %w", context.Cause(ctx))
		case <-tick.C:
		}
	}
}

func (a *Agent) ready(ctx context.Context) bool {
	if a.server != nil && a.server.Leader() == "" {
		return false
	}
	if a.client == nil {
		return true
	}
	var rpcer RPCer = a.rpcClient
	if a.server != nil {
		rpcer = a.server
	}
	var resp drover.SingleNodeResponse
	req := &drover.NodeSpecificRequest{NodeID: a.client.NodeID(), QueryOptions: drover.QueryOptions{AllowStale: true}}
	if err := rpcer.RPC(ctx, drover.MethodNodeGetNode, req, &resp); err != nil {
		return false
	}
	return resp.Node != nil && resp.Node.Status == drover.NodeStatusReady
}
