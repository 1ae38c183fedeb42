package cli

import (
	"context"
	"net/http"
	"testing"

	drover "github.com/drover-sh/drover"
)

// helloUsage is what the fixture's "hello" task uses: 12.7 MHz of its 100,
// 48 MiB of its 64.
func helloUsage() *drover.AllocResourceUsage {
	ru := &drover.ResourceUsage{
		MemoryStats: &drover.MemoryStats{RSS: 48 << 20, Swap: 1536, Measured: []string{"RSS", "Swap"}},
		CpuStats: &drover.CpuStats{Percent: 0.635, UserMode: 0.5, SystemMode: 0.135, TotalTicks: 12.7,
			Measured: []string{"System Mode", "User Mode", "Percent"}},
	}
	return &drover.AllocResourceUsage{ResourceUsage: ru, Timestamp: ns(t0),
		Tasks: map[string]*drover.TaskResourceUsage{"hello": {ResourceUsage: ru, Timestamp: ns(t0)}}}
}

func TestAllocStatusUsage(t *testing.T) {
	conflict := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"Error":"allocation cb3116cf runs on node node-1 (3e5f), whose agent at 10.0.0.5:4646 did not answer"}`))
	})
	tests := []struct {
		name  string
		args  []string
		stats any // the answer of the stats endpoint; nil: not served
	}{
		{"alloc_status_usage", []string{"alloc", "status", "cb31"}, helloUsage()},
		{"alloc_status_stats", []string{"alloc", "status", "-stats", "cb31"}, helloUsage()},
		{"alloc_status_stats_unavailable", []string{"alloc", "status", "-stats", "cb31"}, conflict},
		{"alloc_status_usage_unavailable", []string{"alloc", "status", "cb31"}, conflict},
		{"alloc_status_stats_failed_alloc", []string{"alloc", "status", "-stats", alloc2ID[:8]}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAgent(t)
			cluster(f)
			if tt.stats != nil {
				f.handle("GET /v1/client/allocation/"+allocID+"/stats", tt.stats)
			}
			r := runCLI(context.Background(), t, f, "", tt.args...)
			if r.code != 0 {
				t.Errorf("exit %d: %s", r.code, r.stderr)
			}
			checkGolden(t, tt.name, f, tt.args, r)
			if tt.stats == nil && len(f.find("GET /v1/client/allocation/"+alloc2ID+"/stats")) != 0 {
				t.Error("stats were asked for an allocation that runs nothing")
			}
		})
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[uint64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 784 << 10: "784 KiB",
		1363148: "1.3 MiB", 48 << 20: "48 MiB", 3 << 30: "3.0 GiB", 2 << 40: "2.0 TiB", 1 << 62: "4.0 EiB",
	} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestUsageColumns(t *testing.T) {
	tests := []struct {
		name     string
		u        *drover.ResourceUsage
		cpu, mem string
	}{
		{"no usage", nil, "500 MHz", "256 MiB"},
		{"rss", &drover.ResourceUsage{
			CpuStats:    &drover.CpuStats{TotalTicks: 12.9},
			MemoryStats: &drover.MemoryStats{RSS: 48 << 20, Usage: 60 << 20, Measured: []string{"RSS", "Usage"}},
		}, "12/500 MHz", "48 MiB/256 MiB"},
		{"usage without rss", &drover.ResourceUsage{
			MemoryStats: &drover.MemoryStats{RSS: 0, Usage: 60 << 20, Measured: []string{"Usage"}},
		}, "500 MHz", "60 MiB/256 MiB"},
	}
	for _, tt := range tests {
		cpu, mem := usageColumns(tt.u, 500, 256)
		if cpu != tt.cpu || mem != tt.mem {
			t.Errorf("%s: %q %q, want %q %q", tt.name, cpu, mem, tt.cpu, tt.mem)
		}
	}
}
