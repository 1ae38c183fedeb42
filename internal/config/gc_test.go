package config

import (
	"strings"
	"testing"
)

func TestClientGCKeys(t *testing.T) {
	src := `
client {
  enabled                  = true
  gc_interval              = "30s"
  gc_max_allocs            = 10
  gc_disk_usage_threshold  = 90
  gc_inode_usage_threshold = 75.5
  gc_parallel_destroys     = 4
  max_kill_timeout         = "45s"
}
`
	c, err := Parse("agent.hcl", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	base := DevConfig()
	base.Merge(c)
	cl := base.Client
	if cl.GCInterval != "30s" || cl.GCMaxAllocs != 10 || cl.GCDiskUsageThreshold != 90 || cl.GCInodeUsageThreshold != 75.5 {
		t.Errorf("gc keys: %+v", cl)
	}
	warnings := strings.Join(base.Warnings, "\n")
	if strings.Contains(warnings, "gc_interval") || strings.Contains(warnings, "gc_max_allocs") ||
		strings.Contains(warnings, "gc_disk_usage_threshold") || strings.Contains(warnings, "gc_inode_usage_threshold") {
		t.Errorf("a built gc key is warned about as unbuilt: %s", warnings)
	}
	if cl.GCParallelDestroys != 4 || cl.MaxKillTimeout != "45s" {
		t.Errorf("gc_parallel_destroys %d, max_kill_timeout %q", cl.GCParallelDestroys, cl.MaxKillTimeout)
	}
	if strings.Contains(warnings, "gc_parallel_destroys") || strings.Contains(warnings, "max_kill_timeout") {
		t.Errorf("gc_parallel_destroys and max_kill_timeout are built and must not be warned about: %q", warnings)
	}
	if err := base.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestClientGCValidate(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mutate func(*Client)
		want   string
	}{
		{"interval", func(c *Client) { c.GCInterval = "soon" }, "client.gc_interval"},
		{"negative interval", func(c *Client) { c.GCInterval = "-1m" }, `client.gc_interval = "-1m" must be positive`},
		{"max allocs", func(c *Client) { c.GCMaxAllocs = -1 }, "client.gc_max_allocs = -1"},
		{"disk", func(c *Client) { c.GCDiskUsageThreshold = 120 }, "client.gc_disk_usage_threshold = 120 is not a percentage"},
		{"inodes", func(c *Client) { c.GCInodeUsageThreshold = -5 }, "client.gc_inode_usage_threshold = -5"},
		{"parallel destroys", func(c *Client) { c.GCParallelDestroys = -1 }, "client.gc_parallel_destroys = -1 must not be negative"},
		{"max kill timeout", func(c *Client) { c.MaxKillTimeout = "forever" }, "client.max_kill_timeout"},
		{"zero max kill timeout", func(c *Client) { c.MaxKillTimeout = "0s" }, `client.max_kill_timeout = "0s" must be positive`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := DevConfig()
			tt.mutate(c.Client)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
