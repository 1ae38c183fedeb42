package drover

import (
	"testing"
	"time"
)

func TestDrainStrategyDeadlinePassed(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		ds   *DrainStrategy
		now  time.Time
		want bool
	}{
		{"nil strategy", nil, start, false},
		{"no deadline", &DrainStrategy{StartedAt: start}, start.Add(1000 * time.Hour), false},
		{"force now", &DrainStrategy{Deadline: -1, StartedAt: start}, start, true},
		{"before the deadline", &DrainStrategy{Deadline: time.Hour, ForceDeadline: start.Add(time.Hour)}, start.Add(59 * time.Minute), false},
		{"at the deadline", &DrainStrategy{Deadline: time.Hour, ForceDeadline: start.Add(time.Hour)}, start.Add(time.Hour), true},
		{"after the deadline", &DrainStrategy{Deadline: time.Hour, ForceDeadline: start.Add(time.Hour)}, start.Add(2 * time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ds.DeadlinePassed(tt.now); got != tt.want {
				t.Errorf("DeadlinePassed = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAllocationHealthyAt(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	job := &Job{TaskGroups: []*TaskGroup{{Name: "g", Tasks: []*Task{
		{Name: "main"},
		{Name: "init", Lifecycle: &TaskLifecycleConfig{Hook: TaskLifecycleHookPrestart}},
		{Name: "side", Lifecycle: &TaskLifecycleConfig{Hook: TaskLifecycleHookPrestart, Sidecar: true}},
	}}}}
	running := func(at time.Time) *TaskState { return &TaskState{State: TaskStateRunning, StartedAt: at} }
	alloc := func(client string, states map[string]*TaskState) *Allocation {
		return &Allocation{Job: job, TaskGroup: "g", ClientStatus: client, TaskStates: states}
	}
	tests := []struct {
		name   string
		a      *Allocation
		wantAt time.Time
		wantOK bool
	}{
		{"all running: the last start counts", alloc(AllocClientStatusRunning, map[string]*TaskState{
			"main": running(t0), "init": running(t0.Add(time.Second)), "side": running(t0)}), t0.Add(11 * time.Second), true},
		{"finished prestart task", alloc(AllocClientStatusRunning, map[string]*TaskState{
			"main": running(t0), "init": {State: TaskStateDead}, "side": running(t0)}), t0.Add(10 * time.Second), true},
		{"failed prestart task", alloc(AllocClientStatusRunning, map[string]*TaskState{
			"main": running(t0), "init": {State: TaskStateDead, Failed: true}, "side": running(t0)}), time.Time{}, false},
		{"dead sidecar", alloc(AllocClientStatusRunning, map[string]*TaskState{
			"main": running(t0), "init": running(t0), "side": {State: TaskStateDead}}), time.Time{}, false},
		{"task state missing", alloc(AllocClientStatusRunning, map[string]*TaskState{
			"main": running(t0), "init": running(t0)}), time.Time{}, false},
		{"task pending", alloc(AllocClientStatusRunning, map[string]*TaskState{
			"main": {State: TaskStatePending}, "init": running(t0), "side": running(t0)}), time.Time{}, false},
		{"no start time", alloc(AllocClientStatusRunning, map[string]*TaskState{
			"main": {State: TaskStateRunning}, "init": running(t0), "side": running(t0)}), time.Time{}, false},
		{"allocation pending", alloc(AllocClientStatusPending, map[string]*TaskState{
			"main": running(t0), "init": running(t0), "side": running(t0)}), time.Time{}, false},
		{"no task states", alloc(AllocClientStatusRunning, nil), time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, ok := tt.a.HealthyAt(10 * time.Second)
			if ok != tt.wantOK || !at.Equal(tt.wantAt) {
				t.Errorf("HealthyAt = %v, %v; want %v, %v", at, ok, tt.wantAt, tt.wantOK)
			}
			if ok && (tt.a.HealthyFor(at.Add(-time.Nanosecond), 10*time.Second) || !tt.a.HealthyFor(at, 10*time.Second)) {
				t.Errorf("HealthyFor disagrees with HealthyAt %v", at)
			}
		})
	}
}

// A poststop task waits, pending, until the other tasks are dead: it does
// not keep a running allocation from being healthy.
func TestAllocationHealthyAtIgnoresWaitingPoststop(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	job := &Job{TaskGroups: []*TaskGroup{{Name: "g", Tasks: []*Task{
		{Name: "main"},
		{Name: "post", Lifecycle: &TaskLifecycleConfig{Hook: TaskLifecycleHookPoststop}},
	}}}}
	a := &Allocation{Job: job, TaskGroup: "g", ClientStatus: AllocClientStatusRunning, TaskStates: map[string]*TaskState{
		"main": {State: TaskStateRunning, StartedAt: t0}, "post": {State: TaskStatePending}}}
	if at, ok := a.HealthyAt(time.Second); !ok || !at.Equal(t0.Add(time.Second)) {
		t.Fatalf("HealthyAt = %v, %v", at, ok)
	}
	a.TaskStates["post"] = &TaskState{State: TaskStateRunning}
	if _, ok := a.HealthyAt(time.Second); ok {
		t.Fatal("healthy while the poststop task runs without a start time")
	}
}
