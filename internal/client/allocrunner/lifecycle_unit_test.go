package allocrunner

import (
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/driver"
)

// group is the task list these tests use: a prestart task, a prestart
// sidecar, a leader main task, another main task, a poststart task, a
// poststart sidecar and a poststop task.
func lifecycleGroup() []*drover.Task {
	lead := lcTask("lead", "", false, nil)
	lead.Leader = true
	return []*drover.Task{
		lcTask("init", drover.TaskLifecycleHookPrestart, false, nil),
		lcTask("proxy", drover.TaskLifecycleHookPrestart, true, nil),
		lead,
		lcTask("web", "", false, nil),
		lcTask("warm", drover.TaskLifecycleHookPoststart, false, nil),
		lcTask("ship", drover.TaskLifecycleHookPoststart, true, nil),
		lcTask("post", drover.TaskLifecycleHookPoststop, false, nil),
	}
}

const (
	P = drover.TaskStatePending
	R = drover.TaskStateRunning
	D = drover.TaskStateDead
	F = "failed" // dead and failed
)

// states builds task states from "name=state" pairs; unnamed tasks of the
// group are pending.
func states(pairs ...string) map[string]*drover.TaskState {
	m := map[string]*drover.TaskState{}
	for _, t := range lifecycleGroup() {
		m[t.Name] = &drover.TaskState{State: P}
	}
	for i := 0; i < len(pairs); i += 2 {
		s := &drover.TaskState{State: pairs[i+1]}
		if s.State == F {
			s.State, s.Failed = D, true
		}
		m[pairs[i]] = s
	}
	return m
}

func TestNextPhase(t *testing.T) {
	tasks := lifecycleGroup()
	tests := []struct {
		name     string
		cur      phase
		stopping bool
		states   map[string]*drover.TaskState
		want     phase
	}{
		{"nothing started", phasePrestart, false, states(), phasePrestart},
		{"prestart still running", phasePrestart, false, states("init", R, "proxy", R), phasePrestart},
		{"sidecar not yet running", phasePrestart, false, states("init", D), phasePrestart},
		{"failed prestart blocks main", phasePrestart, false, states("init", F, "proxy", R), phasePrestart},
		{"prestart done", phasePrestart, false, states("init", D, "proxy", R), phaseMain},
		{"one main still pending", phaseMain, false, states("init", D, "proxy", R, "lead", R), phaseMain},
		{"mains running", phaseMain, false, states("init", D, "proxy", R, "lead", R, "web", R), phasePoststart},
		{"a main that finished counts as started", phaseMain, false, states("init", D, "proxy", R, "lead", D, "web", R), phasePoststart},
		{"restored mid-run goes all the way", phasePrestart, false, states("init", D, "proxy", R, "lead", R, "web", R), phasePoststart},
		{"a phase is never left", phasePoststart, false, states("init", D, "proxy", P, "lead", P, "web", R), phasePoststart},
		{"stopping blocks main", phasePrestart, true, states("init", D, "proxy", R), phasePrestart},
		{"stopping blocks poststart", phaseMain, true, states("init", D, "proxy", R, "lead", R, "web", R), phaseMain},
		{"all but poststop dead", phaseMain, false, states("init", D, "proxy", D, "lead", D, "web", D, "warm", D, "ship", D), phasePoststop},
		{"all dead while stopping", phasePrestart, true, states("init", F, "proxy", D, "lead", D, "web", D, "warm", D, "ship", D), phasePoststop},
		{"poststart still running", phasePoststart, false, states("init", D, "proxy", D, "lead", D, "web", D, "warm", R, "ship", D), phasePoststart},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nextPhase(tt.cur, tt.stopping, tasks, tt.states); got != tt.want {
				t.Fatalf("nextPhase = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSelfStopCause(t *testing.T) {
	tasks := lifecycleGroup()
	tests := []struct {
		name   string
		states map[string]*drover.TaskState
		want   string // event type; "" for no stop
	}{
		{"all running", states("init", D, "proxy", R, "lead", R, "web", R, "warm", D, "ship", R), ""},
		{"a main task done, another running", states("init", D, "proxy", R, "lead", R, "web", D, "ship", R), ""},
		{"failed task", states("init", F, "proxy", R), drover.TaskSiblingFailed},
		{"failure wins over the leader", states("init", D, "proxy", R, "lead", D, "web", F), drover.TaskSiblingFailed},
		{"leader done", states("init", D, "proxy", R, "lead", D, "web", R), drover.TaskLeaderDead},
		{"only sidecars left", states("init", D, "proxy", R, "lead", F, "web", D, "warm", D, "ship", R), drover.TaskSiblingFailed},
		{"a main task still pending keeps the sidecars", states("init", D, "proxy", R, "web", D, "warm", D, "ship", R, "lead", P), ""},
		{"the leader is done while a poststart task runs", states("init", D, "proxy", R, "web", D, "warm", R, "ship", R, "lead", D), drover.TaskLeaderDead},
		{"nothing left to stop", states("init", F, "proxy", D, "lead", D, "web", D, "warm", D, "ship", D), ""},
		{"failed poststop stops nothing", states("init", D, "proxy", D, "lead", D, "web", D, "warm", D, "ship", D, "post", F), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cause, ok := selfStopCause(tasks, tt.states)
			if ok != (tt.want != "") || cause.event != tt.want {
				t.Fatalf("cause %+v %v, want %q", cause, ok, tt.want)
			}
		})
	}
	// Without a leader, the main tasks' end stops the sidecars.
	noLeader := lifecycleGroup()
	noLeader[2].Leader = false
	cause, ok := selfStopCause(noLeader, states("init", D, "proxy", R, "lead", D, "web", D, "warm", D, "ship", R))
	if !ok || cause.event != drover.TaskMainDead {
		t.Fatalf("main dead: %+v %v", cause, ok)
	}
	if _, ok := selfStopCause(noLeader, states("init", D, "proxy", R, "lead", D, "web", D, "warm", R, "ship", R)); ok {
		t.Fatal("sidecars stopped while a poststart task still runs")
	}
}

func TestComputeStatusWithLifecycle(t *testing.T) {
	tasks := lifecycleGroup()
	tests := []struct {
		name   string
		states map[string]*drover.TaskState
		want   string
	}{
		{"nothing started", states(), drover.AllocClientStatusPending},
		{"prestart running", states("init", R), drover.AllocClientStatusRunning},
		{"between prestart and main", states("init", D, "proxy", D), drover.AllocClientStatusPending},
		{"poststop waits while mains run", states("init", D, "proxy", R, "lead", R, "web", R, "warm", D, "ship", R), drover.AllocClientStatusRunning},
		{"poststop about to run", states("init", D, "proxy", D, "lead", D, "web", D, "warm", D, "ship", D), drover.AllocClientStatusRunning},
		{"all done", states("init", D, "proxy", D, "lead", D, "web", D, "warm", D, "ship", D, "post", D), drover.AllocClientStatusComplete},
		{"a failure wins", states("init", F, "proxy", R), drover.AllocClientStatusFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := computeStatus(tasks, tt.states); got != tt.want {
				t.Fatalf("status %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRestartTrackerForLifecycle(t *testing.T) {
	policy := &drover.RestartPolicy{Attempts: 2, Interval: time.Minute, Delay: time.Second, Mode: drover.RestartModeFail}
	ok := &driver.ExitResult{}
	tests := []struct {
		name    string
		jobType string
		lc      *drover.TaskLifecycleConfig
		restart bool
	}{
		{"main task of a service job", drover.JobTypeService, nil, true},
		{"main task of a batch job", drover.JobTypeBatch, nil, false},
		{"prestart task of a service job", drover.JobTypeService, &drover.TaskLifecycleConfig{Hook: "prestart"}, false},
		{"poststart task of a service job", drover.JobTypeService, &drover.TaskLifecycleConfig{Hook: "poststart"}, false},
		{"poststop task of a service job", drover.JobTypeService, &drover.TaskLifecycleConfig{Hook: "poststop"}, false},
		{"prestart sidecar of a batch job", drover.JobTypeBatch, &drover.TaskLifecycleConfig{Hook: "prestart", Sidecar: true}, true},
		{"poststart sidecar of a batch job", drover.JobTypeBatch, &drover.TaskLifecycleConfig{Hook: "poststart", Sidecar: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := NewRestartTracker(policy, tt.jobType, nil).ForLifecycle(tt.lc)
			if d := rt.OnExit(ok); d.Restart != tt.restart || d.Failed {
				t.Fatalf("decision after success %+v, want restart %v", d, tt.restart)
			}
			// A failure is restarted per the policy whatever the lifecycle.
			if d := rt.OnExit(&driver.ExitResult{ExitCode: 1}); !d.Restart {
				t.Fatalf("decision after failure %+v", d)
			}
		})
	}
}
