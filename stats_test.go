package drover

import (
	"reflect"
	"testing"
)

func TestResourceUsageAdd(t *testing.T) {
	var sum ResourceUsage
	sum.Add(nil)
	if sum.MemoryStats != nil || sum.CpuStats != nil {
		t.Fatalf("adding nil changed the sum: %+v", sum)
	}
	sum.Add(&ResourceUsage{
		MemoryStats: &MemoryStats{RSS: 1, Swap: 2, Measured: []string{"RSS", "Swap"}},
		CpuStats:    &CpuStats{Percent: 10, UserMode: 8, SystemMode: 2, TotalTicks: 100, Measured: []string{"Percent"}},
	})
	sum.Add(&ResourceUsage{
		MemoryStats: &MemoryStats{RSS: 10, Cache: 3, Usage: 4, MaxUsage: 5, KernelUsage: 6, KernelMaxUsage: 7, Measured: []string{"Usage", "RSS"}},
		CpuStats:    &CpuStats{Percent: 5, ThrottledPeriods: 3, ThrottledTime: 9, TotalTicks: 50, Measured: []string{"Throttled Periods", "Percent"}},
	})
	sum.Add(&ResourceUsage{}) // a task with no measured values adds nothing
	wantMem := &MemoryStats{RSS: 11, Cache: 3, Swap: 2, Usage: 4, MaxUsage: 5, KernelUsage: 6, KernelMaxUsage: 7,
		Measured: []string{"RSS", "Swap", "Usage"}}
	wantCPU := &CpuStats{Percent: 15, UserMode: 8, SystemMode: 2, TotalTicks: 150, ThrottledPeriods: 3, ThrottledTime: 9,
		Measured: []string{"Percent", "Throttled Periods"}}
	if !reflect.DeepEqual(sum.MemoryStats, wantMem) {
		t.Errorf("memory %+v, want %+v", sum.MemoryStats, wantMem)
	}
	if !reflect.DeepEqual(sum.CpuStats, wantCPU) {
		t.Errorf("cpu %+v, want %+v", sum.CpuStats, wantCPU)
	}
}
