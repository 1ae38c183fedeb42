package config

import "time"

// validateGC checks the client's garbage collection keys and
// max_kill_timeout.
func (c *Client) validateGC(add func(format string, args ...any)) {
	if c.GCInterval != "" {
		if d, err := time.ParseDuration(c.GCInterval); err != nil {
			add("client.gc_interval: %v", err)
		} else if d <= 0 {
			add("client.gc_interval = %q must be positive", c.GCInterval)
		}
	}
	if c.GCMaxAllocs < 0 {
		add("client.gc_max_allocs = %d must not be negative (0 means the default, 50)", c.GCMaxAllocs)
	}
	if c.GCParallelDestroys < 0 {
		add("client.gc_parallel_destroys = %d must not be negative (0 means the default, 2)", c.GCParallelDestroys)
	}
	if c.MaxKillTimeout != "" {
		if d, err := time.ParseDuration(c.MaxKillTimeout); err != nil {
			add("client.max_kill_timeout: %v", err)
		} else if d <= 0 {
			add("client.max_kill_timeout = %q must be positive", c.MaxKillTimeout)
		}
	}
	for _, t := range []struct {
		key string
		v   float64
	}{{"gc_disk_usage_threshold", c.GCDiskUsageThreshold}, {"gc_inode_usage_threshold", c.GCInodeUsageThreshold}} {
		if t.v < 0 || t.v > 100 {
			add("client.%s = %v is not a percentage between 0 and 100", t.key, t.v)
		}
	}
}
