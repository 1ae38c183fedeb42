package cli

import (
	"fmt"
	"io"
	"math"
	"slices"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/api"
)

// allocUsage reads the resource usage of a running allocation; nil, nil
// for one that runs nothing, where there is no usage to read.
func allocUsage(c *api.Client, a *drover.Allocation) (*drover.AllocResourceUsage, error) {
	if a.ClientStatus != drover.AllocClientStatusRunning {
		return nil, nil
	}
	usage, err := c.Allocations().Stats(a.ID, nil)
	if err != nil {
		return nil, fmt.Errorf("reading resource usage of allocation %s: %w", short(a.ID), err)
	}
	return usage, nil
}

// taskUsage returns a task's usage from an allocation's, nil when there is
// none.
func taskUsage(u *drover.AllocResourceUsage, task string) *drover.ResourceUsage {
	if u == nil || u.Tasks[task] == nil {
		return nil
	}
	return u.Tasks[task].ResourceUsage
}

// usageColumns renders the CPU and memory columns of Task Resources as
// used/allocated ("12/500 MHz", "48 MiB/256 MiB"), as Nomad does. The memory
// used is the RSS where the driver measures it, else the total usage.
func usageColumns(u *drover.ResourceUsage, cpuMHz, memMB int64) (cpu, mem string) {
	cpu, mem = fmt.Sprintf("%d MHz", cpuMHz), formatMB(memMB)
	if u == nil {
		return cpu, mem
	}
	if cs := u.CpuStats; cs != nil {
		cpu = fmt.Sprintf("%d/%d MHz", int64(math.Floor(cs.TotalTicks)), cpuMHz)
	}
	if ms := u.MemoryStats; ms != nil {
		used := ms.Usage
		if slices.Contains(ms.Measured, "RSS") {
			used = ms.RSS
		}
		mem = formatBytes(used) + "/" + formatMB(memMB)
	}
	return cpu, mem
}

// writeUsageDetail prints the measured memory and CPU values of a task, as
// Nomad's alloc status -stats does: only what the driver measures.
func writeUsageDetail(w io.Writer, u *drover.ResourceUsage) {
	if u == nil {
		return
	}
	if ms := u.MemoryStats; ms != nil && len(ms.Measured) > 0 {
		cols := []struct {
			name string
			v    uint64
		}{
			{"RSS", ms.RSS}, {"Cache", ms.Cache}, {"Swap", ms.Swap}, {"Usage", ms.Usage},
			{"Max Usage", ms.MaxUsage}, {"Kernel Usage", ms.KernelUsage}, {"Kernel Max Usage", ms.KernelMaxUsage},
		}
		var header, row []string
		for _, c := range cols {
			if slices.Contains(ms.Measured, c.name) {
				header, row = append(header, c.name), append(row, formatBytes(c.v))
			}
		}
		fmt.Fprint(w, "\nMemory Stats\n")
		writeTable(w, header, [][]string{row})
	}
	if cs := u.CpuStats; cs != nil && len(cs.Measured) > 0 {
		cols := []struct{ name, v string }{
			{"Percent", fmt.Sprintf("%.2f%%", cs.Percent)},
			{"System Mode", fmt.Sprintf("%.2f%%", cs.SystemMode)},
			{"User Mode", fmt.Sprintf("%.2f%%", cs.UserMode)},
			{"Throttled Periods", fmt.Sprint(cs.ThrottledPeriods)},
			{"Throttled Time", fmt.Sprint(cs.ThrottledTime)},
		}
		var header, row []string
		for _, c := range cols {
			if slices.Contains(cs.Measured, c.name) {
				header, row = append(header, c.name), append(row, c.v)
			}
		}
		fmt.Fprint(w, "\nCPU Stats\n")
		writeTable(w, header, [][]string{row})
	}
}

// formatBytes renders n bytes in binary units: "0 B", "512 B", "1.3 MiB",
// "48 MiB" (one decimal below ten, none above).
func formatBytes(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v < 10 {
		return fmt.Sprintf("%.1f %s", v, units[i])
	}
	return fmt.Sprintf("%.0f %s", v, units[i])
}
