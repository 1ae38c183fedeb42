package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/drover-sh/drover/internal/agent"
	"github.com/drover-sh/drover/internal/config"
)

const agentHelp = `Usage: drover agent [options]

  Runs a drover agent: a server (holds the cluster state, schedules), a
  client (runs allocations on this machine), or both. The agent logs to
  stderr (text, or JSON with -log-json) and never needs a terminal, so it runs
  as is under systemd, s6 or runit. SIGINT or SIGTERM shut it down cleanly: a
  -dev agent stops its tasks; any other agent leaves them running for the next
  agent on the same data_dir to reattach to. SIGHUP is logged and otherwise
  ignored (there is no configuration reload yet), and tasks always start with
  SIGHUP at its default, even when the agent was started with it ignored.

  Configuration comes from HCL files (-config, repeatable; a directory means
  its *.hcl files in name order), then flags; later values win. See
  docs/agent.md for every key.

Options:

  -dev               Server and client in one process, state in memory, bound
                     to 127.0.0.1, raw_exec and mock drivers enabled.
  -config <path>     A config file or directory; repeatable.
  -data-dir <path>   Where the server's Raft data and the client's state live.
  -bind <ip>         Address every listener binds to.
  -region <name>     Region (default "global").
  -dc <name>         Datacenter (default "dc1").
  -node <name>       Name of this agent and its node (default: hostname).
  -server            Run the server role.
  -client            Run the client role.
  -servers <list>    Comma-separated server RPC addresses for a client.
  -log-level <lvl>   trace, debug, info, warn or error (default info).
  -log-json          Log JSON lines.

Example:

  drover agent -dev
  drover agent -config /etc/drover.d
`

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// agentCommand runs `drover agent`.
func agentCommand(ctx context.Context, env *Env, args []string) int {
	start := time.Now()
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		dev, isServer, isClient, logJSON                   bool
		configs                                            stringList
		dataDir, bind, region, dc, node, servers, logLevel string
	)
	fs.BoolVar(&dev, "dev", false, "")
	fs.Var(&configs, "config", "")
	fs.StringVar(&dataDir, "data-dir", "", "")
	fs.StringVar(&bind, "bind", "", "")
	fs.StringVar(&region, "region", "", "")
	fs.StringVar(&dc, "dc", "", "")
	fs.StringVar(&node, "node", "", "")
	fs.BoolVar(&isServer, "server", false, "")
	fs.BoolVar(&isClient, "client", false, "")
	fs.StringVar(&servers, "servers", "", "")
	fs.StringVar(&logLevel, "log-level", "", "")
	fs.BoolVar(&logJSON, "log-json", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stdout, agentHelp)
			return 0
		}
		fmt.Fprintf(env.Stderr, "drover agent: %v\n\n%s", err, agentHelp)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "drover agent: unexpected argument %q\n\n%s", fs.Arg(0), agentHelp)
		return 2
	}

	cfg := config.Default()
	if dev {
		cfg = config.DevConfig()
	}
	if err := config.LoadPaths(cfg, configs); err != nil {
		fmt.Fprintf(env.Stderr, "drover agent: %v\n", err)
		return 1
	}
	flagCfg := &config.Config{DataDir: dataDir, BindAddr: bind, Region: region, Datacenter: dc, Name: node,
		LogLevel: logLevel, LogJSON: logJSON, Server: &config.Server{Enabled: isServer}, Client: &config.Client{Enabled: isClient}}
	if servers != "" {
		flagCfg.Client.Servers = strings.Split(servers, ",")
	}
	cfg.Merge(flagCfg)
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(env.Stderr, "drover agent: %v\n", err)
		return 1
	}

	logger := agent.NewLogger(env.Stderr, cfg.LogLevel, cfg.LogJSON)
	for _, w := range cfg.Warnings {
		logger.Warn("config: " + w)
	}
	stopHangup := handleHangup(logger)
	defer stopHangup()
	a, err := agent.New(cfg, Version, logger)
	if err != nil {
		fmt.Fprintf(env.Stderr, "drover agent: %v\n", err)
		return 1
	}
	a.Start()
	readyCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = a.WaitReady(readyCtx)
	cancel()
	if err != nil && ctx.Err() == nil {
		logger.Warn("agent not ready yet; serving anyway", "error", err)
	}
	printBanner(env.Stdout, env, cfg, a, time.Since(start))
	if err := a.Run(ctx); err != nil {
		logger.Error("agent stopped with an error", "error", err)
		return 1
	}
	logger.Info("agent stopped")
	return 0
}

// printBanner tells the operator where the agent is and what to try next.
func printBanner(w io.Writer, env *Env, cfg *config.Config, a *agent.Agent, took time.Duration) {
	roles := []string{}
	if a.Server() != nil {
		roles = append(roles, "server")
	}
	if a.Client() != nil {
		roles = append(roles, "client")
	}
	mode := ""
	if cfg.DevMode {
		mode = " in dev mode (state in memory, raw_exec enabled)"
	}
	dataDir := cfg.DataDir
	if cfg.DevMode {
		dataDir = "(in memory)"
	}
	fmt.Fprintf(w, "==> drover agent %s started%s, ready in %s\n", strings.Join(roles, " + "), mode, took.Round(time.Millisecond))
	fmt.Fprintf(w, "    HTTP API: http://%s\n", a.HTTPAddr())
	if addr := a.RPCAddr(); addr != "" {
		fmt.Fprintf(w, "    RPC:      %s\n", addr)
	}
	if c := a.Client(); c != nil {
		fmt.Fprintf(w, "    Node:     %s (%s)\n", c.Node().Name, c.NodeID())
	}
	fmt.Fprintf(w, "    Region:   %s, datacenter %s\n", cfg.Region, cfg.Datacenter)
	fmt.Fprintf(w, "    Data dir: %s\n", dataDir)
	addrHint := ""
	if host := a.HTTPAddr(); host != "127.0.0.1:4646" {
		addrHint = fmt.Sprintf("%s=http://%s ", env.addrVar(), host)
	}
	fmt.Fprintf(w, "==> Try: %s%s job run examples/hello.hcl\n", addrHint, env.prog())
	fmt.Fprintf(w, "         %s%s node status\n", addrHint, env.prog())
	fmt.Fprintln(w, "==> Logs follow on stderr.")
	if f, ok := w.(*os.File); ok {
		f.Sync()
	}
}

// handleHangup makes the agent handle SIGHUP for as long as it runs, until
// the returned function is called. An agent started with SIGHUP ignored
// (under nohup, or by an init system that ignores it) would otherwise pass
// the ignored disposition on to every task it starts, and `drover alloc
// signal -s HUP` would reach nothing; a handled signal is reset to its
// default in a new program. The agent keeps running on SIGHUP: there is no
// configuration reload yet, and it says so.
func handleHangup(logger *slog.Logger) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range hup {
			logger.Info("SIGHUP received: configuration reload is not supported yet; the agent keeps running")
		}
	}()
	return func() {
		signal.Stop(hup)
		close(hup)
		<-done
	}
}
