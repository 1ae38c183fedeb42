// Package config is the agent's configuration: the HCL files an operator
// writes (in the shape of Nomad's agent config), the defaults, the merge of
// files and flags, and validation. The comments on the struct fields are the
// reference documentation of each key.
//
// The schema knows every key an operator may write from the start: a key
// whose feature drover has not built yet is accepted and reported as a
// warning, never a parse error. A key nobody knows is an error with its
// file:line:col and a suggestion.
package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"net"
	"strings"
	"time"
)

// Config is an agent's whole configuration.
type Config struct {
	// Region the agent belongs to. Default "global".
	Region string `hcl:"region,optional"`
	// Datacenter of the agent. Default "dc1".
	Datacenter string `hcl:"datacenter,optional"`
	// Name of the agent (and of the node it registers). Default: the hostname.
	Name string `hcl:"name,optional"`
	// DataDir holds the server's Raft data and the client's state. Required
	// unless the agent runs with -dev (which keeps state in memory).
	DataDir string `hcl:"data_dir,optional"`
	// BindAddr is the address every listener binds to. Default "0.0.0.0";
	// "127.0.0.1" in -dev.
	BindAddr string `hcl:"bind_addr,optional"`
	// LogLevel is one of "trace", "debug", "info", "warn", "error". Default "info".
	LogLevel string `hcl:"log_level,optional"`
	// LogJSON writes logs as JSON lines instead of text. Logs go to stderr
	// and never need a terminal.
	LogJSON bool `hcl:"log_json,optional"`

	// Ports the agent listens on.
	Ports *Ports `hcl:"ports,block"`
	// Addresses overrides BindAddr per listener.
	Addresses *Addresses `hcl:"addresses,block"`
	// Server configures the server role.
	Server *Server `hcl:"server,block"`
	// Client configures the client role.
	Client *Client `hcl:"client,block"`
	// Plugins configure drivers: plugin "raw_exec" { config { enabled = true } }.
	Plugins []*Plugin `hcl:"plugin,block"`

	// DevMode is set by -dev: server and client in one process, state in
	// memory, bound to 127.0.0.1, raw_exec enabled.
	DevMode bool

	// Rest holds the top-level keys that are known but not built yet.
	Rest hcl.Body `hcl:",remain"`

	// Warnings collects keys that were accepted but are not built yet.
	Warnings []string
}

// Ports are the agent's listening ports.
type Ports struct {
	// HTTP is the Nomad-shaped HTTP API. Default 4646.
	HTTP int `hcl:"http,optional"`
	// RPC carries Raft and the internal RPC between agents. Default 4647.
	RPC int `hcl:"rpc,optional"`
	// Serf is the gossip port between servers. Default 4648.
	Serf int `hcl:"serf,optional"`
	// DNS answers service lookups (UDP and TCP). Default 8600.
	DNS int `hcl:"dns,optional"`
	// ConsulHTTP is the Consul-shaped HTTP API. Default 8500.
	ConsulHTTP int `hcl:"consul_http,optional"`
}

// Addresses overrides the bind address per listener.
type Addresses struct {
	HTTP string `hcl:"http,optional"`
	RPC  string `hcl:"rpc,optional"`
	Serf string `hcl:"serf,optional"`
	DNS  string `hcl:"dns,optional"`
}

// Server configures the server role.
type Server struct {
	// Enabled makes this agent a server.
	Enabled bool `hcl:"enabled,optional"`
	// BootstrapExpect is the number of servers to wait for before electing a
	// leader. drover runs single-server clusters for now: 1.
	BootstrapExpect int `hcl:"bootstrap_expect,optional"`
	// NumSchedulers is the number of scheduler workers. Default: CPU cores.
	NumSchedulers *int `hcl:"num_schedulers,optional"`
	// HeartbeatGrace is added to a node's heartbeat TTL before it is marked
	// down, e.g. "10s".
	HeartbeatGrace string `hcl:"heartbeat_grace,optional"`
	// MinHeartbeatTTL is the shortest TTL a client is given, e.g. "10s".
	MinHeartbeatTTL string `hcl:"min_heartbeat_ttl,optional"`
	// MaxHeartbeatsPerSecond bounds the heartbeats all clients together
	// send; clients of a large cluster get longer TTLs. Default 50.
	MaxHeartbeatsPerSecond float64 `hcl:"max_heartbeats_per_second,optional"`
	// DataDir overrides data_dir for the server's state.
	DataDir string `hcl:"data_dir,optional"`

	Rest hcl.Body `hcl:",remain"`
}

// Client configures the client role.
type Client struct {
	// Enabled makes this agent a client that runs allocations.
	Enabled bool `hcl:"enabled,optional"`
	// Servers are the RPC addresses of servers, "10.0.0.1:4647". Not needed
	// when the agent is also a server.
	Servers []string `hcl:"servers,optional"`
	// StateDir overrides data_dir/client.
	StateDir string `hcl:"state_dir,optional"`
	// AllocDir overrides data_dir/alloc.
	AllocDir string `hcl:"alloc_dir,optional"`
	// NodeClass groups nodes for constraints.
	NodeClass string `hcl:"node_class,optional"`
	// NodePool the node belongs to. Default "default".
	NodePool string `hcl:"node_pool,optional"`
	// Meta is free-form node metadata, usable in constraints as ${meta.key}.
	// Written as meta { key = "v" } or meta = { key = "v" }.
	Meta map[string]string
	// NetworkInterface whose address the node advertises. Default: the
	// interface of the default route.
	NetworkInterface string `hcl:"network_interface,optional"`
	// MinDynamicPort and MaxDynamicPort bound the dynamic port range.
	MinDynamicPort int `hcl:"min_dynamic_port,optional"`
	MaxDynamicPort int `hcl:"max_dynamic_port,optional"`
	// Reserved resources are kept back from allocations.
	Reserved *Reserved `hcl:"reserved,block"`
	// HostVolumes are host directories offered to jobs' host volumes:
	// host_volume "certs" { path = "/etc/ssl/certs" read_only = true }.
	HostVolumes []*HostVolume `hcl:"host_volume,block"`
	// GCInterval is how often terminal allocations are garbage-collected,
	// a duration ("1m", the default).
	GCInterval string `hcl:"gc_interval,optional"`
	// GCMaxAllocs: while the client holds more allocations than this
	// (running ones count), the oldest terminal ones are removed. Default 50.
	GCMaxAllocs int `hcl:"gc_max_allocs,optional"`
	// GCDiskUsageThreshold and GCInodeUsageThreshold are the percentages of
	// the alloc directory's disk space and inodes in use above which the
	// oldest terminal allocations are removed. Defaults 80 and 70.
	GCDiskUsageThreshold  float64 `hcl:"gc_disk_usage_threshold,optional"`
	GCInodeUsageThreshold float64 `hcl:"gc_inode_usage_threshold,optional"`
	// GCParallelDestroys bounds how many terminal allocations are removed
	// at once. Default 2.
	GCParallelDestroys int `hcl:"gc_parallel_destroys,optional"`
	// MaxKillTimeout caps every task's kill_timeout on this client, a
	// duration ("30s", the default).
	MaxKillTimeout string `hcl:"max_kill_timeout,optional"`
	// ChrootEnv is the host filesystem an exec task sees, read-only: host
	// path = path in the task, chroot_env = { "/bin" = "/bin" }. Unset means
	// the exec driver's default list; plugin "exec"'s chroot_env wins.
	ChrootEnv map[string]string `hcl:"chroot_env,optional"`
	// Artifact bounds what artifact blocks may fetch:
	// artifact { decompression_size_limit = "10GB" ... }.
	Artifact *Artifact `hcl:"artifact,block"`

	Rest hcl.Body `hcl:",remain"`
}

// Reserved resources on a client.
type Reserved struct {
	CPU           int    `hcl:"cpu,optional"`            // MHz
	Memory        int    `hcl:"memory,optional"`         // MB
	Disk          int    `hcl:"disk,optional"`           // MB
	ReservedPorts string `hcl:"reserved_ports,optional"` // "22,80,8000-8100"
}

// Plugin configures one driver.
type Plugin struct {
	Name   string         `hcl:"name,label"`
	Config map[string]any // from the plugin's config { ... } block
	Body   hcl.Body       `hcl:",remain"`
}

// PluginConfig returns the config of the named plugin, or nil.
func (c *Config) PluginConfig(name string) map[string]any {
	for _, p := range c.Plugins {
		if p.Name == name {
			return p.Config
		}
	}
	return nil
}

// Default returns the configuration an agent has before files and flags.
func Default() *Config {
	return &Config{
		Region:     "global",
		Datacenter: "dc1",
		BindAddr:   "0.0.0.0",
		LogLevel:   "info",
		Ports:      &Ports{HTTP: 4646, RPC: 4647, Serf: 4648, DNS: 8600, ConsulHTTP: 8500},
		Addresses:  &Addresses{},
		Server:     &Server{},
		Client:     &Client{},
	}
}

// DevConfig returns the -dev configuration: server and client in one
// process, state in memory, bound to 127.0.0.1, raw_exec enabled.
func DevConfig() *Config {
	c := Default()
	c.DevMode = true
	c.BindAddr = "127.0.0.1"
	c.LogLevel = "info"
	c.Server.Enabled = true
	c.Server.BootstrapExpect = 1
	c.Client.Enabled = true
	c.Plugins = []*Plugin{{Name: "raw_exec", Config: map[string]any{"enabled": true}}}
	return c
}

// Merge overlays o onto c: every key o sets wins. Lists of plugins and host
// volumes merge by name; meta maps merge by key.
func (c *Config) Merge(o *Config) {
	setS := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	setI := func(dst *int, v int) {
		if v != 0 {
			*dst = v
		}
	}
	setS(&c.Region, o.Region)
	setS(&c.Datacenter, o.Datacenter)
	setS(&c.Name, o.Name)
	setS(&c.DataDir, o.DataDir)
	setS(&c.BindAddr, o.BindAddr)
	setS(&c.LogLevel, o.LogLevel)
	c.LogJSON = c.LogJSON || o.LogJSON
	if p := o.Ports; p != nil {
		setI(&c.Ports.HTTP, p.HTTP)
		setI(&c.Ports.RPC, p.RPC)
		setI(&c.Ports.Serf, p.Serf)
		setI(&c.Ports.DNS, p.DNS)
		setI(&c.Ports.ConsulHTTP, p.ConsulHTTP)
	}
	if a := o.Addresses; a != nil {
		setS(&c.Addresses.HTTP, a.HTTP)
		setS(&c.Addresses.RPC, a.RPC)
		setS(&c.Addresses.Serf, a.Serf)
		setS(&c.Addresses.DNS, a.DNS)
	}
	if s := o.Server; s != nil {
		c.Server.Enabled = c.Server.Enabled || s.Enabled
		setI(&c.Server.BootstrapExpect, s.BootstrapExpect)
		if s.NumSchedulers != nil {
			c.Server.NumSchedulers = s.NumSchedulers
		}
		setS(&c.Server.HeartbeatGrace, s.HeartbeatGrace)
		setS(&c.Server.MinHeartbeatTTL, s.MinHeartbeatTTL)
		if s.MaxHeartbeatsPerSecond != 0 {
			c.Server.MaxHeartbeatsPerSecond = s.MaxHeartbeatsPerSecond
		}
		setS(&c.Server.DataDir, s.DataDir)
	}
	if cl := o.Client; cl != nil {
		c.Client.Enabled = c.Client.Enabled || cl.Enabled
		if len(cl.Servers) > 0 {
			c.Client.Servers = cl.Servers
		}
		setS(&c.Client.StateDir, cl.StateDir)
		setS(&c.Client.AllocDir, cl.AllocDir)
		setS(&c.Client.NodeClass, cl.NodeClass)
		setS(&c.Client.NodePool, cl.NodePool)
		setS(&c.Client.NetworkInterface, cl.NetworkInterface)
		setI(&c.Client.MinDynamicPort, cl.MinDynamicPort)
		setI(&c.Client.MaxDynamicPort, cl.MaxDynamicPort)
		setS(&c.Client.GCInterval, cl.GCInterval)
		setI(&c.Client.GCMaxAllocs, cl.GCMaxAllocs)
		setI(&c.Client.GCParallelDestroys, cl.GCParallelDestroys)
		setS(&c.Client.MaxKillTimeout, cl.MaxKillTimeout)
		if cl.GCDiskUsageThreshold != 0 {
			c.Client.GCDiskUsageThreshold = cl.GCDiskUsageThreshold
		}
		if cl.GCInodeUsageThreshold != 0 {
			c.Client.GCInodeUsageThreshold = cl.GCInodeUsageThreshold
		}
		for k, v := range cl.Meta {
			if c.Client.Meta == nil {
				c.Client.Meta = map[string]string{}
			}
			c.Client.Meta[k] = v
		}
		if cl.Reserved != nil {
			c.Client.Reserved = cl.Reserved
		}
		c.Client.mergeHostVolumes(cl.HostVolumes)
		if cl.ChrootEnv != nil {
			c.Client.ChrootEnv = cl.ChrootEnv
		}
		if cl.Artifact != nil {
			c.Client.Artifact = cl.Artifact
		}
	}
	for _, p := range o.Plugins {
		replaced := false
		for i, q := range c.Plugins {
			if q.Name == p.Name {
				c.Plugins[i] = p
				replaced = true
			}
		}
		if !replaced {
			c.Plugins = append(c.Plugins, p)
		}
	}
	c.Warnings = append(c.Warnings, o.Warnings...)
}

// Validate checks the merged configuration.
func (c *Config) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if !c.Server.Enabled && !c.Client.Enabled {
		add("neither server nor client is enabled: set server { enabled = true } and/or client { enabled = true }, or use -dev")
	}
	if !c.DevMode && c.DataDir == "" {
		add("data_dir is required (it holds the server's Raft data and the client's state); -dev keeps state in memory instead")
	}
	if c.Client.Enabled && !c.Server.Enabled && len(c.Client.Servers) == 0 {
		add("client.servers is empty: a client-only agent needs the RPC addresses of its servers, e.g. servers = [\"10.0.0.1:4647\"]")
	}
	for _, s := range c.Client.Servers {
		if _, _, err := net.SplitHostPort(s); err != nil {
			add("client.servers: %q is not host:port: %v", s, err)
		}
	}
	for name, p := range map[string]int{"http": c.Ports.HTTP, "rpc": c.Ports.RPC, "serf": c.Ports.Serf, "dns": c.Ports.DNS, "consul_http": c.Ports.ConsulHTTP} {
		if p < 0 || p > 65535 {
			add("ports.%s = %d is out of range 0-65535", name, p)
		}
	}
	if net.ParseIP(c.BindAddr) == nil {
		add("bind_addr %q is not an IP address", c.BindAddr)
	}
	switch strings.ToLower(c.LogLevel) {
	case "trace", "debug", "info", "warn", "error":
	default:
		add("log_level %q is unknown: expected trace, debug, info, warn or error", c.LogLevel)
	}
	for _, d := range []struct{ key, v string }{{"server.heartbeat_grace", c.Server.HeartbeatGrace}, {"server.min_heartbeat_ttl", c.Server.MinHeartbeatTTL}} {
		if d.v != "" {
			if _, err := time.ParseDuration(d.v); err != nil {
				add("%s: %v", d.key, err)
			}
		}
	}
	if c.Client.MinDynamicPort != 0 && c.Client.MaxDynamicPort != 0 && c.Client.MinDynamicPort > c.Client.MaxDynamicPort {
		add("client.min_dynamic_port %d is above max_dynamic_port %d", c.Client.MinDynamicPort, c.Client.MaxDynamicPort)
	}
	c.Client.validateHostVolumes(add)
	c.Client.validateGC(add)
	if _, err := c.Client.ArtifactLimits(); err != nil {
		add("%v", err)
	}
	if c.Server.MaxHeartbeatsPerSecond < 0 {
		add("server.max_heartbeats_per_second = %v must be positive", c.Server.MaxHeartbeatsPerSecond)
	}
	if c.Server.BootstrapExpect > 1 {
		add("server.bootstrap_expect = %d: drover runs single-server clusters for now; use 1", c.Server.BootstrapExpect)
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid agent configuration:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// Addr returns the bind address of a listener: its override or BindAddr.
func (c *Config) Addr(override string) string {
	if override != "" {
		return override
	}
	return c.BindAddr
}

// Duration parses a duration key, returning def when it is empty. Validate
// has already rejected unparsable values.
func Duration(v string, def time.Duration) time.Duration {
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return def
	}
	return d
}
