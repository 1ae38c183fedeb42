package mock

import (
	"fmt"
	"time"

	"github.com/drover-sh/drover/internal/driver"
)

var _ driver.StatsDriver = (*Driver)(nil)

// TaskStats reports synthetic usage steered by the task's config: CPU time
// that grows at stats_cpu_percent of one core since the task started, all
// in user mode, and an RSS of stats_memory_mb. An exited task is an error,
// as it is for a real driver.
func (d *Driver) TaskStats(taskID string) (*driver.TaskResourceUsage, error) {
	t, err := d.lookup(taskID)
	if err != nil {
		return nil, err
	}
	if t.Exited() {
		return nil, fmt.Errorf("mock task %q has exited: no usage to read", taskID)
	}
	now := d.now()
	ran := max(now.Sub(t.startedAt), 0)
	return &driver.TaskResourceUsage{
		Timestamp: now,
		CPU: driver.CPUUsage{
			UserTime: time.Duration(float64(ran) * t.cfg.StatsCPUPercent / 100),
			Measured: []string{driver.MeasuredSystemMode, driver.MeasuredUserMode, driver.MeasuredPercent},
		},
		Memory: driver.MemoryUsage{
			RSS:      uint64(t.cfg.StatsMemoryMB) << 20,
			Measured: []string{driver.MeasuredRSS},
		},
	}, nil
}
