package allocrunner

import (
	"testing"

	"github.com/drover-sh/drover"
)

// TestRunningTasks lists a task while its driver runs it, with the ID of
// the current run, and not once it is dead.
func TestRunningTasks(t *testing.T) {
	alloc := testAlloc(drover.JobTypeBatch, noRestart,
		&drover.Task{Name: "web", Config: map[string]any{}},
		&drover.Task{Name: "once", Config: map[string]any{"run_for": "1ms"}})
	h := newHarness(t, alloc)
	if got := h.ar.RunningTasks(); len(got) != 0 {
		t.Fatalf("before Run: %+v", got)
	}
	h.ar.Run()
	waitFor(t, "only web running", func() bool {
		got := h.ar.RunningTasks()
		return len(got) == 1 && got[0].Name == "web" && h.ar.Alloc().TaskStates["once"].State == drover.TaskStateDead
	})
	rt := h.ar.RunningTasks()[0]
	if rt.Driver != h.drv {
		t.Errorf("driver %v, want the task's", rt.Driver)
	}
	if st, err := h.drv.InspectTask(rt.TaskID); err != nil || st.State != "running" {
		t.Errorf("TaskID %q is not the driver's running task: %v %v", rt.TaskID, st, err)
	}
	h.ar.Kill()
	if got := h.ar.RunningTasks(); len(got) != 0 {
		t.Fatalf("after Kill: %+v", got)
	}
}
