// Package drivertest is the conformance suite every task driver passes. A
// driver's tests describe, in a Harness, how to build the driver and which
// task configs produce each behaviour the suite needs; Run then checks the
// driver.Driver contract against them.
package drivertest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/driver"
)

// Harness describes a driver to the suite.
type Harness struct {
	// New returns a fresh driver instance. The suite calls it for every
	// scenario, and a second time to stand for the driver in a restarted
	// agent.
	New func(t *testing.T) driver.Driver

	// Task configs (the job file's config block) for each scenario.
	ExitZero        map[string]any // exits 0 promptly
	ExitThree       map[string]any // exits with code 3 promptly
	RunUntilStopped map[string]any // runs until stopped; the default stop signal ends it
	WriteStdout     map[string]any // writes StdoutLine to stdout
	FailStart       map[string]any // valid config whose StartTask fails
	StdoutLine      string

	// RecoverAfterRestart is set when a new driver instance can recover a
	// running task from its handle (processes survive the agent; mock
	// goroutines do not).
	RecoverAfterRestart bool

	// Stats is set when the driver implements driver.StatsDriver.
	Stats bool

	// MemoryHog, for a driver that enforces the task's memory limit, is a
	// task that uses memory without bound: the suite gives it 32 MiB and
	// expects an OOM kill. Nil for a driver that enforces no limit.
	MemoryHog map[string]any

	// Exec is set when the driver implements driver.ExecDriver. The exec
	// cases run /bin/sh, cat and stty in a RunUntilStopped task.
	Exec bool

	// StopTimeout is what StopTask gets before it kills; default 5s.
	StopTimeout time.Duration
}

// waitLimit bounds every wait for a task to do what it was told.
const waitLimit = 20 * time.Second

// Run runs the conformance suite against the driver h describes.
func Run(t *testing.T, h Harness) {
	if h.New == nil {
		t.Fatal("drivertest: Harness.New is nil")
	}
	if h.StopTimeout <= 0 {
		h.StopTimeout = 5 * time.Second
	}
	scenarios := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"Fingerprint", testFingerprint},
		{"ValidateConfig", testValidateConfig},
		{"ExitCodes", testExitCodes},
		{"StopLongRunner", testStopLongRunner},
		{"WaitTaskContextCancel", testWaitCancel},
		{"Stdout", testStdout},
		{"StartFailure", testStartFailure},
		{"RecoverSameInstance", testRecoverSame},
		{"RecoverNewInstance", testRecoverNew},
		{"DuplicateID", testDuplicateID},
		{"Destroy", testDestroy},
		{"Signal", testSignal},
		{"UnknownTaskIDs", testUnknownIDs},
		{"Stats", testStats},
		{"MemoryLimit", testMemoryLimit},
		{"Exec", testExec},
		{"ExecTTY", testExecTTY},
		{"ExecErrors", testExecErrors},
		{"ExecAfterRecover", testExecAfterRecover},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			s.fn(t, h)
		})
	}
}

var taskSeq atomic.Int64

// NewTaskConfig returns a task config for a task named name with the given
// driver config: its own alloc dir, task dir and log dir under t.TempDir(),
// and the agent's PATH as its environment.
func NewTaskConfig(t *testing.T, name string, config map[string]any) *driver.TaskConfig {
	t.Helper()
	allocDir := t.TempDir()
	taskDir := filepath.Join(allocDir, name)
	logDir := filepath.Join(allocDir, "alloc", "logs")
	for _, d := range []string{taskDir, logDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	allocID := fmt.Sprintf("alloc-%d", taskSeq.Add(1))
	return &driver.TaskConfig{
		ID:         allocID + "/" + name + "/" + fmt.Sprint(time.Now().UnixNano()),
		AllocID:    allocID,
		JobName:    "conformance",
		TaskGroup:  "group",
		Name:       name,
		Config:     maps.Clone(config),
		Env:        map[string]string{"PATH": os.Getenv("PATH")},
		MemoryMB:   64,
		CPUShares:  100,
		AllocDir:   allocDir,
		TaskDir:    taskDir,
		StdoutPath: filepath.Join(logDir, name+".stdout"),
		StderrPath: filepath.Join(logDir, name+".stderr"),
	}
}

// start starts a task and arranges for it to be destroyed at the end.
func start(t *testing.T, d driver.Driver, name string, config map[string]any) (*driver.TaskConfig, *driver.TaskHandle) {
	t.Helper()
	cfg := NewTaskConfig(t, name, config)
	h, err := d.StartTask(cfg)
	if err != nil {
		t.Fatalf("StartTask(%s): %v", name, err)
	}
	if h == nil || h.Config == nil || h.Config.ID != cfg.ID {
		t.Fatalf("StartTask(%s) returned handle %+v without its config", name, h)
	}
	cleanup(t, d, cfg.ID)
	return cfg, h
}

func cleanup(t *testing.T, d driver.Driver, id string) {
	t.Cleanup(func() {
		if err := d.DestroyTask(id, true); err != nil && !errors.Is(err, driver.ErrTaskNotFound) {
			t.Errorf("cleanup DestroyTask(%s): %v", id, err)
		}
	})
}

// waitExit waits for the task's exit result.
func waitExit(t *testing.T, d driver.Driver, id string) *driver.ExitResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	ch, err := d.WaitTask(ctx, id)
	if err != nil {
		t.Fatalf("WaitTask: %v", err)
	}
	return receive(t, ch)
}

func receive(t *testing.T, ch <-chan *driver.ExitResult) *driver.ExitResult {
	t.Helper()
	select {
	case res, ok := <-ch:
		if !ok || res == nil {
			t.Fatal("WaitTask channel closed without an exit")
		}
		return res
	case <-time.After(waitLimit):
		t.Fatal("task did not exit in time")
		return nil
	}
}

func inspectState(t *testing.T, d driver.Driver, id, want string) *driver.TaskStatus {
	t.Helper()
	st, err := d.InspectTask(id)
	if err != nil {
		t.Fatalf("InspectTask: %v", err)
	}
	if st.State != want {
		t.Fatalf("InspectTask state = %q, want %q", st.State, want)
	}
	if st.ID != id || st.StartedAt.IsZero() {
		t.Fatalf("InspectTask = %+v: wrong ID or no start time", st)
	}
	return st
}

func testFingerprint(t *testing.T, h Harness) {
	fp := h.New(t).Fingerprint(context.Background())
	if !fp.Detected || !fp.Healthy {
		t.Fatalf("fingerprint %+v: want detected and healthy", fp)
	}
}

func testValidateConfig(t *testing.T, h Harness) {
	d := h.New(t)
	for name, c := range map[string]map[string]any{
		"ExitZero": h.ExitZero, "ExitThree": h.ExitThree,
		"RunUntilStopped": h.RunUntilStopped, "WriteStdout": h.WriteStdout,
	} {
		if err := d.ValidateConfig(c); err != nil {
			t.Errorf("ValidateConfig(%s): %v", name, err)
		}
	}
	bad := maps.Clone(h.ExitZero)
	bad["drover_no_such_key"] = true
	err := d.ValidateConfig(bad)
	if err == nil || !strings.Contains(err.Error(), "drover_no_such_key") {
		t.Fatalf("ValidateConfig with an unknown key = %v, want an error naming the key", err)
	}
}

func testExitCodes(t *testing.T, h Harness) {
	tests := []struct {
		name   string
		config map[string]any
		code   int
	}{
		{"zero", h.ExitZero, 0},
		{"three", h.ExitThree, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := h.New(t)
			cfg, _ := start(t, d, "exit-"+tt.name, tt.config)
			res := waitExit(t, d, cfg.ID)
			if res.ExitCode != tt.code || res.Signal != 0 || res.Err != nil {
				t.Fatalf("exit = %+v, want code %d", res, tt.code)
			}
			if res.Successful() != (tt.code == 0) {
				t.Fatalf("Successful() = %v for %v", res.Successful(), res)
			}
			st := inspectState(t, d, cfg.ID, driver.TaskStateExited)
			if st.ExitResult == nil || st.ExitResult.ExitCode != tt.code {
				t.Fatalf("InspectTask exit = %+v, want code %d", st.ExitResult, tt.code)
			}
			if st.CompletedAt.Before(st.StartedAt) {
				t.Fatalf("completed %v before started %v", st.CompletedAt, st.StartedAt)
			}
			// A second wait still yields the exit.
			if res := waitExit(t, d, cfg.ID); res.ExitCode != tt.code {
				t.Fatalf("second WaitTask = %+v", res)
			}
		})
	}
}

func testStopLongRunner(t *testing.T, h Harness) {
	d := h.New(t)
	cfg, _ := start(t, d, "long", h.RunUntilStopped)
	inspectState(t, d, cfg.ID, driver.TaskStateRunning)
	ch, err := d.WaitTask(context.Background(), cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.StopTask(cfg.ID, h.StopTimeout, ""); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	// StopTask returned, so the task has exited: Inspect says so at once.
	inspectState(t, d, cfg.ID, driver.TaskStateExited)
	if res := receive(t, ch); res.Successful() {
		t.Fatalf("stopped task's exit %v reads as a success", res)
	}
	if err := d.StopTask(cfg.ID, h.StopTimeout, ""); err != nil {
		t.Fatalf("StopTask on an exited task: %v", err)
	}
}

func testWaitCancel(t *testing.T, h Harness) {
	d := h.New(t)
	cfg, _ := start(t, d, "long", h.RunUntilStopped)
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := d.WaitTask(ctx, cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case res, ok := <-ch:
		if ok {
			t.Fatalf("WaitTask yielded %v after its context was cancelled", res)
		}
	case <-time.After(waitLimit):
		t.Fatal("WaitTask channel not closed after cancel")
	}
	inspectState(t, d, cfg.ID, driver.TaskStateRunning)
}

func testStdout(t *testing.T, h Harness) {
	d := h.New(t)
	cfg, _ := start(t, d, "echo", h.WriteStdout)
	deadline := time.Now().Add(waitLimit)
	for {
		b, _ := os.ReadFile(cfg.StdoutPath)
		if strings.Contains(string(b), h.StdoutLine) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stdout file holds %q, want it to contain %q", b, h.StdoutLine)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition with a deadline
	}
}

func testStartFailure(t *testing.T, h Harness) {
	d := h.New(t)
	cfg := NewTaskConfig(t, "fail", h.FailStart)
	handle, err := d.StartTask(cfg)
	if err == nil {
		cleanup(t, d, cfg.ID)
		t.Fatalf("StartTask of a failing task succeeded with %+v", handle)
	}
	if _, err := d.InspectTask(cfg.ID); !errors.Is(err, driver.ErrTaskNotFound) {
		t.Fatalf("InspectTask after a failed start = %v, want ErrTaskNotFound", err)
	}
}

func testRecoverSame(t *testing.T, h Harness) {
	d := h.New(t)
	cfg, handle := start(t, d, "long", h.RunUntilStopped)
	if err := d.RecoverTask(handle); err != nil {
		t.Fatalf("RecoverTask on the same instance: %v", err)
	}
	inspectState(t, d, cfg.ID, driver.TaskStateRunning)
	if err := d.StopTask(cfg.ID, h.StopTimeout, ""); err != nil {
		t.Fatalf("StopTask after recover: %v", err)
	}
	waitExit(t, d, cfg.ID)
}

func testRecoverNew(t *testing.T, h Harness) {
	d1 := h.New(t)
	cfg, handle := start(t, d1, "long", h.RunUntilStopped)
	d2 := h.New(t)
	err := d2.RecoverTask(handle)
	if !h.RecoverAfterRestart {
		if !errors.Is(err, driver.ErrTaskNotFound) {
			t.Fatalf("RecoverTask on a new instance = %v, want ErrTaskNotFound", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("RecoverTask on a new instance: %v", err)
	}
	cleanup(t, d2, cfg.ID)
	inspectState(t, d2, cfg.ID, driver.TaskStateRunning)
	ch, err := d2.WaitTask(context.Background(), cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := d2.StopTask(cfg.ID, h.StopTimeout, ""); err != nil {
		t.Fatalf("StopTask of a recovered task: %v", err)
	}
	inspectState(t, d2, cfg.ID, driver.TaskStateExited)
	receive(t, ch)
	waitExit(t, d1, cfg.ID) // the old instance sees it end too

	// A task that has exited cannot be recovered.
	cfg0, handle0 := start(t, d1, "done", h.ExitZero)
	waitExit(t, d1, cfg0.ID)
	if err := h.New(t).RecoverTask(handle0); !errors.Is(err, driver.ErrTaskNotFound) {
		t.Fatalf("RecoverTask of an exited task = %v, want ErrTaskNotFound", err)
	}
}

func testDuplicateID(t *testing.T, h Harness) {
	d := h.New(t)
	cfg, _ := start(t, d, "long", h.RunUntilStopped)
	again := NewTaskConfig(t, "long", h.RunUntilStopped)
	again.ID = cfg.ID
	if _, err := d.StartTask(again); err == nil {
		t.Fatal("StartTask with the ID of a running task succeeded")
	}
	inspectState(t, d, cfg.ID, driver.TaskStateRunning)
}

func testDestroy(t *testing.T, h Harness) {
	d := h.New(t)
	cfg, _ := start(t, d, "long", h.RunUntilStopped)
	err := d.DestroyTask(cfg.ID, false)
	if err == nil || errors.Is(err, driver.ErrTaskNotFound) {
		t.Fatalf("DestroyTask(running, no force) = %v, want a refusal", err)
	}
	inspectState(t, d, cfg.ID, driver.TaskStateRunning)
	if err := d.DestroyTask(cfg.ID, true); err != nil {
		t.Fatalf("DestroyTask(force): %v", err)
	}
	if _, err := d.InspectTask(cfg.ID); !errors.Is(err, driver.ErrTaskNotFound) {
		t.Fatalf("InspectTask after destroy = %v, want ErrTaskNotFound", err)
	}

	cfg0, _ := start(t, d, "done", h.ExitZero)
	waitExit(t, d, cfg0.ID)
	if err := d.DestroyTask(cfg0.ID, false); err != nil {
		t.Fatalf("DestroyTask(exited): %v", err)
	}
	if _, err := d.InspectTask(cfg0.ID); !errors.Is(err, driver.ErrTaskNotFound) {
		t.Fatalf("InspectTask after destroy = %v, want ErrTaskNotFound", err)
	}
}

func testSignal(t *testing.T, h Harness) {
	d := h.New(t)
	cfg, _ := start(t, d, "long", h.RunUntilStopped)
	if err := d.SignalTask(cfg.ID, "SIGCONT"); err != nil {
		t.Fatalf("SignalTask(SIGCONT): %v", err)
	}
	err := d.SignalTask(cfg.ID, "SIGNOTASIGNAL")
	if err == nil || errors.Is(err, driver.ErrTaskNotFound) {
		t.Fatalf("SignalTask(unknown name) = %v, want an error about the name", err)
	}
	inspectState(t, d, cfg.ID, driver.TaskStateRunning)
}

func testUnknownIDs(t *testing.T, h Harness) {
	d := h.New(t)
	const id = "no-such-alloc/no-such-task/0"
	_, waitErr := d.WaitTask(context.Background(), id)
	_, inspectErr := d.InspectTask(id)
	for name, err := range map[string]error{
		"WaitTask":    waitErr,
		"InspectTask": inspectErr,
		"StopTask":    d.StopTask(id, time.Second, ""),
		"DestroyTask": d.DestroyTask(id, true),
		"SignalTask":  d.SignalTask(id, "SIGHUP"),
	} {
		if !errors.Is(err, driver.ErrTaskNotFound) {
			t.Errorf("%s(unknown) = %v, want ErrTaskNotFound", name, err)
		}
	}
}
