package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	drover "github.com/drover-sh/drover"
)

func TestAllocStatusLifecycleLabels(t *testing.T) {
	job := &drover.Job{ID: "web", TaskGroups: []*drover.TaskGroup{{Name: "web", Tasks: []*drover.Task{
		{Name: "init", Lifecycle: &drover.TaskLifecycleConfig{Hook: drover.TaskLifecycleHookPrestart}},
		{Name: "proxy", Lifecycle: &drover.TaskLifecycleConfig{Hook: drover.TaskLifecycleHookPrestart, Sidecar: true}},
		{Name: "main"},
		{Name: "post", Lifecycle: &drover.TaskLifecycleConfig{Hook: drover.TaskLifecycleHookPoststop}},
	}}}}
	a := &drover.Allocation{ID: "a1", Name: "web.web[0]", Job: job, TaskGroup: "web", ClientStatus: drover.AllocClientStatusRunning,
		TaskStates: map[string]*drover.TaskState{
			"init": {State: drover.TaskStateDead}, "proxy": {State: drover.TaskStateRunning},
			"main": {State: drover.TaskStateRunning}, "post": {State: drover.TaskStatePending},
			"gone": {State: drover.TaskStateDead}, // in no group of the job
		}}
	var buf bytes.Buffer
	writeAllocStatus(&buf, time.Unix(1_700_000_000, 0), a, false)
	out := buf.String()
	for _, want := range []string{`Task "init" (prestart) is "dead"`, `Task "proxy" (prestart sidecar) is "running"`,
		`Task "main" is "running"`, `Task "post" (poststop) is "pending"`, `Task "gone" is "dead"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
