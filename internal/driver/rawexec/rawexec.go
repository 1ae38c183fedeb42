// Package rawexec is the raw_exec driver: it runs a task's command as a
// plain child process of the agent, with no isolation, in its own process
// group so that stopping the task stops everything it started.
//
// The task writes its stdout and stderr straight into the live log files
// (see internal/logfile); no helper process runs beside it. The driver keeps
// in its handle the process's pid, process group and start time, so a
// restarted agent can reattach to a task that is still running, and can tell
// it from an unrelated process that reused the pid.
//
// Where the agent runs as root on a host with cgroups (v1 or v2), every task
// also gets a cgroup of its own under "drover", with no limits: its usage
// is read from it, and stopping the task SIGKILLs everything in it, so a
// child that moved into another process group or session (setsid, a
// daemonising shell) is stopped too. Without cgroups the driver works as
// before, and such a child escapes it; the fingerprint attribute
// driver.raw_exec.cgroup says which is the case.
package rawexec

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/drover-sh/drover/internal/cgroup"
	"github.com/drover-sh/drover/internal/driver"
)

// Name is the driver's name in job files.
const Name = "raw_exec"

// version is reported as the driver.raw_exec.version attribute.
const version = "0.1.0"

// disabledHealth is the health description of a disabled driver: it tells
// the operator how to turn it on.
const disabledHealth = `disabled: enable with plugin "raw_exec" { config { enabled = true } }`

// Config is the driver's agent configuration (plugin "raw_exec" { config { ... } }).
type Config struct {
	// Enabled turns the driver on. raw_exec runs tasks as the agent's user
	// without isolation, so it is off unless asked for.
	Enabled bool
	// RecoverPollInterval is how often the driver looks whether a task
	// recovered after an agent restart (no longer its child) has exited.
	// Zero means one second.
	RecoverPollInterval time.Duration

	// cgroups overrides cgroup detection, for tests.
	cgroups func() (cgroup.Manager, error)
}

// Driver is the raw_exec driver. It is safe for concurrent use.
type Driver struct {
	logger *slog.Logger
	cfg    Config

	tasks *driver.TaskTable[*task]

	procs procTable // recent scan of /proc, for TaskStats

	cgOnce sync.Once
	cg     cgroup.Manager // nil when tasks run without cgroups
	cgErr  error
}

var _ driver.Driver = (*Driver)(nil)

// New returns a raw_exec driver. logger may be nil.
func New(logger *slog.Logger, cfg Config) *Driver {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RecoverPollInterval <= 0 {
		cfg.RecoverPollInterval = time.Second
	}
	if cfg.cgroups == nil {
		cfg.cgroups = func() (cgroup.Manager, error) { return cgroup.Detect(cgroupParent) }
	}
	return &Driver{
		logger: logger.With("driver", Name),
		cfg:    cfg,
		tasks:  driver.NewTaskTable[*task]("raw_exec"),
	}
}

// Name returns "raw_exec".
func (d *Driver) Name() string { return Name }

// Fingerprint reports the driver healthy when it is enabled, and undetected
// with a description of how to enable it otherwise. The attribute
// driver.raw_exec.cgroup is "true" when tasks get a cgroup each, with
// driver.raw_exec.cgroup_version, and "false" when they run without.
func (d *Driver) Fingerprint(ctx context.Context) driver.Fingerprint {
	if !d.cfg.Enabled {
		return driver.Fingerprint{HealthDescription: disabledHealth, Attributes: map[string]string{}}
	}
	attrs := d.cgroupAttributes()
	attrs["driver.raw_exec"] = "1"
	attrs["driver.raw_exec.version"] = version
	return driver.Fingerprint{Detected: true, Healthy: true, HealthDescription: "healthy", Attributes: attrs}
}

// ValidateConfig checks a task's config block: command (required string)
// and args (list of strings). Unknown keys and wrong types are errors that
// name the key.
func (d *Driver) ValidateConfig(config map[string]any) error {
	_, err := parseConfig(config)
	return err
}

func parseConfig(config map[string]any) (*driver.CommandConfig, error) {
	return driver.ParseCommandConfig("raw_exec", config)
}

// lookup returns the task with the given ID or driver.ErrTaskNotFound.
func (d *Driver) lookup(id string) (*task, error) { return d.tasks.Get(id) }
