package mock

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/driver/drivertest"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestTaskStatsFollowsConfig(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	d := New(nil)
	d.now = clock.Now
	cfg := drivertest.NewTaskConfig(t, "busy", map[string]any{"stats_cpu_percent": 25.0, "stats_memory_mb": 48})
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatal(err)
	}
	defer d.DestroyTask(cfg.ID, true)

	clock.Advance(4 * time.Second)
	u, err := d.TaskStats(cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.CPU.UserTime != time.Second || u.CPU.SystemTime != 0 {
		t.Errorf("after 4s at 25%%: user %v system %v, want 1s and 0", u.CPU.UserTime, u.CPU.SystemTime)
	}
	if u.Memory.RSS != 48<<20 {
		t.Errorf("RSS %d, want %d", u.Memory.RSS, 48<<20)
	}
	if !u.Timestamp.Equal(clock.Now()) {
		t.Errorf("Timestamp %v, want %v", u.Timestamp, clock.Now())
	}

	if err := d.StopTask(cfg.ID, time.Second, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := d.TaskStats(cfg.ID); err == nil || !strings.Contains(err.Error(), "has exited") {
		t.Errorf("TaskStats of an exited task = %v", err)
	}
	if _, err := d.TaskStats("nope"); !errors.Is(err, driver.ErrTaskNotFound) {
		t.Errorf("TaskStats(unknown) = %v, want ErrTaskNotFound", err)
	}
}

func TestStatsConfigValidation(t *testing.T) {
	d := New(nil)
	for _, bad := range []map[string]any{
		{"stats_cpu_percent": "lots"},
		{"stats_cpu_percent": -1.0},
		{"stats_memory_mb": -5},
		{"stats_memory_mb": 1.5},
	} {
		var key string
		for k := range bad {
			key = k
		}
		if err := d.ValidateConfig(bad); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("ValidateConfig(%v) = %v, want an error naming %s", bad, err, key)
		}
	}
	if err := d.ValidateConfig(map[string]any{"stats_cpu_percent": int64(150), "stats_memory_mb": float64(3)}); err != nil {
		t.Errorf("valid stats config: %v", err)
	}
}
