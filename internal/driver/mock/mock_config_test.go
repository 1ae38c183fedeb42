package mock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/driver/drivertest"
)

func TestValidateConfig(t *testing.T) {
	tests := []struct {
		name    string
		config  map[string]any
		wantKey string // "" means valid
	}{
		{"empty", map[string]any{}, ""},
		{"all keys", map[string]any{
			"run_for": "1s", "exit_code": 2, "exit_signal": int64(9), "exit_err_msg": "x",
			"start_error": "", "start_error_recoverable": true, "start_block_for": "0",
			"kill_after": "10ms", "stdout_string": "hi", "stdout_repeat": float64(3),
			"stdout_repeat_duration": "5ms",
		}, ""},
		{"unknown key", map[string]any{"command": "x"}, "command"},
		{"duration not a string", map[string]any{"run_for": 5}, "run_for"},
		{"bad duration", map[string]any{"kill_after": "soon"}, "kill_after"},
		{"negative duration", map[string]any{"start_block_for": "-1s"}, "start_block_for"},
		{"int as string", map[string]any{"exit_code": "3"}, "exit_code"},
		{"fractional int", map[string]any{"exit_signal": 1.5}, "exit_signal"},
		{"bool as string", map[string]any{"start_error_recoverable": "true"}, "start_error_recoverable"},
		{"string as int", map[string]any{"stdout_string": 1}, "stdout_string"},
		{"negative repeat", map[string]any{"stdout_repeat": -1}, "stdout_repeat"},
	}
	d := New(nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.ValidateConfig(tt.config)
			if tt.wantKey == "" {
				if err != nil {
					t.Fatalf("ValidateConfig = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), strconv.Quote(tt.wantKey)) {
				t.Fatalf("ValidateConfig = %v, want an error naming %q", err, tt.wantKey)
			}
		})
	}
}

func wait(t *testing.T, d *Driver, id string) *driver.ExitResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
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

func TestStartErrors(t *testing.T) {
	d := New(nil)
	tests := []struct {
		config      map[string]any
		recoverable bool
	}{
		{map[string]any{"start_error": "no luck"}, false},
		{map[string]any{"start_error": "no luck", "start_error_recoverable": true}, true},
	}
	for _, tt := range tests {
		cfg := drivertest.NewTaskConfig(t, "f", tt.config)
		_, err := d.StartTask(cfg)
		if err == nil || !strings.Contains(err.Error(), "no luck") || errors.Is(err, driver.ErrRecoverable) != tt.recoverable {
			t.Errorf("StartTask(%v) = %v, want recoverable=%v", tt.config, err, tt.recoverable)
		}
	}
	begin := time.Now()
	cfg := drivertest.NewTaskConfig(t, "slow", map[string]any{"start_block_for": "50ms", "run_for": "1ms"})
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(begin); took < 50*time.Millisecond {
		t.Fatalf("StartTask took %v despite start_block_for 50ms", took)
	}
}

func TestConfiguredExit(t *testing.T) {
	d := New(nil)
	cfg := drivertest.NewTaskConfig(t, "x", map[string]any{"run_for": "1ms", "exit_code": 7, "exit_signal": 15, "exit_err_msg": "bad"})
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatal(err)
	}
	res := wait(t, d, cfg.ID)
	if res.ExitCode != 7 || res.Signal != 15 || res.Err == nil || res.Err.Error() != "bad" {
		t.Fatalf("exit %+v", res)
	}
}

func TestKillAfter(t *testing.T) {
	tests := []struct {
		name      string
		killAfter string
		timeout   time.Duration
		signal    string
		wantSig   syscall.Signal
		minTook   time.Duration
	}{
		{"reacts within timeout", "50ms", 5 * time.Second, "SIGTERM", syscall.SIGTERM, 50 * time.Millisecond},
		{"killed at timeout", "10s", 30 * time.Millisecond, "", syscall.SIGKILL, 30 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New(nil)
			cfg := drivertest.NewTaskConfig(t, "k", map[string]any{"kill_after": tt.killAfter})
			if _, err := d.StartTask(cfg); err != nil {
				t.Fatal(err)
			}
			begin := time.Now()
			if err := d.StopTask(cfg.ID, tt.timeout, tt.signal); err != nil {
				t.Fatal(err)
			}
			if took := time.Since(begin); took < tt.minTook {
				t.Fatalf("StopTask took %v, want at least %v", took, tt.minTook)
			}
			if res := wait(t, d, cfg.ID); res.Signal != int(tt.wantSig) || res.ExitCode != 128+int(tt.wantSig) {
				t.Fatalf("exit %+v, want signal %d", res, tt.wantSig)
			}
		})
	}
}

func TestStdoutRepeat(t *testing.T) {
	d := New(nil)
	cfg := drivertest.NewTaskConfig(t, "r", map[string]any{
		"stdout_string": "tick\n", "stdout_repeat": 3, "stdout_repeat_duration": "1ms",
	})
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatal(err)
	}
	defer d.DestroyTask(cfg.ID, true)
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(cfg.StdoutPath)
		if n := strings.Count(string(b), "tick\n"); n == 4 {
			break
		} else if n > 4 || time.Now().After(deadline) {
			t.Fatalf("stdout has %d ticks, want 4 (once + 3 repeats)", n)
		}
		time.Sleep(2 * time.Millisecond) // polling with a deadline
	}
}

// TestManyTasks checks that tasks are cheap: thousands start, run and stop
// quickly.
func TestManyTasks(t *testing.T) {
	d := New(nil)
	const n = 2000
	ids := make([]string, n)
	for i := range ids {
		cfg := &driver.TaskConfig{ID: fmt.Sprintf("a%d/t/0", i), Name: "t", Config: map[string]any{}}
		if _, err := d.StartTask(cfg); err != nil {
			t.Fatal(err)
		}
		ids[i] = cfg.ID
	}
	for _, id := range ids {
		if err := d.StopTask(id, time.Second, ""); err != nil {
			t.Fatal(err)
		}
		if err := d.DestroyTask(id, false); err != nil {
			t.Fatal(err)
		}
	}
	if len(d.tasks) != 0 {
		t.Fatalf("%d tasks left", len(d.tasks))
	}
}
