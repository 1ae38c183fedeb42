package rawexec

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/driver/drivertest"
)

const waitLimit = 20 * time.Second

func startTask(t *testing.T, d *Driver, cfg *driver.TaskConfig) *driver.TaskHandle {
	t.Helper()
	h, err := d.StartTask(cfg)
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	t.Cleanup(func() { d.DestroyTask(cfg.ID, true) })
	return h
}

func wait(t *testing.T, d *Driver, id string) *driver.ExitResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
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

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func readStdout(t *testing.T, cfg *driver.TaskConfig) string {
	t.Helper()
	b, err := os.ReadFile(cfg.StdoutPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}

func shTask(t *testing.T, name, script string) *driver.TaskConfig {
	return drivertest.NewTaskConfig(t, name, map[string]any{"command": "/bin/sh", "args": []any{"-c", script}})
}

func TestFingerprint(t *testing.T) {
	off := New(nil, Config{}).Fingerprint(context.Background())
	if off.Detected || off.Healthy || off.HealthDescription != `disabled: enable with plugin "raw_exec" { config { enabled = true } }` {
		t.Fatalf("disabled fingerprint = %+v", off)
	}
	on := New(nil, Config{Enabled: true}).Fingerprint(context.Background())
	if !on.Detected || !on.Healthy || on.Attributes["driver.raw_exec"] != "1" || on.Attributes["driver.raw_exec.version"] == "" {
		t.Fatalf("enabled fingerprint = %+v", on)
	}
}

func TestStartWhenDisabledFails(t *testing.T) {
	d := New(nil, Config{})
	_, err := d.StartTask(shTask(t, "x", "exit 0"))
	if err == nil || !strings.Contains(err.Error(), "disabled") {
		t.Fatalf("StartTask on a disabled driver = %v", err)
	}
}

func TestValidateConfig(t *testing.T) {
	tests := []struct {
		name    string
		config  map[string]any
		wantKey string // "" means valid
	}{
		{"command only", map[string]any{"command": "sleep"}, ""},
		{"args as []any", map[string]any{"command": "sleep", "args": []any{"1"}}, ""},
		{"args as []string", map[string]any{"command": "sleep", "args": []string{"1"}}, ""},
		{"missing command", map[string]any{"args": []any{"1"}}, "command"},
		{"empty config", map[string]any{}, "command"},
		{"command not a string", map[string]any{"command": 3}, "command"},
		{"args not a list", map[string]any{"command": "x", "args": "a b"}, "args"},
		{"args element not a string", map[string]any{"command": "x", "args": []any{"a", 1}}, "args"},
		{"unknown key", map[string]any{"command": "x", "image": "redis"}, "image"},
	}
	d := New(nil, Config{Enabled: true})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.ValidateConfig(tt.config)
			if tt.wantKey == "" {
				if err != nil {
					t.Fatalf("ValidateConfig = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), strconv.Quote(tt.wantKey)) {
				t.Fatalf("ValidateConfig = %v, want an error naming %q", err, tt.wantKey)
			}
		})
	}
}

func TestCommandNotFound(t *testing.T) {
	d := newTestDriver(t)
	cfg := drivertest.NewTaskConfig(t, "x", map[string]any{"command": "nosuchcmd"})
	_, err := d.StartTask(cfg)
	if err == nil || err.Error() != `failed to start task: command "nosuchcmd" not found in PATH` {
		t.Fatalf("StartTask = %v", err)
	}
	if !errors.Is(err, driver.ErrRecoverable) {
		t.Fatal("a missing command must be recoverable: the restart policy decides")
	}
	for _, cmd := range []string{"/nonexistent/bin/x", "./missing.sh"} {
		cfg := drivertest.NewTaskConfig(t, "x", map[string]any{"command": cmd})
		_, err := d.StartTask(cfg)
		if err == nil || !strings.Contains(err.Error(), strconv.Quote(cmd)) {
			t.Fatalf("StartTask(%s) = %v, want an error naming the command", cmd, err)
		}
	}
}

func TestCommandResolution(t *testing.T) {
	d := newTestDriver(t)
	script := "#!/bin/sh\necho ran $0\n"
	binDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(binDir, "pathtool"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, command string
		inTaskDir     string // file written in the task dir
		mode          os.FileMode
		env           map[string]string
		wantErr       string
	}{
		{name: "bare name in task dir", command: "run.sh", inTaskDir: "run.sh", mode: 0o755},
		{name: "relative path", command: "./bin/run.sh", inTaskDir: "bin/run.sh", mode: 0o755},
		{name: "task PATH", command: "pathtool", env: map[string]string{"PATH": binDir}},
		{name: "not in task PATH", command: "pathtool", env: map[string]string{"PATH": "/nonexistent"}, wantErr: "not found in PATH"},
		{name: "not executable", command: "run.sh", inTaskDir: "run.sh", mode: 0o644, wantErr: "not executable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := drivertest.NewTaskConfig(t, "r", map[string]any{"command": tt.command})
			if tt.env != nil {
				cfg.Env = tt.env
			}
			if tt.inTaskDir != "" {
				p := filepath.Join(cfg.TaskDir, tt.inTaskDir)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte(script), tt.mode); err != nil {
					t.Fatal(err)
				}
			}
			_, err := d.StartTask(cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("StartTask = %v, want error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d.DestroyTask(cfg.ID, true) })
			if res := wait(t, d, cfg.ID); !res.Successful() {
				t.Fatalf("exit %v", res)
			}
			if out := readStdout(t, cfg); !strings.HasPrefix(out, "ran ") {
				t.Fatalf("stdout %q", out)
			}
		})
	}
}

// TestProcessEnvironment checks what the task is given: exactly cfg.Env, the
// task dir as working directory, /dev/null as stdin, stderr in its file.
func TestProcessEnvironment(t *testing.T) {
	d := newTestDriver(t)
	tests := []struct {
		name   string
		config map[string]any
		env    map[string]string
		stream string
		want   func(cfg *driver.TaskConfig) string
	}{
		{
			name:   "env is exactly cfg.Env",
			config: map[string]any{"command": "/usr/bin/env"},
			env:    map[string]string{"FOO": "bar", "B": "two words"},
			want:   func(*driver.TaskConfig) string { return "B=two words\nFOO=bar\n" },
		},
		{
			name:   "working dir is the task dir",
			config: map[string]any{"command": "/bin/pwd"},
			want:   func(cfg *driver.TaskConfig) string { return cfg.TaskDir + "\n" },
		},
		{
			name:   "stdin is /dev/null",
			config: map[string]any{"command": "/usr/bin/readlink", "args": []any{"/proc/self/fd/0"}},
			want:   func(*driver.TaskConfig) string { return "/dev/null\n" },
		},
		{
			name:   "stderr goes to its file",
			config: map[string]any{"command": "/bin/sh", "args": []any{"-c", "echo oops >&2"}},
			stream: "stderr",
			want:   func(*driver.TaskConfig) string { return "oops\n" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := drivertest.NewTaskConfig(t, "p", tt.config)
			if tt.env != nil {
				cfg.Env = tt.env
			}
			startTask(t, d, cfg)
			if res := wait(t, d, cfg.ID); !res.Successful() {
				t.Fatalf("exit %v", res)
			}
			path := cfg.StdoutPath
			if tt.stream == "stderr" {
				path = cfg.StderrPath
			}
			got, _ := os.ReadFile(path)
			if want := tt.want(cfg); string(got) != want {
				t.Fatalf("output %q, want %q", got, want)
			}
		})
	}
}

// processGone reports whether pid no longer runs (absent or a zombie).
func processGone(pid int) bool {
	state, _, err := driver.ProcStat(pid)
	return err != nil || state == 'Z'
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	var pid int
	eventually(t, "pid file "+path, func() bool {
		b, err := os.ReadFile(path)
		if err != nil || !strings.HasSuffix(string(b), "\n") {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	return pid
}

func TestLeftoverChildrenKilledAfterExit(t *testing.T) {
	d := newTestDriver(t)
	cfg := shTask(t, "bg", "sleep 1000 & echo $! > child.pid; exit 0")
	startTask(t, d, cfg)
	if res := wait(t, d, cfg.ID); !res.Successful() {
		t.Fatalf("exit %v", res)
	}
	child := readPid(t, filepath.Join(cfg.TaskDir, "child.pid"))
	// WaitTask yields only after the group was killed; the kernel may take a
	// moment to tear the child down.
	eventually(t, "background child to die", func() bool { return processGone(child) })
}

func TestStopEscalatesToSIGKILL(t *testing.T) {
	d := newTestDriver(t)
	cfg := shTask(t, "stubborn", `trap "" INT TERM; echo ready; sleep 1000`)
	startTask(t, d, cfg)
	eventually(t, "the trap to be set", func() bool { return strings.Contains(readStdout(t, cfg), "ready") })
	begin := time.Now()
	if err := d.StopTask(cfg.ID, 200*time.Millisecond, ""); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(begin); took < 200*time.Millisecond {
		t.Fatalf("StopTask returned after %v, before its timeout", took)
	}
	res := wait(t, d, cfg.ID)
	if res.Signal != int(syscall.SIGKILL) || res.ExitCode != 128+9 {
		t.Fatalf("exit %+v, want killed by SIGKILL", res)
	}
}

func TestStopAndSignalNames(t *testing.T) {
	tests := []struct {
		name   string
		act    func(d *Driver, id string) error
		signal syscall.Signal
	}{
		{"stop with SIGTERM", func(d *Driver, id string) error { return d.StopTask(id, 5*time.Second, "SIGTERM") }, syscall.SIGTERM},
		{"stop with default SIGINT", func(d *Driver, id string) error { return d.StopTask(id, 5*time.Second, "") }, syscall.SIGINT},
		{"signal SIGUSR1", func(d *Driver, id string) error { return d.SignalTask(id, "SIGUSR1") }, syscall.SIGUSR1},
		{"signal HUP without prefix", func(d *Driver, id string) error { return d.SignalTask(id, "hup") }, syscall.SIGHUP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDriver(t)
			cfg := drivertest.NewTaskConfig(t, "s", map[string]any{"command": "sleep", "args": []any{"1000"}})
			startTask(t, d, cfg)
			if err := tt.act(d, cfg.ID); err != nil {
				t.Fatal(err)
			}
			if res := wait(t, d, cfg.ID); res.Signal != int(tt.signal) {
				t.Fatalf("exit %+v, want signal %d", res, tt.signal)
			}
		})
	}
	d := newTestDriver(t)
	cfg := drivertest.NewTaskConfig(t, "s", map[string]any{"command": "sleep", "args": []any{"1000"}})
	startTask(t, d, cfg)
	if err := d.StopTask(cfg.ID, time.Second, "SIGBOGUS"); err == nil || !strings.Contains(err.Error(), "SIGBOGUS") {
		t.Fatalf("StopTask(SIGBOGUS) = %v", err)
	}
}

func decodeState(t *testing.T, h *driver.TaskHandle) taskState {
	t.Helper()
	var st taskState
	if err := json.Unmarshal(h.DriverState, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestRecoverGuardsAgainstPidReuse(t *testing.T) {
	d := newTestDriver(t)
	cfg := drivertest.NewTaskConfig(t, "s", map[string]any{"command": "sleep", "args": []any{"1000"}})
	h := startTask(t, d, cfg)
	st := decodeState(t, h)
	if st.Pid <= 0 || st.Pgid != st.Pid || st.StartTime == 0 {
		t.Fatalf("driver state %+v", st)
	}

	forged := func(mut func(*taskState)) *driver.TaskHandle {
		s := st
		mut(&s)
		b, _ := json.Marshal(s)
		c := *h
		c.DriverState = b
		return &c
	}
	tests := []struct {
		name     string
		handle   *driver.TaskHandle
		notFound bool
	}{
		{"other start time (pid reused)", forged(func(s *taskState) { s.StartTime++ }), true},
		{"pid gone", forged(func(s *taskState) { s.Pid = 1 << 22; s.Pgid = 1 << 22 }), true},
		{"unknown version", func() *driver.TaskHandle { c := *h; c.Version = 99; return &c }(), false},
		{"garbage state", func() *driver.TaskHandle { c := *h; c.DriverState = []byte("{"); return &c }(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := newTestDriver(t).RecoverTask(tt.handle)
			if err == nil || errors.Is(err, driver.ErrTaskNotFound) != tt.notFound {
				t.Fatalf("RecoverTask = %v, want not-found %v", err, tt.notFound)
			}
		})
	}
}

func TestRecoveredExitIsUnknowable(t *testing.T) {
	d1 := newTestDriver(t)
	cfg := drivertest.NewTaskConfig(t, "s", map[string]any{"command": "sleep", "args": []any{"1000"}})
	h := startTask(t, d1, cfg)
	d2 := newTestDriver(t)
	if err := d2.RecoverTask(h); err != nil {
		t.Fatal(err)
	}
	if err := d1.SignalTask(cfg.ID, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	res := wait(t, d2, cfg.ID)
	if !errors.Is(res.Err, ErrExitUnknown) || res.Successful() {
		t.Fatalf("recovered exit = %+v, want ErrExitUnknown", res)
	}
}

// TestRecoveredTaskGroupKilled starts a process group outside any driver
// (as a previous agent would have left it), recovers it, kills only its
// leader, and expects the driver to kill the leftover child.
func TestRecoveredTaskGroupKilled(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("/bin/sh", "-c", "sleep 1000 & echo $! > child.pid; exec sleep 1000")
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() { syscall.Kill(-pid, syscall.SIGKILL); cmd.Wait() })
	child := readPid(t, filepath.Join(dir, "child.pid"))
	_, ticks, err := driver.ProcStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	state, _ := json.Marshal(taskState{Pid: pid, Pgid: pid, StartTime: ticks})
	h := &driver.TaskHandle{Version: stateVersion, Config: &driver.TaskConfig{ID: "a/t/1", Name: "t"}, DriverState: state}

	d := newTestDriver(t)
	if err := d.RecoverTask(h); err != nil {
		t.Fatal(err)
	}
	if err := d.RecoverTask(h); err != nil { // already tracked: no-op
		t.Fatal(err)
	}
	if processGone(child) {
		t.Fatal("child died before the leader")
	}
	cmd.Process.Kill()
	cmd.Wait()
	if res := wait(t, d, "a/t/1"); !errors.Is(res.Err, ErrExitUnknown) {
		t.Fatalf("exit %+v", res)
	}
	eventually(t, "leftover child to die", func() bool { return processGone(child) })
}

func TestParseStat(t *testing.T) {
	fields := make([]string, 50)
	for i := range fields {
		fields[i] = strconv.Itoa(i + 1)
	}
	rest := "S " + strings.Join(fields[3:], " ")
	tests := []struct {
		in      string
		state   byte
		ticks   uint64
		wantErr bool
	}{
		{"123 (sleep) " + rest, 'S', 22, false},
		{"123 (we ird) (x)) " + rest, 'S', 22, false},
		{"123 sleep S 1 2", 0, 0, true},
		{"123 (sleep) S 1 2", 0, 0, true},
	}
	for _, tt := range tests {
		state, ticks, err := driver.ParseProcStat(tt.in)
		if (err != nil) != tt.wantErr || state != tt.state || ticks != tt.ticks {
			t.Errorf("driver.ParseProcStat(%.30q) = %c %d %v", tt.in, state, ticks, err)
		}
	}
}
