package drivertest

import (
	"testing"

	"github.com/drover-sh/drover/internal/driver"
)

// testMemoryLimit checks, for a driver that enforces memory limits, that a
// task using memory without bound is stopped at its limit and that its exit
// says it was OOM-killed, not that it failed some other way. A driver that
// enforces nothing leaves Harness.MemoryHog unset.
func testMemoryLimit(t *testing.T, h Harness) {
	if h.MemoryHog == nil {
		return
	}
	cfg := NewTaskConfig(t, "hog", h.MemoryHog)
	cfg.MemoryMB = 32
	d := h.New(t)
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatalf("StartTask(hog): %v", err)
	}
	cleanup(t, d, cfg.ID)
	res := waitExit(t, d, cfg.ID)
	if !res.OOMKilled || res.Successful() {
		t.Fatalf("a task over its 32 MiB limit exited %+v (%s): want OOM killed", res, res)
	}
	inspectState(t, d, cfg.ID, driver.TaskStateExited)
}
