package allocrunner

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/clientstate"
	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/driver/rawexec"
	"github.com/drover-sh/drover/internal/testutil"
)

// The client's max_kill_timeout caps a task's kill_timeout: a task that
// ignores its kill signal and asks for an hour is force-killed after the
// cap, and its Killing event says so.
func TestMaxKillTimeoutCapsKillTimeout(t *testing.T) {
	d := rawexec.New(nil, rawexec.Config{Enabled: true})
	root := testutil.AllocRoot(t)
	ready := filepath.Join(root, "ready")
	alloc := testAlloc(drover.JobTypeService, noRestart, &drover.Task{Name: "stubborn", Driver: rawexec.Name,
		Config: map[string]any{"command": "/bin/sh", "args": []any{"-c", "trap '' INT TERM; touch " + ready + "; while :; do sleep 0.1; done"}}})
	task := alloc.Job.TaskGroups[0].Tasks[0]
	task.KillTimeout = time.Hour
	const limit = 300 * time.Millisecond
	ar, err := New(Config{Alloc: alloc, Drivers: driver.NewRegistry(d), AllocRoot: root,
		State: clientstate.NewMemory(), Path: os.Getenv("PATH"), MaxKillTimeout: limit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ar.Kill)
	ar.Run()
	waitFor(t, "the task to trap its signals", func() bool { _, err := os.Stat(ready); return err == nil })
	stop := *ar.alloc()
	stop.DesiredStatus = drover.AllocDesiredStatusStop
	ar.Update(&stop)
	// Without the cap the task would hold out for an hour.
	waitFor(t, "the task to be force-killed", func() bool { return ar.Alloc().ClientStatus == drover.AllocClientStatusComplete })
	ev := hasEvent(ar.Alloc().TaskStates["stubborn"], drover.TaskKilling)
	if ev == nil || ev.KillTimeout != limit {
		t.Fatalf("Killing event %+v, want kill timeout %s", ev, limit)
	}
	// A kill_timeout under the cap is kept.
	tr := &taskRunner{cfg: &Config{MaxKillTimeout: limit}, task: &drover.Task{KillTimeout: 100 * time.Millisecond}}
	if got := tr.killTimeout(); got != 100*time.Millisecond {
		t.Fatalf("kill timeout under the cap became %s", got)
	}
	tr = &taskRunner{cfg: &Config{}, task: &drover.Task{KillTimeout: time.Hour}}
	if got := tr.killTimeout(); got != time.Hour {
		t.Fatalf("no cap configured: kill timeout became %s", got)
	}
}
