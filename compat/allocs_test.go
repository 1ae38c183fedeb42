package compat_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"

	"github.com/drover-sh/drover/internal/testutil"
)

// allocScript is the shell script of the allocation tests' raw_exec task:
// it writes a line to each log, a file in its local/ directory, answers
// SIGUSR1 with a line on stdout, and runs until it is stopped.
const allocScript = `echo hello; echo oops >&2; echo greetings > "$NOMAD_TASK_DIR/greeting.txt"
trap 'echo got-usr1' USR1
while :; do sleep 0.05; done`

// allocJob is a service job of count allocations of one raw_exec task
// "main" running allocScript, built with Nomad's API types.
func allocJob(id string, count int) *nomad.Job {
	job := nomad.NewServiceJob(id, id, "global", 50)
	job.Datacenters = []string{"dc1"}
	tg := nomad.NewTaskGroup("web", count)
	task := nomad.NewTask("main", "raw_exec")
	task.Config = map[string]any{"command": "/bin/sh", "args": []string{"-c", allocScript}}
	kill := time.Second
	task.KillTimeout = &kill
	tg.AddTask(task)
	job.AddTaskGroup(tg)
	return job
}

// runAllocJob registers allocJob through Nomad's client and waits until
// count of its allocations run and their task has written its log line and
// file. It returns them as Nomad's client decodes them, sorted by name.
func runAllocJob(t *testing.T, d *devAgent, id string, count int) []*nomad.Allocation {
	t.Helper()
	if _, _, err := d.api.Jobs().Register(allocJob(id, count), nil); err != nil {
		t.Fatalf("Jobs().Register: %v", err)
	}
	var allocs []*nomad.Allocation
	testutil.WaitFor(t, 30*time.Second, func() error {
		stubs, _, err := d.api.Jobs().Allocations(id, false, nil)
		if err != nil {
			return err
		}
		allocs = allocs[:0]
		for _, s := range stubs {
			if s.ClientStatus != nomad.AllocClientStatusRunning || s.DesiredStatus != nomad.AllocDesiredStatusRun {
				continue
			}
			a, _, err := d.api.Allocations().Info(s.ID, nil)
			if err != nil {
				return err
			}
			// The task has run its first line once the file it writes
			// right after exists.
			if _, _, err := d.api.AllocFS().Stat(a, "main/local/greeting.txt", nil); err != nil {
				return fmt.Errorf("task of %s not started yet: %w", a.ID, err)
			}
			allocs = append(allocs, a)
		}
		if len(allocs) != count {
			return fmt.Errorf("%d of %d allocations running", len(allocs), count)
		}
		return nil
	})
	slices.SortFunc(allocs, func(a, b *nomad.Allocation) int { return strings.Compare(a.Name, b.Name) })
	return allocs
}

// statusOf returns the HTTP status of an error of Nomad's client, or 0.
func statusOf(err error) int {
	var ue nomad.UnexpectedResponseError
	if errors.As(err, &ue) {
		return ue.StatusCode()
	}
	return 0
}

// wantStatus fails t unless err is an error of Nomad's client with the
// HTTP status want and a message containing text.
func wantStatus(t *testing.T, what string, err error, want int, text string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want HTTP %d", what, want)
	}
	if got := statusOf(err); got != want {
		t.Fatalf("%s: error %v has status %d, want %d", what, err, got, want)
	}
	if !strings.Contains(err.Error(), text) {
		t.Fatalf("%s: error %q does not say %q", what, err, text)
	}
}

// recent fails t unless ns (unix nanoseconds) is within the last minute.
func recent(t *testing.T, what string, ns int64) {
	t.Helper()
	if d := time.Since(time.Unix(0, ns)); d < 0 || d > time.Minute {
		t.Errorf("%s = %d (%s ago), want a time in the last minute in unix nanoseconds", what, ns, d)
	}
}

// TestAllocsListAndInfo: the allocation list (with its prefix filter) and
// an allocation's details decode into Nomad's types with their values:
// nanosecond times, time.Time task times, the job, the resources.
func TestAllocsListAndInfo(t *testing.T) {
	d := startDevAgent(t)
	allocs := runAllocJob(t, d, "web", 2)

	stubs, meta, err := d.api.Allocations().List(&nomad.QueryOptions{Region: "global", Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if len(stubs) != 2 {
		t.Fatalf("List() returned %d allocations, want 2", len(stubs))
	}
	if meta.LastIndex == 0 || !meta.KnownLeader {
		t.Errorf("List() meta = %+v, want an index and a known leader", meta)
	}
	for _, s := range stubs {
		if s.JobID != "web" || s.JobType != "service" || s.TaskGroup != "web" || s.Namespace != "default" {
			t.Errorf("stub %s: job %q type %q group %q namespace %q", s.ID, s.JobID, s.JobType, s.TaskGroup, s.Namespace)
		}
		if s.NodeID != d.agent.Client().NodeID() || s.NodeName == "" {
			t.Errorf("stub %s: node %q (%q), want the agent's node", s.ID, s.NodeID, s.NodeName)
		}
		recent(t, "stub CreateTime", s.CreateTime)
		recent(t, "stub ModifyTime", s.ModifyTime)
		if ts := s.TaskStates["main"]; ts == nil || ts.State != "running" || ts.StartedAt.IsZero() {
			t.Errorf("stub %s: task state %+v, want running with StartedAt", s.ID, ts)
		}
	}

	// A namespace selects its allocations; "*" is every namespace's.
	for ns, want := range map[string]int{"default": 2, "*": 2, "other": 0} {
		got, _, err := d.api.Allocations().List(&nomad.QueryOptions{Namespace: ns})
		if err != nil || len(got) != want {
			t.Errorf("List(namespace %q) = %d allocations, %v; want %d", ns, len(got), err, want)
		}
	}

	// As in Nomad, resources=true adds each allocation's resources and
	// task_states=false leaves out the tasks' states.
	withRes, _, err := d.api.Allocations().List(&nomad.QueryOptions{Params: map[string]string{"resources": "true", "task_states": "false"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range withRes {
		if r := s.AllocatedResources; r == nil || r.Tasks["main"] == nil || r.Tasks["main"].Memory.MemoryMB != 300 {
			t.Errorf("List(resources=true) stub %s resources %+v, want main's 300 MB", s.ID, r)
		}
		if s.TaskStates != nil {
			t.Errorf("List(task_states=false) stub %s has task states %v", s.ID, s.TaskStates)
		}
	}
	if stubs[0].AllocatedResources != nil {
		t.Errorf("List() without resources=true has resources %+v", stubs[0].AllocatedResources)
	}

	// A prefix selects the allocations whose ID starts with it.
	a := allocs[0]
	got, _, err := d.api.Allocations().PrefixList(a.ID[:8])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != a.ID {
		t.Fatalf("PrefixList(%q) = %v, want only %s", a.ID[:8], stubIDs(got), a.ID)
	}
	none, _, err := d.api.Allocations().PrefixList("ffffffff-none")
	if err != nil || len(none) != 0 {
		t.Fatalf("PrefixList of no allocation = %v, %v; want none, no error", stubIDs(none), err)
	}

	info, meta, err := d.api.Allocations().Info(a.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if meta.LastIndex < info.ModifyIndex {
		t.Errorf("Info() index %d is older than the allocation's ModifyIndex %d", meta.LastIndex, info.ModifyIndex)
	}
	if info.Name != "web.web[0]" || info.JobID != "web" || info.EvalID == "" || info.ClientStatus != "running" || info.DesiredStatus != "run" {
		t.Errorf("Info(): name %q job %q eval %q status %s/%s", info.Name, info.JobID, info.EvalID, info.DesiredStatus, info.ClientStatus)
	}
	if info.Job == nil || info.Job.ID == nil || *info.Job.ID != "web" || len(info.Job.TaskGroups) != 1 {
		t.Fatalf("Info().Job = %+v, want the job web", info.Job)
	}
	if kt := info.Job.TaskGroups[0].Tasks[0].KillTimeout; kt == nil || *kt != time.Second {
		t.Errorf("Info().Job task KillTimeout = %v, want 1s", kt)
	}
	if info.GetTaskGroup() == nil {
		t.Errorf("Info().GetTaskGroup() found no group %q", info.TaskGroup)
	}
	if info.CreateIndex == 0 || info.ModifyIndex < info.CreateIndex || info.AllocModifyIndex == 0 {
		t.Errorf("Info() indexes create %d modify %d alloc-modify %d", info.CreateIndex, info.ModifyIndex, info.AllocModifyIndex)
	}
	recent(t, "CreateTime", info.CreateTime)
	recent(t, "ModifyTime", info.ModifyTime)
	res := info.AllocatedResources
	if res == nil || res.Tasks["main"] == nil || res.Tasks["main"].Cpu.CpuShares != 100 || res.Tasks["main"].Memory.MemoryMB != 300 {
		t.Errorf("Info().AllocatedResources = %+v, want main with 100 MHz and 300 MB", res)
	} else if res.Shared.DiskMB != 300 {
		t.Errorf("Info().AllocatedResources.Shared.DiskMB = %d, want 300", res.Shared.DiskMB)
	}
	if m := info.Metrics; m == nil || m.NodesEvaluated != 1 || m.NodesAvailable["dc1"] != 1 || m.AllocationTime <= 0 {
		t.Errorf("Info().Metrics = %+v, want one node evaluated in dc1 and an allocation time", m)
	}

	ts := info.TaskStates["main"]
	if ts == nil {
		t.Fatalf("Info().TaskStates = %v, want main", info.TaskStates)
	}
	if ts.State != "running" || ts.Failed || ts.Restarts != 0 || !ts.FinishedAt.IsZero() || !ts.LastRestart.IsZero() {
		t.Errorf("task state %+v, want running, not failed, never restarted or finished", ts)
	}
	if since := time.Since(ts.StartedAt); since < 0 || since > time.Minute {
		t.Errorf("task StartedAt = %v, want a time in the last minute", ts.StartedAt)
	}
	var types []string
	for _, e := range ts.Events {
		types = append(types, e.Type)
		recent(t, "event "+e.Type+" Time", e.Time)
		if e.DisplayMessage == "" {
			t.Errorf("event %s has no DisplayMessage", e.Type)
		}
	}
	if want := []string{nomad.TaskReceived, nomad.TaskSetup, nomad.TaskStarted}; !slices.Equal(types, want) {
		t.Errorf("task events %v, want %v", types, want)
	}

	// The list and the allocation tell the same story.
	stub := info.Stub()
	for _, s := range stubs {
		if s.ID == a.ID && (s.CreateIndex != stub.CreateIndex || s.JobVersion != stub.JobVersion || s.Name != stub.Name) {
			t.Errorf("list stub %+v differs from Info().Stub() %+v", s, stub)
		}
	}
}

func stubIDs(stubs []*nomad.AllocationListStub) []string {
	var ids []string
	for _, s := range stubs {
		ids = append(ids, s.ID)
	}
	return ids
}

// TestAllocsErrors: an unknown allocation is a 404 for every allocation
// call, and bad arguments are a 400 naming what was wrong.
func TestAllocsErrors(t *testing.T) {
	d := startDevAgent(t)
	a := runAllocJob(t, d, "web", 1)[0]
	unknown := &nomad.Allocation{ID: "00000000-0000-0000-0000-000000000000", NodeID: a.NodeID}

	_, _, err := d.api.Allocations().Info(unknown.ID, nil)
	wantStatus(t, "Info(unknown)", err, 404, "alloc not found")
	_, err = d.api.Allocations().Stop(unknown, nil)
	wantStatus(t, "Stop(unknown)", err, 404, "not found")
	err = d.api.Allocations().Restart(unknown, "", nil)
	wantStatus(t, "Restart(unknown)", err, 404, "not found")
	err = d.api.Allocations().Signal(unknown, nil, "", "SIGUSR1")
	wantStatus(t, "Signal(unknown)", err, 404, "not found")
	_, err = d.api.Allocations().Stats(unknown, nil)
	wantStatus(t, "Stats(unknown)", err, 404, "not found")
	_, _, err = d.api.AllocFS().List(unknown, "/", nil)
	wantStatus(t, "AllocFS().List(unknown)", err, 404, "not found")

	_, _, err = d.api.Allocations().List(&nomad.QueryOptions{Params: map[string]string{"resources": "maybe"}})
	wantStatus(t, "List(resources=maybe)", err, 400, "resources")
	_, _, err = d.api.Allocations().List(&nomad.QueryOptions{Params: map[string]string{"task_states": "maybe"}})
	wantStatus(t, "List(task_states=maybe)", err, 400, "task_states")

	// What drover does not have yet says so.
	_, _, err = d.api.Allocations().Services(a.ID, nil)
	wantStatus(t, "Services", err, 404, "no such API path")
	_, err = d.api.Allocations().Checks(a.ID, nil)
	wantStatus(t, "Checks", err, 404, "no such API path")
	_, _, err = d.api.Allocations().GetPauseState(a, nil, "main")
	wantStatus(t, "GetPauseState", err, 404, "no such API path")

	err = d.api.Allocations().Restart(a, "nosuch", nil)
	wantStatus(t, "Restart(task nosuch)", err, 400, `no task`)
	err = d.api.Allocations().Signal(a, nil, "main", "SIGNOPE")
	wantStatus(t, "Signal(SIGNOPE)", err, 400, "SIGNOPE")
	err = d.api.Allocations().Signal(a, nil, "nosuch", "SIGUSR1")
	wantStatus(t, "Signal(task nosuch)", err, 400, `no task`)
}

// TestAllocsStop: Stop answers the evaluation that replaces the
// allocation and its write index; a blocking Info wakes with the stopped
// allocation, and the replacement names it as its previous allocation.
func TestAllocsStop(t *testing.T) {
	d := startDevAgent(t)
	a := runAllocJob(t, d, "web", 1)[0]
	_, meta, err := d.api.Allocations().Info(a.ID, nil)
	if err != nil {
		t.Fatal(err)
	}

	type result struct {
		alloc *nomad.Allocation
		meta  *nomad.QueryMeta
		err   error
	}
	woke := make(chan result, 1)
	go func() {
		// Each answer is a change after the index waited from; the
		// client's own updates may come before the stop.
		index := meta.LastIndex
		for {
			al, m, err := d.api.Allocations().Info(a.ID, &nomad.QueryOptions{WaitIndex: index, WaitTime: 20 * time.Second})
			if err == nil && m.LastIndex <= index {
				err = fmt.Errorf("blocking Info from index %d answered index %d", index, m.LastIndex)
			}
			if err != nil || al.DesiredStatus != nomad.AllocDesiredStatusRun {
				woke <- result{al, m, err}
				return
			}
			index = m.LastIndex
		}
	}()

	resp, err := d.api.Allocations().Stop(a, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.EvalID == "" || resp.LastIndex <= meta.LastIndex {
		t.Fatalf("Stop() = EvalID %q index %d, want an evaluation and an index after %d", resp.EvalID, resp.LastIndex, meta.LastIndex)
	}
	ev, _, err := d.api.Evaluations().Info(resp.EvalID, nil)
	if err != nil {
		t.Fatalf("the stop's evaluation: %v", err)
	}
	if ev.JobID != "web" {
		t.Errorf("the stop's evaluation is for job %q, want web", ev.JobID)
	}

	var r result
	select {
	case r = <-woke:
	case <-time.After(30 * time.Second):
		t.Fatal("a blocking Info did not wake when the allocation was stopped")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.meta.LastIndex <= meta.LastIndex || r.alloc.DesiredStatus != nomad.AllocDesiredStatusStop {
		t.Errorf("blocking Info woke at index %d (waited from %d) with desired status %q, want a later index and stop",
			r.meta.LastIndex, meta.LastIndex, r.alloc.DesiredStatus)
	}
	if !r.alloc.DesiredTransition.ShouldReschedule() {
		t.Errorf("stopped allocation's DesiredTransition = %+v, want Reschedule", r.alloc.DesiredTransition)
	}

	testutil.WaitFor(t, 30*time.Second, func() error {
		stubs, _, err := d.api.Jobs().Allocations("web", true, nil)
		if err != nil {
			return err
		}
		for _, s := range stubs {
			if s.ID == a.ID {
				continue
			}
			full, _, err := d.api.Allocations().Info(s.ID, nil)
			if err != nil {
				return err
			}
			if full.PreviousAllocation != a.ID {
				return fmt.Errorf("allocation %s has PreviousAllocation %q, want %s", s.ID, full.PreviousAllocation, a.ID)
			}
			for _, old := range stubs {
				if old.ID == a.ID && old.NextAllocation != s.ID {
					return fmt.Errorf("stopped allocation's stub has NextAllocation %q, want %s", old.NextAllocation, s.ID)
				}
			}
			return nil
		}
		return fmt.Errorf("no replacement of %s yet", a.ID)
	})
	testutil.WaitFor(t, 30*time.Second, func() error {
		old, _, err := d.api.Allocations().Info(a.ID, nil)
		if err != nil {
			return err
		}
		if !old.ClientTerminalStatus() || old.TaskStates["main"].FinishedAt.IsZero() {
			return fmt.Errorf("stopped allocation is %s, task finished at %v", old.ClientStatus, old.TaskStates["main"].FinishedAt)
		}
		return nil
	})
}

// TestAllocsRestartAndSignal: Restart restarts the task in place (its
// Restarts count, LastRestart and a Restart Signaled event show it), and
// Signal reaches the task and is recorded as a Signaling event.
func TestAllocsRestartAndSignal(t *testing.T) {
	d := startDevAgent(t)
	a := runAllocJob(t, d, "web", 1)[0]
	started := a.TaskStates["main"].StartedAt

	if err := d.api.Allocations().Signal(a, nil, "main", "SIGUSR1"); err != nil {
		t.Fatalf("Signal: %v", err)
	}
	testutil.WaitFor(t, 20*time.Second, func() error {
		out, err := catFile(d, a, "alloc/logs/main.stdout")
		if err != nil {
			return err
		}
		if !strings.Contains(out, "got-usr1") {
			return fmt.Errorf("task's stdout %q does not show the signal", out)
		}
		return nil
	})
	var info *nomad.Allocation
	testutil.WaitFor(t, 20*time.Second, func() error {
		var err error
		if info, _, err = d.api.Allocations().Info(a.ID, nil); err != nil {
			return err
		}
		if lastEvent(info, "main", nomad.TaskSignaling) == nil {
			return fmt.Errorf("no %q event after Signal: %v", nomad.TaskSignaling, eventTypes(info, "main"))
		}
		return nil
	})

	before := time.Now()
	if err := d.api.Allocations().Restart(a, "main", nil); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	testutil.WaitFor(t, 30*time.Second, func() error {
		var err error
		info, _, err = d.api.Allocations().Info(a.ID, nil)
		if err != nil {
			return err
		}
		ts := info.TaskStates["main"]
		if ts.Restarts != 1 || ts.State != "running" || !ts.StartedAt.After(started) {
			return fmt.Errorf("task state %s, %d restarts, started at %v", ts.State, ts.Restarts, ts.StartedAt)
		}
		return nil
	})
	ts := info.TaskStates["main"]
	if ts.LastRestart.Before(before.Add(-time.Second)) || ts.LastRestart.After(time.Now()) {
		t.Errorf("LastRestart = %v, want the time of the restart (after %v)", ts.LastRestart, before)
	}
	if lastEvent(info, "main", nomad.TaskRestartSignal) == nil {
		t.Errorf("no %q event after Restart: %v", nomad.TaskRestartSignal, eventTypes(info, "main"))
	}
	if info.ClientStatus != nomad.AllocClientStatusRunning || info.ID != a.ID {
		t.Errorf("after Restart the allocation is %s %s, want the same one running", info.ID, info.ClientStatus)
	}

	// RestartAllTasks (Nomad's AllTasks) restarts every task.
	if err := d.api.Allocations().RestartAllTasks(a, nil); err != nil {
		t.Fatalf("RestartAllTasks: %v", err)
	}
	testutil.WaitFor(t, 30*time.Second, func() error {
		var err error
		info, _, err = d.api.Allocations().Info(a.ID, nil)
		if err != nil {
			return err
		}
		if ts := info.TaskStates["main"]; ts.Restarts != 2 || ts.State != "running" {
			return fmt.Errorf("task state %s, %d restarts", ts.State, ts.Restarts)
		}
		return nil
	})
}

func lastEvent(a *nomad.Allocation, task, typ string) *nomad.TaskEvent {
	ts := a.TaskStates[task]
	if ts == nil {
		return nil
	}
	for i := len(ts.Events) - 1; i >= 0; i-- {
		if ts.Events[i].Type == typ {
			return ts.Events[i]
		}
	}
	return nil
}

func eventTypes(a *nomad.Allocation, task string) []string {
	var types []string
	if ts := a.TaskStates[task]; ts != nil {
		for _, e := range ts.Events {
			types = append(types, e.Type)
		}
	}
	return types
}

// TestAllocsStats: Stats decodes the running task's memory and CPU usage
// with nanosecond timestamps; a stopped allocation's stats are refused
// with a 409 that says why.
func TestAllocsStats(t *testing.T) {
	d := startDevAgent(t)
	a := runAllocJob(t, d, "web", 1)[0]

	var usage *nomad.AllocResourceUsage
	testutil.WaitFor(t, 20*time.Second, func() error {
		var err error
		usage, err = d.api.Allocations().Stats(a, nil)
		if err != nil {
			return err
		}
		if tu := usage.Tasks["main"]; tu == nil || tu.ResourceUsage == nil || tu.ResourceUsage.MemoryStats == nil {
			return fmt.Errorf("no usage of task main yet: %+v", usage.Tasks)
		}
		return nil
	})
	tu := usage.Tasks["main"]
	recent(t, "Stats().Timestamp", usage.Timestamp)
	recent(t, "Stats().Tasks[main].Timestamp", tu.Timestamp)
	mem := tu.ResourceUsage.MemoryStats
	if mem.RSS == 0 || !slices.Contains(mem.Measured, "RSS") {
		t.Errorf("task memory %+v, want a measured RSS", mem)
	}
	if cpu := tu.ResourceUsage.CpuStats; cpu == nil || len(cpu.Measured) == 0 {
		t.Errorf("task CPU %+v, want measured fields", cpu)
	}
	if sum := usage.ResourceUsage; sum == nil || sum.MemoryStats == nil || sum.MemoryStats.RSS != mem.RSS {
		t.Errorf("allocation usage %+v, want the sum of its one task's (RSS %d)", sum, mem.RSS)
	}

	if _, err := d.api.Allocations().Stop(a, nil); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 30*time.Second, func() error {
		_, err := d.api.Allocations().Stats(a, nil)
		if statusOf(err) != 409 {
			return fmt.Errorf("Stats of a stopped allocation: %v, want a 409", err)
		}
		if !strings.Contains(err.Error(), "no resource usage") {
			t.Fatalf("Stats of a stopped allocation: %q does not say why", err)
		}
		return nil
	})
}

// TestAllocsFailedTask: a task that exits non-zero with no restarts left
// fails its allocation; Nomad's client decodes the dead task's state, its
// finish time and the Terminated event with the exit code.
func TestAllocsFailedTask(t *testing.T) {
	d := startDevAgent(t)
	job := nomad.NewBatchJob("fail", "fail", "global", 50)
	job.Datacenters = []string{"dc1"}
	tg := nomad.NewTaskGroup("g", 1)
	zero, delay, mode := 0, time.Second, "fail"
	tg.RestartPolicy = &nomad.RestartPolicy{Attempts: &zero, Delay: &delay, Mode: &mode}
	no := false
	tg.ReschedulePolicy = &nomad.ReschedulePolicy{Attempts: &zero, Unlimited: &no}
	task := nomad.NewTask("main", "raw_exec")
	task.Config = map[string]any{"command": "/bin/sh", "args": []string{"-c", "echo bye; exit 3"}}
	tg.AddTask(task)
	job.AddTaskGroup(tg)
	if _, _, err := d.api.Jobs().Register(job, nil); err != nil {
		t.Fatal(err)
	}
	var a *nomad.Allocation
	testutil.WaitFor(t, 30*time.Second, func() error {
		stubs, _, err := d.api.Jobs().Allocations("fail", false, nil)
		if err != nil {
			return err
		}
		if len(stubs) != 1 || stubs[0].ClientStatus != nomad.AllocClientStatusFailed {
			return fmt.Errorf("allocations %v, want one failed", stubIDs(stubs))
		}
		a, _, err = d.api.Allocations().Info(stubs[0].ID, nil)
		return err
	})
	ts := a.TaskStates["main"]
	if ts == nil || ts.State != "dead" || !ts.Failed || ts.StartedAt.IsZero() || ts.FinishedAt.Before(ts.StartedAt) {
		t.Fatalf("task state %+v, want dead, failed, finished after it started", ts)
	}
	e := lastEvent(a, "main", nomad.TaskTerminated)
	if e == nil {
		t.Fatalf("no %q event: %v", nomad.TaskTerminated, eventTypes(a, "main"))
	}
	if e.ExitCode != 3 || !strings.Contains(e.DisplayMessage, "3") {
		t.Errorf("Terminated event exit code %d, message %q; want 3", e.ExitCode, e.DisplayMessage)
	}
	if !a.ClientTerminalStatus() || a.ClientDescription == "" {
		t.Errorf("allocation %s (%q), want terminal with a description", a.ClientStatus, a.ClientDescription)
	}
	if out, err := catFile(d, a, "alloc/logs/main.stdout"); err != nil || out != "bye\n" {
		t.Errorf("a failed task's stdout = %q, %v; want %q", out, err, "bye\n")
	}
}
