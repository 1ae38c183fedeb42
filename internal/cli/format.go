package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	drover "github.com/drover-sh/drover"
)

// none is printed for an empty value, as Nomad does.
const none = "<none>"

// orNone returns s, or "<none>" when s is empty.
func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}

// writeTable prints rows under header (if any) in aligned columns two
// spaces apart, without trailing spaces.
func writeTable(w io.Writer, header []string, rows [][]string) {
	all := rows
	if header != nil {
		all = append([][]string{header}, rows...)
	}
	var widths []int
	for _, r := range all {
		for i, cell := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], len(cell))
		}
	}
	for _, r := range all {
		var b strings.Builder
		for i, cell := range r {
			if i == len(r)-1 {
				b.WriteString(cell)
				break
			}
			b.WriteString(cell)
			b.WriteString(strings.Repeat(" ", widths[i]-len(cell)+2))
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// kv is one line of a key = value block.
type kv struct{ k, v string }

// writeKV prints pairs as "Key   = value" with the "=" aligned.
func writeKV(w io.Writer, pairs []kv) {
	width := 0
	for _, p := range pairs {
		width = max(width, len(p.k))
	}
	for _, p := range pairs {
		fmt.Fprintf(w, "%-*s = %s\n", width, p.k, orNone(p.v))
	}
}

// writeJSON prints v as indented JSON, the -json output of every read.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encoding JSON: %w", err)
	}
	return nil
}

// timeFormat is how absolute times print: RFC 3339 in UTC, so output does
// not depend on the machine's zone.
const timeFormat = "2006-01-02T15:04:05Z07:00"

// formatTime prints t in timeFormat, or "N/A" for the zero time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	return t.UTC().Format(timeFormat)
}

// formatUnixNano prints a unix-nanoseconds timestamp as formatTime does.
func formatUnixNano(ns int64) string {
	if ns == 0 {
		return "N/A"
	}
	return formatTime(time.Unix(0, ns))
}

// ago prints how long before now ns (unix nanoseconds) was, with at most
// two units: "45s ago", "1m3s ago", "2h5m ago", "3d4h ago".
func ago(now time.Time, ns int64) string {
	if ns == 0 {
		return "N/A"
	}
	d := now.Sub(time.Unix(0, ns)).Round(time.Second)
	suffix := " ago"
	if d < 0 {
		d, suffix = -d, " from now"
	}
	units := []struct {
		name string
		d    time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}}
	var parts []string
	for _, u := range units {
		n := d / u.d
		if n == 0 {
			if len(parts) > 0 {
				break
			}
			continue
		}
		parts = append(parts, fmt.Sprintf("%d%s", n, u.name))
		d -= n * u.d
		if len(parts) == 2 {
			break
		}
	}
	if len(parts) == 0 {
		return "0s" + suffix
	}
	return strings.Join(parts, "") + suffix
}

// formatMB prints a size in MiB, switching to GiB from 1 GiB on.
func formatMB(mb int64) string {
	if mb >= 1024 && mb%1024 == 0 {
		return fmt.Sprintf("%d GiB", mb/1024)
	}
	if mb >= 1024 {
		return fmt.Sprintf("%.1f GiB", float64(mb)/1024)
	}
	return fmt.Sprintf("%d MiB", mb)
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// formatAllocMetric explains, one "* " line each, why the scheduler could
// not place an allocation: nodes filtered out by a constraint or class,
// nodes exhausted by dimension.
func formatAllocMetric(m *drover.AllocMetric, prefix string) string {
	var b strings.Builder
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, "%s* "+format+"\n", append([]any{prefix}, args...)...)
	}
	if m.NodesEvaluated == 0 {
		line("No nodes were eligible for evaluation")
	}
	for _, dc := range sortedKeys(m.NodesAvailable) {
		if m.NodesAvailable[dc] == 0 {
			line("No nodes are available in datacenter %q", dc)
		}
	}
	for _, class := range sortedKeys(m.ClassFiltered) {
		line("Class %q: %d nodes excluded by filter", class, m.ClassFiltered[class])
	}
	for _, c := range sortedKeys(m.ConstraintFiltered) {
		line("Constraint %q: %d nodes excluded by filter", c, m.ConstraintFiltered[c])
	}
	if m.NodesExhausted > 0 {
		line("Resources exhausted on %d nodes", m.NodesExhausted)
	}
	for _, class := range sortedKeys(m.ClassExhausted) {
		line("Class %q exhausted on %d nodes", class, m.ClassExhausted[class])
	}
	for _, dim := range sortedKeys(m.DimensionExhausted) {
		line("Dimension %q exhausted on %d nodes", dim, m.DimensionExhausted[dim])
	}
	for _, q := range m.QuotaExhausted {
		line("Quota limit hit %q", q)
	}
	return b.String()
}

// writePlacementFailures prints, per group, how many allocations the eval
// failed to place and why, each line prefixed with indent.
func writePlacementFailures(w io.Writer, failed map[string]*drover.AllocMetric, indent string) {
	for _, group := range sortedKeys(failed) {
		m := failed[group]
		n := m.CoalescedFailures + 1
		plural := "s"
		if n == 1 {
			plural = ""
		}
		fmt.Fprintf(w, "%sTask Group %q (failed to place %d allocation%s):\n", indent, group, n, plural)
		fmt.Fprint(w, formatAllocMetric(m, indent+"  "))
	}
}

// short returns the eight-character form of an ID.
func short(id string) string { return drover.ShortID(id) }

// allocStubRows builds the rows of an allocations table.
func allocStubRows(now time.Time, allocs []*drover.AllocListStub) [][]string {
	sort.SliceStable(allocs, func(i, j int) bool {
		if allocs[i].CreateIndex != allocs[j].CreateIndex {
			return allocs[i].CreateIndex > allocs[j].CreateIndex
		}
		return allocs[i].Name < allocs[j].Name
	})
	rows := make([][]string, 0, len(allocs))
	for _, a := range allocs {
		rows = append(rows, []string{
			short(a.ID), short(a.NodeID), a.TaskGroup, fmt.Sprint(a.JobVersion),
			a.DesiredStatus, a.ClientStatus, ago(now, a.CreateTime), ago(now, a.ModifyTime),
		})
	}
	return rows
}

// allocStubHeader is the header of allocStubRows.
var allocStubHeader = []string{"ID", "Node ID", "Task Group", "Version", "Desired", "Status", "Created", "Modified"}

// writeBullets prints each line of err (a joined error lists one problem
// per line) as a "  * " bullet on stderr.
func writeBullets(env *Env, err error) {
	for _, line := range strings.Split(strings.TrimSpace(err.Error()), "\n") {
		fmt.Fprintf(env.Stderr, "  * %s\n", line)
	}
}
