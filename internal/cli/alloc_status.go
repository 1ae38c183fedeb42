package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	drover "github.com/drover-sh/drover"
)

func allocStatusCommand() *command {
	return &command{
		name:     "alloc status",
		args:     "[options] <alloc>",
		synopsis: "Show an allocation's status and its tasks' recent events",
		help:     `Shows an allocation (an ID, or a unique prefix of one): where it runs, what the servers want of it and what its client reports, then for each task its state, its resources and its recent events, newest first. While the allocation runs, each task's CPU and memory show as used/allocated, as its client last measured them; -stats adds the measured details.`,
		example: `drover alloc status cb3116cf
drover alloc status -short cb31`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			asJSON := fs.Bool("json", false, "Print the allocation as JSON.")
			shortOut := fs.Bool("short", false, "Print one line per task with its latest event instead of each task's details.")
			stats := fs.Bool("stats", false, "Print each task's measured memory and CPU usage in detail, and say why when it cannot be read.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) != 1 {
					return usagef("alloc status takes exactly one argument: the allocation ID")
				}
				c, err := af.client()
				if err != nil {
					return err
				}
				now := clock(ctx)()
				id, err := resolveAlloc(c, now, args[0])
				if err != nil {
					return err
				}
				alloc, _, err := c.Allocations().Info(id, nil)
				if err != nil {
					return fmt.Errorf("reading allocation %q: %w", id, err)
				}
				if *asJSON {
					return writeJSON(env.Stdout, alloc)
				}
				var usage *drover.AllocResourceUsage
				if !*shortOut {
					// Without usage the allocated values alone are shown.
					if usage, err = allocUsage(c, alloc); err != nil && *stats {
						fmt.Fprintf(env.Stderr, "Couldn't retrieve stats: %v\n", err)
					}
				}
				writeAllocStatusUsage(env.Stdout, now, alloc, *shortOut, usage, *stats)
				return nil
			}
		},
	}
}

// writeAllocStatus prints an allocation's header and its tasks.
func writeAllocStatus(w io.Writer, now time.Time, a *drover.Allocation, shortOut bool) {
	writeAllocStatusUsage(w, now, a, shortOut, nil, false)
}

// writeAllocStatusUsage is writeAllocStatus where usage, when known, shows
// next to what each task was given, and in detail with verboseUsage.
func writeAllocStatusUsage(w io.Writer, now time.Time, a *drover.Allocation, shortOut bool, usage *drover.AllocResourceUsage, verboseUsage bool) {
	var version string
	if a.Job != nil {
		version = fmt.Sprint(a.Job.Version)
	}
	rows := []kv{
		{"ID", a.ID},
		{"Eval ID", short(a.EvalID)},
		{"Name", a.Name},
		{"Node ID", short(a.NodeID)},
		{"Node Name", a.NodeName},
		{"Job ID", a.JobID},
		{"Job Version", version},
		{"Client Status", a.ClientStatus},
		{"Client Description", a.ClientDescription},
		{"Desired Status", a.DesiredStatus},
		{"Desired Description", a.DesiredDescription},
		{"Created", ago(now, a.CreateTime)},
		{"Modified", ago(now, a.ModifyTime)},
	}
	rows = append(rows, rescheduleRows(now, a)...)
	writeKV(w, append(rows, preemptionRows(a)...))
	tasks := allocTaskNames(a)
	if shortOut {
		writeTaskSummary(w, a, tasks)
		return
	}
	for _, name := range tasks {
		st := a.TaskStates[name]
		state := drover.TaskStatePending
		if st != nil {
			state = st.State
		}
		fmt.Fprintf(w, "\nTask %q%s is %q\n", name, lifecycleLabel(a, name), state)
		writeTaskResources(w, a, name, taskUsage(usage, name))
		if verboseUsage {
			writeUsageDetail(w, taskUsage(usage, name))
		}
		if st != nil {
			writeTaskEvents(w, st)
		}
	}
}

// rescheduleRows are the reschedule lines Nomad shows: the attempts made so
// far against the policy's (for a rescheduled allocation) and, for a failed
// one waiting for its follow-up evaluation, when it will be rescheduled.
func rescheduleRows(now time.Time, a *drover.Allocation) []kv {
	var p *drover.ReschedulePolicy
	if a.Job != nil {
		if tg := a.Job.LookupTaskGroup(a.TaskGroup); tg != nil {
			p = tg.ReschedulePolicy
		}
	}
	var rows []kv
	if tr := a.RescheduleTracker; tr != nil && len(tr.Events) > 0 && p != nil {
		limit := "unlimited"
		if !p.Unlimited {
			limit = fmt.Sprint(p.Attempts)
		}
		rows = append(rows, kv{"Reschedule Attempts", fmt.Sprintf("%d/%s", p.RescheduleAttempts(tr, now), limit)})
	}
	if a.FollowupEvalID != "" && a.NextAllocation == "" {
		if at, ok := a.NextRescheduleTime(p, now); ok {
			when := "now"
			if d := at.Sub(now).Round(time.Second); d > 0 {
				when = d.String() + " from now"
			}
			rows = append(rows, kv{"Reschedule Eligibility", when})
		}
	}
	return rows
}

// allocTaskNames lists the allocation's tasks: those of its group in the
// job, plus any the client reported on, sorted.
func allocTaskNames(a *drover.Allocation) []string {
	names := map[string]bool{}
	if a.Job != nil {
		if tg := a.Job.LookupTaskGroup(a.TaskGroup); tg != nil {
			for _, t := range tg.Tasks {
				names[t.Name] = true
			}
		}
	}
	for name := range a.TaskStates {
		names[name] = true
	}
	return sortedKeys(names)
}

// writeTaskSummary prints one line per task with its latest event.
func writeTaskSummary(w io.Writer, a *drover.Allocation, tasks []string) {
	fmt.Fprint(w, "\nTasks\n")
	var rows [][]string
	for _, name := range tasks {
		state, event, when := drover.TaskStatePending, none, "N/A"
		if st := a.TaskStates[name]; st != nil {
			state = st.State
			if n := len(st.Events); n > 0 {
				last := st.Events[n-1]
				event, when = last.Type, formatUnixNano(last.Time)
			}
		}
		rows = append(rows, []string{name, state, event, when})
	}
	writeTable(w, []string{"Name", "State", "Last Event", "Time"}, rows)
}

// writeTaskResources prints what the task was given: CPU, memory, the
// group's disk, and its addresses; CPU and memory as used/given when the
// task's usage u is known.
func writeTaskResources(w io.Writer, a *drover.Allocation, task string, u *drover.ResourceUsage) {
	var cpu, mem, disk int64
	var addrs []string
	if ar := a.AllocatedResources; ar != nil {
		if tr := ar.Tasks[task]; tr != nil {
			cpu, mem = tr.Cpu.CpuShares, tr.Memory.MemoryMB
			addrs = append(addrs, networkAddrs(tr.Networks)...)
		}
		disk = ar.Shared.DiskMB
		for _, p := range ar.Shared.Ports {
			addrs = append(addrs, fmt.Sprintf("%s: %s:%d", p.Label, p.HostIP, p.Value))
		}
		addrs = append(addrs, networkAddrs(ar.Shared.Networks)...)
	} else if a.Job != nil {
		if tg := a.Job.LookupTaskGroup(a.TaskGroup); tg != nil {
			if t := tg.LookupTask(task); t != nil && t.Resources != nil {
				cpu, mem = int64(t.Resources.CPU), int64(t.Resources.MemoryMB)
			}
			if tg.EphemeralDisk != nil {
				disk = int64(tg.EphemeralDisk.SizeMB)
			}
		}
	}
	cpuCol, memCol := usageColumns(u, cpu, mem)
	fmt.Fprint(w, "Task Resources:\n")
	writeTable(w, []string{"CPU", "Memory", "Disk", "Addresses"}, [][]string{{
		cpuCol, memCol, formatMB(disk), orNone(strings.Join(dedupe(addrs), ", ")),
	}})
}

// networkAddrs lists "label: ip:port" for every port of nets.
func networkAddrs(nets []*drover.NetworkResource) []string {
	var out []string
	for _, n := range nets {
		for _, ports := range [][]drover.Port{n.ReservedPorts, n.DynamicPorts} {
			for _, p := range ports {
				out = append(out, fmt.Sprintf("%s: %s:%d", p.Label, n.IP, p.Value))
			}
		}
	}
	return out
}

// dedupe drops repeated strings, keeping the first of each.
func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// writeTaskEvents prints a task's timeline and its recent events, newest
// first.
func writeTaskEvents(w io.Writer, st *drover.TaskState) {
	lastRestart := "N/A"
	if !st.LastRestart.IsZero() {
		lastRestart = formatTime(st.LastRestart)
	}
	fmt.Fprint(w, "\nTask Events:\n")
	writeKV(w, []kv{
		{"Started At", formatTime(st.StartedAt)},
		{"Finished At", formatTime(st.FinishedAt)},
		{"Total Restarts", fmt.Sprint(st.Restarts)},
		{"Last Restart", lastRestart},
	})
	// Newest first; of events at the same time, the one recorded last first.
	events := make([]*drover.TaskEvent, 0, len(st.Events))
	for i := len(st.Events) - 1; i >= 0; i-- {
		events = append(events, st.Events[i])
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].Time > events[j].Time })
	rows := make([][]string, 0, len(events))
	for _, e := range events {
		rows = append(rows, []string{formatUnixNano(e.Time), e.Type, eventDescription(e)})
	}
	fmt.Fprint(w, "\nRecent Events:\n")
	writeTable(w, []string{"Time", "Type", "Description"}, rows)
}

// eventDescription says what a task event means, in Nomad's words. The
// event's DisplayMessage, when the client set one, wins.
func eventDescription(e *drover.TaskEvent) string {
	if e.DisplayMessage != "" {
		return e.DisplayMessage
	}
	or := func(s, fallback string) string {
		if s != "" {
			return s
		}
		return fallback
	}
	switch e.Type {
	case drover.TaskReceived:
		return "Task received by client"
	case drover.TaskSetup:
		return or(e.Message, "Building Task Directory")
	case drover.TaskStarted:
		return "Task started by client"
	case drover.TaskTerminated:
		parts := []string{fmt.Sprintf("Exit Code: %d", e.ExitCode)}
		if e.Signal != 0 {
			parts = append(parts, fmt.Sprintf("Signal: %d", e.Signal))
		}
		if e.Message != "" {
			parts = append(parts, "Exit Message: "+e.Message)
		}
		return strings.Join(parts, ", ")
	case drover.TaskRestarting:
		in := fmt.Sprintf("Task restarting in %s", time.Duration(e.StartDelay))
		if e.RestartReason != "" {
			return e.RestartReason + " - " + in
		}
		return in
	case drover.TaskNotRestarting:
		return or(e.RestartReason, "Task exceeded restart policy")
	case drover.TaskDriverFailure:
		return or(e.DriverError, or(e.Message, "Failed to start task"))
	case drover.TaskSetupFailure:
		return or(e.SetupError, or(e.Message, "Task setup failed"))
	case drover.TaskArtifactDownloadFailed:
		if e.DownloadError != "" {
			return "Failed to download artifacts: " + e.DownloadError
		}
		return or(e.Message, "Failed to download artifacts")
	case drover.TaskKilling:
		if e.KillReason != "" {
			return "Killing task: " + e.KillReason
		}
		return fmt.Sprintf("Sent interrupt. Waiting %s before force killing", e.KillTimeout)
	case drover.TaskKilled:
		return or(e.Message, "Task successfully killed")
	case drover.TaskSiblingFailed:
		if s := e.Details["failed_sibling"]; s != "" {
			return fmt.Sprintf("Task's sibling %q failed", s)
		}
		return or(e.Message, "Task's sibling failed")
	case drover.TaskFailedValidation:
		return or(e.Message, "Validation of task failed")
	}
	return e.Message
}
