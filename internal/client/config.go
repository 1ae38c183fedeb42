package client

import (
	"context"
	"log/slog"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/artifact"
	"github.com/drover-sh/drover/internal/driver"
)

// RPCer calls the servers' internal RPC (port 4647). Method names and the
// argument and reply types are drover's Method* constants; errors keep
// their kind (drover.ErrNotFound, ...) across the wire.
type RPCer interface {
	RPC(ctx context.Context, method string, args any, reply any) error
}

// Config configures a client agent. Zero durations take the defaults noted.
type Config struct {
	// StateDir holds the client's local state (state.db) and identity
	// (node-id, secret-id); normally <data_dir>/client. "" (dev) keeps state
	// in memory and gives the node a fresh identity at each start.
	StateDir string
	// AllocDir holds allocation directories. "" creates a temporary
	// directory, removed at Shutdown.
	AllocDir string

	NodeName   string // default: the hostname
	Datacenter string // default "dc1"
	Region     string // default "global"
	NodeClass  string
	NodePool   string // default "default"
	Meta       map[string]string

	// NetworkInterface names the interface whose address is the node's;
	// IP overrides it. Neither: the default route's interface.
	NetworkInterface string
	IP               string
	// HTTPAddr is this agent's HTTP address, recorded in the node.
	HTTPAddr string

	// Drivers are the task drivers this client offers.
	Drivers *driver.Registry
	// RPC reaches the servers.
	RPC    RPCer
	Logger *slog.Logger
	// DevMode: at Shutdown stop every task. Otherwise tasks keep running and
	// a restarted agent reattaches to them.
	DevMode bool
	// Version is reported as drover.version and nomad.version.
	Version string

	// Reserved resources are held back from allocations.
	Reserved *drover.NodeReservedResources
	// Dynamic port range (default 20000-32000).
	MinDynamicPort int
	MaxDynamicPort int
	// HostVolumes are the host directories the node offers to groups'
	// host volumes, by name; the agent has checked that they exist.
	HostVolumes map[string]*drover.ClientHostVolumeConfig
	// ArtifactLimits bound what tasks' artifact blocks may fetch; nil
	// means artifact.DefaultLimits().
	ArtifactLimits *artifact.Limits

	// UpdateInterval is how long allocation status updates are coalesced
	// into one Node.UpdateAlloc call (default 200ms).
	UpdateInterval time.Duration
	// RetryMin and RetryMax bound the backoff after a failed RPC (default
	// 500ms and 30s).
	RetryMin time.Duration
	RetryMax time.Duration
	// MaxQueryTime bounds each blocking query for allocations (default 5m).
	MaxQueryTime time.Duration
	// FingerprintInterval is how often drivers are fingerprinted again; a
	// change (a driver turning unhealthy, ...) re-registers the node
	// (default 30s).
	FingerprintInterval time.Duration
	// LogRotateInterval is how often task logs are checked for rotation
	// (default 5s).
	LogRotateInterval time.Duration
	// StatsInterval is how often the resource usage of every running task
	// is sampled; CPU rates are averages over it (default 1s, as Nomad's
	// telemetry collection_interval).
	StatsInterval time.Duration
	// MaxKillTimeout caps every task's kill_timeout (default 30s, as
	// Nomad's max_kill_timeout): a job cannot hold a stopping task, and the
	// client's shutdown or drain, longer than this.
	MaxKillTimeout time.Duration
	// FingerprintRoot is prefixed to /proc, /sys and /etc when
	// fingerprinting; for tests.
	FingerprintRoot string
	// Now is the clock (default time.Now).
	Now func() time.Time

	// GC of terminal allocations: see gc.go. Zero values take the defaults
	// noted, which are Nomad's.
	GC GCConfig
}

// DefaultMaxKillTimeout is Config.MaxKillTimeout's default.
const DefaultMaxKillTimeout = 30 * time.Second

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.UpdateInterval, 200*time.Millisecond)
	def(&c.RetryMin, 500*time.Millisecond)
	def(&c.RetryMax, 30*time.Second)
	def(&c.MaxQueryTime, 5*time.Minute)
	def(&c.LogRotateInterval, 5*time.Second)
	def(&c.FingerprintInterval, 30*time.Second)
	def(&c.StatsInterval, time.Second)
	def(&c.MaxKillTimeout, DefaultMaxKillTimeout)
	if c.Datacenter == "" {
		c.Datacenter = "dc1"
	}
	if c.Region == "" {
		c.Region = drover.DefaultRegion
	}
	if c.NodePool == "" {
		c.NodePool = drover.DefaultNodePool
	}
	if c.MinDynamicPort == 0 {
		c.MinDynamicPort = drover.DefaultMinDynamicPort
	}
	if c.MaxDynamicPort == 0 {
		c.MaxDynamicPort = drover.DefaultMaxDynamicPort
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.GC.setDefaults()
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Drivers == nil {
		c.Drivers = driver.NewRegistry()
	}
}
