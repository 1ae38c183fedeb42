package drivertest

import (
	"errors"
	"testing"

	"github.com/drover-sh/drover/internal/driver"
)

// testStats checks driver.StatsDriver where the harness says the driver
// has it: a running task has a reading with a timestamp and named measured
// values, an exited task has none, and an unknown ID is ErrTaskNotFound.
func testStats(t *testing.T, h Harness) {
	d := h.New(t)
	sd, ok := d.(driver.StatsDriver)
	if ok != h.Stats {
		t.Fatalf("driver implements driver.StatsDriver = %v, but Harness.Stats = %v", ok, h.Stats)
	}
	if !ok {
		return
	}
	cfg, _ := start(t, d, "long", h.RunUntilStopped)
	u, err := sd.TaskStats(cfg.ID)
	if err != nil {
		t.Fatalf("TaskStats(running): %v", err)
	}
	if u.Timestamp.IsZero() || len(u.CPU.Measured) == 0 || len(u.Memory.Measured) == 0 {
		t.Fatalf("TaskStats(running) = %+v: want a timestamp and measured CPU and memory values", u)
	}
	if u.CPU.UserTime < 0 || u.CPU.SystemTime < 0 {
		t.Fatalf("negative CPU times %+v", u.CPU)
	}
	if err := d.StopTask(cfg.ID, h.StopTimeout, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := sd.TaskStats(cfg.ID); err == nil {
		t.Fatal("TaskStats of an exited task succeeded")
	}
	if _, err := sd.TaskStats("no-such-alloc/no-such-task/0"); !errors.Is(err, driver.ErrTaskNotFound) {
		t.Fatalf("TaskStats(unknown) = %v, want ErrTaskNotFound", err)
	}
}
