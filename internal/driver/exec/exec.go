// Package exec is the exec driver: it runs a task's command isolated from
// the host and from other tasks, as production needs. Each task gets
//
//   - its own PID, mount, IPC and UTS namespaces (it sees only its own
//     processes, has its own hostname, and its mounts are invisible to the
//     host);
//   - a root filesystem assembled in its task directory: read-only bind
//     mounts of host directories (chroot_env: /bin, /lib, /usr, /etc/ssl,
//     ...), the allocation's shared alloc/ directory, its own local/,
//     secrets/ and tmp/, a fresh /proc and a minimal /dev;
//   - an unprivileged user ("nobody" unless the job's user is allowed),
//     no capabilities beyond the client's allow_caps, and no_new_privs, so
//     setuid binaries grant nothing;
//   - a control group (internal/cgroup) with a hard memory limit, a CPU
//     weight from its MHz and a pids limit; an OOM kill is reported as such.
//
// The task is started through a small init: the agent re-executes its own
// binary (any binary that links this package serves) as PID 1 of the new
// namespaces. The init waits until the driver has placed it in the task's
// cgroup, builds the root, starts the command, forwards signals to it and
// reaps orphans, and exits when the command does, which ends everything
// left in the namespace. No other helper process runs beside a task.
//
// The handle keeps the init's pid, start time and cgroup name, so a
// restarted agent reattaches to a task that is still running.
package exec

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/drover-sh/drover/internal/cgroup"
	"github.com/drover-sh/drover/internal/driver"
)

// Name is the driver's name in job files.
const Name = "exec"

// version is reported as the driver.exec.version attribute.
const version = "0.1.0"

// cgroupParent is the group every task's cgroup is made under.
const cgroupParent = "drover"

// DefaultUser runs tasks that name no user.
const DefaultUser = "nobody"

// DefaultPidsLimit bounds the processes and threads of one task when the
// client sets no pids_limit: enough for any service, too few for a fork
// bomb to hurt the host.
const DefaultPidsLimit = 4096

// DefaultChrootEnv is the host filesystem a task sees, read-only, when the
// client sets no chroot_env: host path → path inside the task. Sources
// missing on the host are skipped.
var DefaultChrootEnv = map[string]string{
	"/bin":                 "/bin",
	"/sbin":                "/sbin",
	"/lib":                 "/lib",
	"/lib32":               "/lib32",
	"/lib64":               "/lib64",
	"/usr":                 "/usr",
	"/etc/ssl":             "/etc/ssl",
	"/etc/ca-certificates": "/etc/ca-certificates",
	"/etc/pki":             "/etc/pki",
	"/etc/passwd":          "/etc/passwd",
	"/etc/group":           "/etc/group",
	"/etc/nsswitch.conf":   "/etc/nsswitch.conf",
	"/etc/hosts":           "/etc/hosts",
	"/etc/resolv.conf":     "/etc/resolv.conf",
	"/etc/localtime":       "/etc/localtime",
}

// Config is the driver's agent configuration
// (plugin "exec" { config { ... } }).
type Config struct {
	// Disabled turns the driver off (enabled = false).
	Disabled bool
	// ChrootEnv maps host paths to paths in the task's root; nil means
	// DefaultChrootEnv.
	ChrootEnv map[string]string
	// UserDenylist names users a job may not run a task as; nil means
	// ["root"]. An empty, non-nil list allows every user.
	UserDenylist []string
	// AllowCaps are the capabilities ("CAP_NET_BIND_SERVICE", or without
	// the prefix) a task running as root may keep. A task of any other
	// user has none.
	AllowCaps []string
	// PidsLimit bounds each task's processes and threads; 0 means
	// DefaultPidsLimit.
	PidsLimit int64
	// ExecSocketDir holds the sockets of exec sessions (ExecTask); ""
	// means DefaultExecSocketDir.
	ExecSocketDir string
	// RecoverPollInterval is how often a task recovered after an agent
	// restart is checked for exit. Zero means one second.
	RecoverPollInterval time.Duration

	// cgroups overrides detection, for tests.
	cgroups func() (cgroup.Manager, error)
	// probe overrides the namespace probe, for tests.
	probe func() error
}

// Driver is the exec driver. It is safe for concurrent use.
type Driver struct {
	logger *slog.Logger
	cfg    Config
	caps   []uintptr // AllowCaps, parsed

	cgOnce sync.Once
	cg     cgroup.Manager
	cgErr  error

	probeOnce sync.Once
	probeErr  error

	tasks *driver.TaskTable[*task]
}

var _ driver.Driver = (*Driver)(nil)

// New returns an exec driver. logger may be nil. A bad AllowCaps entry is
// an error naming it.
func New(logger *slog.Logger, cfg Config) (*Driver, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ChrootEnv == nil {
		cfg.ChrootEnv = DefaultChrootEnv
	}
	if cfg.UserDenylist == nil {
		cfg.UserDenylist = []string{"root"}
	}
	if cfg.PidsLimit <= 0 {
		cfg.PidsLimit = DefaultPidsLimit
	}
	if cfg.RecoverPollInterval <= 0 {
		cfg.RecoverPollInterval = time.Second
	}
	if cfg.ExecSocketDir == "" {
		cfg.ExecSocketDir = DefaultExecSocketDir
	}
	if cfg.probe == nil {
		cfg.probe = probeNamespaces
	}
	if cfg.cgroups == nil {
		cfg.cgroups = func() (cgroup.Manager, error) { return cgroup.Detect(cgroupParent) }
	}
	caps, err := parseCaps(cfg.AllowCaps)
	if err != nil {
		return nil, fmt.Errorf("exec driver config allow_caps: %w", err)
	}
	for src, dst := range cfg.ChrootEnv {
		if err := checkChrootEntry(src, dst); err != nil {
			return nil, fmt.Errorf("exec driver config chroot_env: %w", err)
		}
	}
	return &Driver{
		logger: logger.With("driver", Name),
		cfg:    cfg,
		caps:   caps,
		tasks:  driver.NewTaskTable[*task]("exec"),
	}, nil
}

// Name returns "exec".
func (d *Driver) Name() string { return Name }

// cgroups returns the host's cgroup manager, detected once.
func (d *Driver) cgroups() (cgroup.Manager, error) {
	d.cgOnce.Do(func() { d.cg, d.cgErr = d.cfg.cgroups() })
	return d.cg, d.cgErr
}

// Fingerprint reports the driver healthy when it can isolate tasks: it is
// enabled, the agent runs as root (namespaces, mounts and cgroups need it)
// and the host has cgroups with a memory controller. Otherwise it is
// undetected, and the description says what is missing.
func (d *Driver) Fingerprint(ctx context.Context) driver.Fingerprint {
	attrs := map[string]string{}
	if why := d.unavailable(); why != "" {
		return driver.Fingerprint{HealthDescription: why, Attributes: attrs}
	}
	cg, _ := d.cgroups()
	attrs["driver.exec"] = "1"
	attrs["driver.exec.version"] = version
	attrs["driver.exec.cgroup_version"] = fmt.Sprint(cg.Version())
	return driver.Fingerprint{Detected: true, Healthy: true, HealthDescription: "healthy", Attributes: attrs}
}

// unavailable says why the driver cannot run tasks here, or "".
func (d *Driver) unavailable() string {
	switch {
	case d.cfg.Disabled:
		return `disabled: plugin "exec" { config { enabled = false } }`
	case os.Geteuid() != 0:
		return fmt.Sprintf("the exec driver needs the agent to run as root (it runs as uid %d): isolating a task takes namespaces, mounts and cgroups", os.Geteuid())
	}
	if _, err := d.cgroups(); err != nil {
		return "the exec driver needs cgroups: " + err.Error()
	}
	d.probeOnce.Do(func() { d.probeErr = d.cfg.probe() })
	if d.probeErr != nil {
		return "the exec driver cannot create namespaces here: " + d.probeErr.Error()
	}
	return ""
}

// ValidateConfig checks a task's config block: command (required string)
// and args (list of strings). Unknown keys and wrong types are errors that
// name the key.
func (d *Driver) ValidateConfig(config map[string]any) error {
	_, err := parseConfig(config)
	return err
}

func parseConfig(config map[string]any) (*driver.CommandConfig, error) {
	return driver.ParseCommandConfig("exec", config)
}

// lookup returns the task with the given ID or driver.ErrTaskNotFound.
func (d *Driver) lookup(id string) (*task, error) { return d.tasks.Get(id) }

// taskUser is the user the task runs as: the job's, unless the client
// denies it, else DefaultUser.
func (d *Driver) taskUser(requested string) (string, error) {
	if requested == "" {
		return DefaultUser, nil
	}
	for _, u := range d.cfg.UserDenylist {
		if u == requested {
			return "", fmt.Errorf("user %q is not allowed to run exec tasks on this client (user_denylist)", requested)
		}
	}
	return requested, nil
}
