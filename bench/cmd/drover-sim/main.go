// Command drover-sim measures a drover server with thousands of simulated
// client nodes: registration time, the server CPU their idle heartbeats
// cost, the time from submitting an M-allocation mock job over HTTP until
// every allocation runs, and the server's heap.
//
// By default it starts the server (a dev-mode, server-only agent) in a child
// process, re-running itself with -serve, so that the server's CPU time and
// heap are measured apart from the simulator's. -inprocess runs the server
// in this process instead (figures then include the simulator); -rpc and
// -http point at a server started elsewhere (CPU and heap are then not
// measured).
//
//	go run ./bench/cmd/drover-sim -nodes 5000 -allocs 10000
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/drover-sh/drover/bench/scale"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drover-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		serve     = fs.Bool("serve", false, "run only the server, for a parent drover-sim (internal)")
		inprocess = fs.Bool("inprocess", false, "run the server in this process")
		rpcAddr   = fs.String("rpc", "", "RPC address of an external server")
		httpAddr  = fs.String("http", "", "HTTP address of an external server")
		profile   = fs.String("server-cpuprofile", "", "write the server process's CPU profile, from ready to exit, to this file")
		sc        scale.Scenario
		timeout   time.Duration
		verbose   bool
	)
	fs.IntVar(&sc.Nodes, "nodes", 5000, "simulated nodes")
	fs.IntVar(&sc.Allocs, "allocs", 10000, "allocations of the job")
	fs.IntVar(&sc.Groups, "groups", 1, "task groups the allocations are split over")
	fs.IntVar(&sc.TaskCPU, "task-cpu", 100, "MHz per allocation")
	fs.IntVar(&sc.TaskMemoryMB, "task-mem", 64, "MB per allocation")
	fs.Int64Var(&sc.NodeCPU, "node-cpu", 4000, "MHz per node")
	fs.Int64Var(&sc.NodeMemoryMB, "node-mem", 8192, "MB per node")
	fs.DurationVar(&sc.Idle, "idle", 30*time.Second, "window measuring idle heartbeat cost (0: skip)")
	fs.DurationVar(&sc.HeartbeatInterval, "heartbeat", 0, "heartbeat interval (0: half the server's TTL)")
	fs.IntVar(&sc.Connections, "conns", 1, "RPC connections the nodes share (nodes: one each, like real clients)")
	fs.DurationVar(&timeout, "timeout", 5*time.Minute, "give up after this long")
	fs.BoolVar(&verbose, "v", false, "log progress and each batch of allocation updates")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *serve {
		return serveChild(ctx, os.Stdin, stdout, logger, *profile)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sc.Logger = logger
	mode, cleanup, err := startServer(ctx, &sc, *inprocess, *rpcAddr, *httpAddr, *profile, logger)
	if err != nil {
		fmt.Fprintf(stderr, "drover-sim: %v\n", err)
		return 1
	}
	defer cleanup()
	res, err := scale.Run(ctx, sc)
	if err != nil {
		fmt.Fprintf(stderr, "drover-sim: %v\n", err)
		return 1
	}
	res.Stop()
	report(stdout, sc, mode, res)
	return 0
}

// startServer sets the scenario's addresses and stats source, starting the
// server as asked; cleanup stops it.
func startServer(ctx context.Context, sc *scale.Scenario, inprocess bool, rpcAddr, httpAddr, profile string, logger *slog.Logger) (string, func(), error) {
	switch {
	case rpcAddr != "" || httpAddr != "":
		if rpcAddr == "" || httpAddr == "" {
			return "", nil, errors.New("-rpc and -http go together")
		}
		sc.RPCAddr, sc.HTTPAddr = rpcAddr, httpAddr
		return "external server (server CPU and heap not measured)", func() {}, nil
	case inprocess:
		a, err := scale.StartServer(ctx, logger.With("component", "server"))
		if err != nil {
			return "", nil, err
		}
		sc.RPCAddr, sc.HTTPAddr, sc.ServerStats = a.RPCAddr(), a.HTTPAddr(), scale.SelfStats
		return "in-process server (CPU and heap include the simulator)", func() { a.Shutdown(context.Background()) }, nil
	default:
		c, err := startChild(logger, profile)
		if err != nil {
			return "", nil, err
		}
		sc.RPCAddr, sc.HTTPAddr, sc.ServerStats = c.rpc, c.http, c.stats
		return fmt.Sprintf("server in child process %d (CPU and heap are the server's alone)", c.cmd.Process.Pid), c.close, nil
	}
}

// child is a server running in a child drover-sim -serve.
type child struct {
	cmd       *exec.Cmd
	in        io.WriteCloser
	out       *bufio.Scanner
	mu        sync.Mutex
	rpc, http string
}

// startChild re-runs this binary with -serve and reads its addresses.
func startChild(logger *slog.Logger, profile string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own binary: %w", err)
	}
	c := &child{cmd: exec.Command(exe, "-serve", "-server-cpuprofile="+profile)}
	c.cmd.Stderr = os.Stderr
	if c.in, err = c.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c.out = bufio.NewScanner(out)
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server process: %w", err)
	}
	if !c.out.Scan() {
		c.close()
		return nil, fmt.Errorf("server process exited before it was ready: %v", c.out.Err())
	}
	f := strings.Fields(c.out.Text())
	if len(f) != 3 || f[0] != "ready" {
		c.close()
		return nil, fmt.Errorf("server process said %q, want \"ready <rpc> <http>\"", c.out.Text())
	}
	c.rpc, c.http = f[1], f[2]
	logger.Info("server process ready", "pid", c.cmd.Process.Pid, "rpc", c.rpc, "http", c.http)
	return c, nil
}

// stats asks the child for its figures.
func (c *child) stats() (scale.ProcStats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var st scale.ProcStats
	if _, err := io.WriteString(c.in, "stats\n"); err != nil {
		return st, fmt.Errorf("ask server process for stats: %w", err)
	}
	if !c.out.Scan() {
		return st, fmt.Errorf("server process gave no stats: %v", c.out.Err())
	}
	if err := json.Unmarshal(c.out.Bytes(), &st); err != nil {
		return st, fmt.Errorf("server process stats: %w", err)
	}
	return st, nil
}

// close ends the child by closing its stdin and waits for it.
func (c *child) close() {
	c.in.Close()
	c.cmd.Wait()
}

// serveChild runs the server and answers "stats" lines on in with one JSON
// ProcStats line each, until in closes.
func serveChild(ctx context.Context, in io.Reader, out io.Writer, logger *slog.Logger, profile string) int {
	a, err := scale.StartServer(ctx, logger.With("component", "server"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "drover-sim -serve: %v\n", err)
		return 1
	}
	defer a.Shutdown(context.Background())
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "drover-sim -serve: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "drover-sim -serve: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Fprintf(out, "ready %s %s\n", a.RPCAddr(), a.HTTPAddr())
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		if sc.Text() != "stats" {
			continue
		}
		st, err := scale.SelfStats()
		if err != nil {
			fmt.Fprintf(os.Stderr, "drover-sim -serve: %v\n", err)
			return 1
		}
		b, _ := json.Marshal(st)
		fmt.Fprintf(out, "%s\n", b)
	}
	return 0
}

// report prints the figures.
func report(w io.Writer, sc scale.Scenario, mode string, r *scale.Result) {
	mib := func(b uint64) float64 { return float64(b) / (1 << 20) }
	fmt.Fprintf(w, "drover-sim: %d nodes over %d RPC connections, %d allocations; %s\n", sc.Nodes, max(sc.Connections, 1), sc.Allocs, mode)
	fmt.Fprintf(w, "  register all nodes:        %v\n", r.Register.Round(time.Millisecond))
	if sc.ServerStats != nil && sc.Idle > 0 {
		fmt.Fprintf(w, "  idle heartbeats:           %.0f/s, server CPU %v over %v = %.1f%% of one core\n",
			r.IdleHBRate, r.IdleCPU.Round(time.Millisecond), sc.Idle, 100*r.IdleCores)
	}
	fmt.Fprintf(w, "  submit job (HTTP):         %v\n", r.Submit.Round(time.Millisecond))
	fmt.Fprintf(w, "  submission to all placed:  %v\n", r.AllPlaced.Round(time.Millisecond))
	if !r.Sim.FirstRunning.IsZero() {
		fmt.Fprintf(w, "  nodes saw allocations:     first at %v, last at %v\n",
			r.Sim.FirstRunning.Sub(r.Submitted).Round(time.Millisecond), r.Sim.LastRunning.Sub(r.Submitted).Round(time.Millisecond))
	}
	fmt.Fprintf(w, "  submission to all running: %v\n", r.AllRunning.Round(time.Millisecond))
	fmt.Fprintf(w, "  this process's CPU then:   %v\n", r.LocalCPU.Round(time.Millisecond))
	if sc.ServerStats != nil {
		fmt.Fprintf(w, "  server CPU until running:  %v\n", r.RunCPU.Round(time.Millisecond))
		fmt.Fprintf(w, "  server heap in use:        %.0f MiB (runtime Sys %.0f MiB, %d goroutines)\n",
			mib(r.Server.HeapInuse), mib(r.Server.Sys), r.Server.Goroutines)
	}
	fmt.Fprintf(w, "  simulator: %+v\n", r.Sim)
}
