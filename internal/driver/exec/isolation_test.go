package exec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/cgroup"
	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/driver/drivertest"
	"github.com/drover-sh/drover/internal/testutil"
)

// run starts a task of d and arranges for it to be destroyed.
func run(t *testing.T, d *Driver, cfg *driver.TaskConfig) {
	t.Helper()
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	t.Cleanup(func() {
		if err := d.DestroyTask(cfg.ID, true); err != nil && !errors.Is(err, driver.ErrTaskNotFound) {
			t.Errorf("DestroyTask: %v", err)
		}
	})
}

func wait(t *testing.T, d *Driver, id string) *driver.ExitResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ch, err := d.WaitTask(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	res, ok := <-ch
	if !ok {
		t.Fatal("task did not exit in time")
	}
	return res
}

// facts runs script in a task and returns the key=value lines it prints.
func facts(t *testing.T, d *Driver, cfg *driver.TaskConfig) map[string]string {
	t.Helper()
	run(t, d, cfg)
	if res := wait(t, d, cfg.ID); !res.Successful() {
		b, _ := os.ReadFile(cfg.StderrPath)
		t.Fatalf("task exit %v; stderr: %s", res, b)
	}
	b, err := os.ReadFile(cfg.StdoutPath)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

const factsScript = `
echo pid1="$(tr '\0' ' ' </proc/1/cmdline)"
echo mypid=$$
echo hostname="$(cat /proc/sys/kernel/hostname)"
echo procs="$(ls /proc | grep -c '^[0-9]')"
echo hostpid="$(test -e /proc/HOSTPID/cmdline && cat /proc/HOSTPID/cmdline | tr '\0' ' ')"
echo uid="$(id -u)"
echo capeff="$(grep CapEff /proc/self/status | cut -f2)"
echo capbnd="$(grep CapBnd /proc/self/status | cut -f2)"
echo nonewprivs="$(grep NoNewPrivs /proc/self/status | cut -f2)"
if touch /usr/drover-isolation-test 2>/dev/null; then echo usrwrite=yes; else echo usrwrite=no; fi
if echo hi > /local/f && echo s > /secrets/s && echo t > /tmp/t; then echo ownwrite=yes; else echo ownwrite=no; fi
if echo shared > /alloc/data/file; then echo allocwrite=yes; else echo allocwrite=no; fi
echo taskdir="$NOMAD_TASK_DIR"
if test -d "$NOMAD_TASK_DIR"; then echo taskdirok=yes; fi
echo root="$(ls / | tr '\n' ' ')"
echo devs="$(ls /dev | tr '\n' ' ')"
`

// TestIsolation: the task sees its init as PID 1, has a hostname of its
// own, sees no host process, cannot write the host's /usr, writes its own
// directories, and runs as nobody with no capabilities and no_new_privs.
func TestIsolation(t *testing.T) {
	testutil.Require(t, testutil.Root)
	d := newTestDriver(t, Config{})
	// The agent's own pid, looked up inside the task, must not be there;
	// pick one that surely exists in the host namespace and is above the
	// few pids a fresh namespace uses.
	script := strings.ReplaceAll(factsScript, "HOSTPID", strconv.Itoa(os.Getpid()))
	cfg := drivertest.NewTaskConfig(t, "iso-web", map[string]any{"command": "/bin/sh", "args": []any{"-c", script}})
	if err := os.MkdirAll(filepath.Join(cfg.AllocDir, "alloc", "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg.Env["NOMAD_TASK_DIR"] = filepath.Join(cfg.TaskDir, "local") // as the client sets it
	f := facts(t, d, cfg)

	want := map[string]string{
		"pid1":       initArg0,
		"hostname":   "iso-web",
		"hostpid":    "",
		"uid":        "65534",
		"capeff":     "0000000000000000",
		"capbnd":     "0000000000000000",
		"nonewprivs": "1",
		"usrwrite":   "no",
		"ownwrite":   "yes",
		"allocwrite": "yes",
		"taskdir":    "/local",
		"taskdirok":  "yes",
	}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("%s = %q, want %q (all facts: %v)", k, f[k], v, f)
		}
	}
	if os.Getpid() <= 10 {
		t.Logf("agent pid %d is low: the hostpid check is weak", os.Getpid())
	}
	// The init's threads take pids of the namespace too, so the shell's
	// pid is small but not 2.
	if n, err := strconv.Atoi(f["mypid"]); err != nil || n < 2 || n > 100 {
		t.Errorf("task's pid %q, want a small pid of its own namespace", f["mypid"])
	}
	if n, err := strconv.Atoi(f["procs"]); err != nil || n > 6 {
		t.Errorf("task sees %q processes in /proc, want only its own few", f["procs"])
	}
	for _, dir := range []string{"alloc", "local", "secrets", "tmp", "proc", "dev", "usr", "bin", "etc"} {
		if !strings.Contains(" "+f["root"]+" ", " "+dir+" ") {
			t.Errorf("task root %q lacks /%s", f["root"], dir)
		}
	}
	for _, dev := range []string{"null", "zero", "urandom", "tty"} {
		if !strings.Contains(" "+f["devs"]+" ", " "+dev+" ") {
			t.Errorf("task /dev %q lacks %s", f["devs"], dev)
		}
	}
	if strings.Contains(f["devs"], "sda") || strings.Contains(f["devs"], "mem") {
		t.Errorf("task /dev %q holds host devices", f["devs"])
	}
	if _, err := os.Stat("/usr/drover-isolation-test"); err == nil {
		os.Remove("/usr/drover-isolation-test")
		t.Error("the task wrote the host's /usr")
	}
	if b, err := os.ReadFile(filepath.Join(cfg.AllocDir, "alloc", "data", "file")); err != nil || string(b) != "shared\n" {
		t.Errorf("alloc/data-file on the host = %q, %v; want the task's write", b, err)
	}
	// The task's mounts live in its namespace only.
	mounts, _ := os.ReadFile("/proc/self/mounts")
	if strings.Contains(string(mounts), cfg.TaskDir) {
		t.Errorf("the task's mounts leaked into the host's mount table")
	}
}

// TestUserPolicy: root is denied by default; a client that allows it gives
// a root task only allow_caps.
func TestUserPolicy(t *testing.T) {
	testutil.Require(t, testutil.Root)
	cfgOf := func(user string) *driver.TaskConfig {
		c := drivertest.NewTaskConfig(t, "user", map[string]any{"command": "/bin/sh", "args": []any{"-c",
			`echo uid=$(id -u); echo capeff=$(grep CapEff /proc/self/status | cut -f2)`}})
		c.User = user
		return c
	}
	d := newTestDriver(t, Config{})
	if _, err := d.StartTask(cfgOf("root")); err == nil || !strings.Contains(err.Error(), "user_denylist") {
		t.Fatalf("StartTask as root = %v, want a refusal naming user_denylist", err)
	}
	_, err := d.StartTask(cfgOf("drover-no-such-user"))
	if err == nil || !strings.Contains(err.Error(), "drover-no-such-user") {
		t.Fatalf("StartTask as an unknown user = %v, want an error naming it", err)
	}

	d = newTestDriver(t, Config{UserDenylist: []string{}, AllowCaps: []string{"CAP_NET_BIND_SERVICE"}})
	f := facts(t, d, cfgOf("root"))
	if f["uid"] != "0" || f["capeff"] != fmt.Sprintf("%016x", 1<<10) {
		t.Fatalf("root task facts %v: want uid 0 with only CAP_NET_BIND_SERVICE (%016x)", f, 1<<10)
	}
}

// TestForkBombHeld: a task that forks without end is held by the pids
// limit, and stopping it ends every process it made.
func TestForkBombHeld(t *testing.T) {
	testutil.Require(t, testutil.Root)
	const limit = 40
	d := newTestDriver(t, Config{PidsLimit: limit})
	// Bounded, so that a broken limit costs the host 400 sleeps, not all.
	// The inner shell dies when a fork fails; the outer one then reports
	// and execs (no fork needed) into a sleep, so the task stays up holding
	// what the bomb made.
	bomb := `i=0; while [ $i -lt 400 ]; do sleep 4917 & i=$((i+1)); done; echo spawned-all; wait`
	cfg := drivertest.NewTaskConfig(t, "bomb", map[string]any{"command": "/bin/sh", "args": []any{"-c",
		"/bin/sh -c '" + bomb + "'; echo bomb-done; exec sleep 999"}})
	run(t, d, cfg)
	waitOutput(t, cfg.StdoutPath, "bomb-done")
	if b, _ := os.ReadFile(cfg.StdoutPath); strings.Contains(string(b), "spawned-all") {
		t.Fatal("the bomb made all its 400 processes: the pids limit did not hold")
	}
	if b, _ := os.ReadFile(cfg.StderrPath); !strings.Contains(strings.ToLower(string(b)), "fork") {
		t.Fatalf("stderr %q: want the failed fork reported", b)
	}
	u, err := d.Usage(cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.Pids == 0 || u.Pids > limit {
		t.Fatalf("task holds %d pids, want 1..%d", u.Pids, limit)
	}
	if n := countProcs(t, "sleep", "4917"); n == 0 || n > limit {
		t.Fatalf("%d of the bomb's sleeps run, want 1..%d", n, limit)
	}
	if err := d.StopTask(cfg.ID, time.Second, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	if res := wait(t, d, cfg.ID); res.Successful() {
		t.Fatalf("stopped bomb exit %v reads as success", res)
	}
	if sleeps := countProcs(t, "sleep", "4917"); sleeps != 0 {
		t.Fatalf("%d of the bomb's sleeps survived the stop", sleeps)
	}
}

// countProcs counts host processes whose command line is exactly args.
func countProcs(t *testing.T, args ...string) int {
	t.Helper()
	want := strings.Join(args, "\x00") + "\x00"
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && string(b) == want {
			n++
		}
	}
	return n
}

// TestOOMKilled: a task over its memory limit is killed by the kernel and
// its exit says so.
func TestOOMKilled(t *testing.T) {
	testutil.Require(t, testutil.Root)
	d := newTestDriver(t, Config{})
	// tail keeps a line of /dev/zero, which never ends, in memory.
	cfg := drivertest.NewTaskConfig(t, "hog", map[string]any{"command": "tail", "args": []any{"/dev/zero"}})
	cfg.MemoryMB = 32
	run(t, d, cfg)
	res := wait(t, d, cfg.ID)
	if !res.OOMKilled || res.Signal != 9 || res.Successful() {
		t.Fatalf("exit %+v, want OOM killed by SIGKILL", res)
	}
	if !strings.Contains(res.String(), "OOM") {
		t.Fatalf("exit reads %q, want it to say OOM", res.String())
	}
}

// TestMemoryLimitIsMemoryMax: memory_max, when above memory, is the hard
// limit.
func TestMemoryLimitIsMemoryMax(t *testing.T) {
	d := newTestDriver(t, Config{PidsLimit: 7})
	for _, tt := range []struct{ mem, max, want int64 }{{64, 0, 64 << 20}, {64, 256, 256 << 20}, {64, 32, 64 << 20}} {
		l := d.limits(&driver.TaskConfig{MemoryMB: tt.mem, MemoryMaxMB: tt.max, CPUShares: 300})
		if l.MemoryBytes != tt.want || l.CPUShares != 300 || l.PidsMax != 7 {
			t.Errorf("limits(memory %d, max %d) = %+v, want %d bytes", tt.mem, tt.max, l, tt.want)
		}
	}
}

// TestSignalForwarded: SignalTask reaches the task's process through its
// init.
func TestSignalForwarded(t *testing.T) {
	testutil.Require(t, testutil.Root)
	d := newTestDriver(t, Config{})
	cfg := drivertest.NewTaskConfig(t, "trap", map[string]any{"command": "/bin/sh", "args": []any{"-c",
		`trap 'echo got-usr1' USR1; echo ready; while true; do sleep 0.05; done`}})
	run(t, d, cfg)
	waitOutput(t, cfg.StdoutPath, "ready")
	if err := d.SignalTask(cfg.ID, "SIGUSR1"); err != nil {
		t.Fatal(err)
	}
	waitOutput(t, cfg.StdoutPath, "got-usr1")
}

func waitOutput(t *testing.T, path, want string) {
	t.Helper()
	testutil.WaitFor(t, 20*time.Second, func() error {
		b, _ := os.ReadFile(path)
		if !strings.Contains(string(b), want) {
			return fmt.Errorf("%s holds %q, want %q", path, b, want)
		}
		return nil
	})
}

// TestStats: a running task's usage comes from its cgroup.
func TestStats(t *testing.T) {
	testutil.Require(t, testutil.Root)
	d := newTestDriver(t, Config{})
	cfg := drivertest.NewTaskConfig(t, "busy", map[string]any{"command": "/bin/sh", "args": []any{"-c",
		`i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec sleep 1000`}})
	run(t, d, cfg)
	testutil.WaitFor(t, 20*time.Second, func() error {
		u, err := d.Usage(cfg.ID)
		if err != nil || u.MemoryBytes == 0 || u.CPUNanos == 0 || u.Pids < 2 || u.Timestamp.IsZero() {
			return fmt.Errorf("TaskStats = %+v, %v; want memory, CPU and init plus task", u, err)
		}
		return nil
	})
	if _, err := d.TaskStats("no/such/task"); !errors.Is(err, driver.ErrTaskNotFound) {
		t.Fatalf("TaskStats(unknown) = %v", err)
	}
}

// TestMissingCommandRecoverable: a command missing from the task's
// filesystem may yet come (an artifact), so the restart policy decides.
func TestMissingCommandRecoverable(t *testing.T) {
	testutil.Require(t, testutil.Root)
	d := newTestDriver(t, Config{})
	cfg := drivertest.NewTaskConfig(t, "missing", map[string]any{"command": "local/not-there"})
	_, err := d.StartTask(cfg)
	if !errors.Is(err, driver.ErrRecoverable) || !strings.Contains(err.Error(), "local/not-there") {
		t.Fatalf("StartTask = %v, want a recoverable error naming the command", err)
	}
	// The command in local/ is found once it is there.
	script := filepath.Join(cfg.TaskDir, "local", "run.sh")
	if err := os.MkdirAll(filepath.Dir(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho from-local\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg.Config = map[string]any{"command": "local/run.sh"}
	run(t, d, cfg)
	if res := wait(t, d, cfg.ID); !res.Successful() {
		t.Fatalf("exit %v", res)
	}
	waitOutput(t, cfg.StdoutPath, "from-local")
}

// TestRecoveredTaskThatDied: a task whose init died while the agent was
// away is not found, and its cgroup is removed.
func TestRecoveredTaskThatDied(t *testing.T) {
	testutil.Require(t, testutil.Root)
	d1 := newTestDriver(t, Config{})
	cfg := drivertest.NewTaskConfig(t, "gone", map[string]any{"command": "sleep", "args": []any{"1000"}})
	h, err := d1.StartTask(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cg, err := d1.cgroups()
	if err != nil {
		t.Fatal(err)
	}
	// Stand for a task that died while no agent ran: its cgroup stays
	// behind (an agent that never saw it exit could not remove it).
	name := cgroup.SafeName(cfg.ID)
	if err := d1.StopTask(cfg.ID, time.Second, "SIGKILL"); err != nil {
		t.Fatal(err)
	}
	if _, err := cg.Create(name, cgroup.Limits{}); err != nil {
		t.Fatal(err)
	}
	d2 := newTestDriver(t, Config{})
	if err := d2.RecoverTask(h); !errors.Is(err, driver.ErrTaskNotFound) {
		t.Fatalf("RecoverTask of a dead task = %v, want ErrTaskNotFound", err)
	}
	if _, err := cg.Open(name); err == nil {
		t.Fatal("the dead task's cgroup is still there")
	}
	bad := *h
	bad.DriverState = []byte(`{"pid":0}`)
	bad.Config = &driver.TaskConfig{ID: "other"}
	if err := d2.RecoverTask(&bad); err == nil || errors.Is(err, driver.ErrTaskNotFound) {
		t.Fatalf("RecoverTask of an incomplete handle = %v, want an error saying so", err)
	}
}

// TestFingerprintUnavailable: without cgroups, or disabled, the driver is
// undetected and says why.
func TestFingerprintUnavailable(t *testing.T) {
	noCgroups := func() (cgroup.Manager, error) { return nil, cgroup.ErrUnavailable }
	for name, cfg := range map[string]Config{
		"disabled":      {Disabled: true},
		"no cgroups":    {cgroups: noCgroups},
		"no namespaces": {probe: func() error { return errors.New("operation not permitted") }},
	} {
		t.Run(name, func(t *testing.T) {
			d := newTestDriver(t, cfg)
			fp := d.Fingerprint(context.Background())
			if fp.Detected || fp.Healthy || fp.HealthDescription == "" {
				t.Fatalf("fingerprint %+v: want undetected with a reason", fp)
			}
			// As root, each reason is its own; otherwise "not root" comes first.
			wants := map[string]string{"disabled": "disabled", "no cgroups": "cgroups", "no namespaces": "namespaces"}
			if os.Geteuid() == 0 && !strings.Contains(fp.HealthDescription, wants[name]) {
				t.Fatalf("health %q does not say %q", fp.HealthDescription, wants[name])
			}
			c := drivertest.NewTaskConfig(t, "x", map[string]any{"command": "true"})
			if _, err := d.StartTask(c); err == nil || errors.Is(err, driver.ErrRecoverable) {
				t.Fatalf("StartTask on an unusable driver = %v, want a final error", err)
			}
		})
	}
}

// TestBadDriverConfig: a bad client option is an error naming it.
func TestBadDriverConfig(t *testing.T) {
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{AllowCaps: []string{"CAP_NOT_A_CAP"}}, "CAP_NOT_A_CAP"},
		{Config{ChrootEnv: map[string]string{"bin": "/bin"}}, "absolute"},
		{Config{ChrootEnv: map[string]string{"/etc": "/"}}, "below /"},
		{Config{ChrootEnv: map[string]string{"/etc": "/x/../.."}}, "below /"},
		{Config{ChrootEnv: map[string]string{"/home": "/secrets/h"}}, "task's own"},
	} {
		if _, err := New(nil, tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error containing %q", tt.cfg, err, tt.want)
		}
	}
	caps, err := parseCaps([]string{"net_bind_service", "CAP_KILL"})
	if err != nil || len(caps) != 2 || caps[0] != 10 || caps[1] != 5 {
		t.Fatalf("parseCaps = %v, %v", caps, err)
	}
}

func TestHostname(t *testing.T) {
	for in, want := range map[string]string{"Web_1": "web-1", "--": "task", strings.Repeat("a", 70): strings.Repeat("a", 63)} {
		if got := hostname(in); got != want {
			t.Errorf("hostname(%q) = %q, want %q", in, got, want)
		}
	}
}
