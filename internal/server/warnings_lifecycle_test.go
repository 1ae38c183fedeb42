package server

import (
	"testing"
	"time"

	"github.com/drover-sh/drover"
)

// lifecycle and shutdown_delay are acted on by the client: never warned
// about.
func TestLifecycleAndShutdownDelayNotWarned(t *testing.T) {
	delay := 5 * time.Second
	job := &drover.Job{ID: "j", TaskGroups: []*drover.TaskGroup{{Name: "g", ShutdownDelay: &delay, Tasks: []*drover.Task{
		{Name: "init", Lifecycle: &drover.TaskLifecycleConfig{Hook: drover.TaskLifecycleHookPrestart}},
		{Name: "side", Lifecycle: &drover.TaskLifecycleConfig{Hook: drover.TaskLifecycleHookPoststart, Sidecar: true}},
		{Name: "main", ShutdownDelay: time.Second, Leader: true},
		{Name: "post", Lifecycle: &drover.TaskLifecycleConfig{Hook: drover.TaskLifecycleHookPoststop}},
	}}}}
	if w := notActedOnWarnings(job); len(w) != 0 {
		t.Errorf("warnings %v", w)
	}
}
