package allocrunner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/clientstate"
	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/driver/mock"
	"github.com/drover-sh/drover/internal/driver/rawexec"
	"github.com/drover-sh/drover/internal/testutil"
)

// runWith runs alloc with the real driver d and returns the final state
// once the allocation reaches want.
func runWith(t *testing.T, d driver.Driver, alloc *drover.Allocation, want string, whileRunning func(*AllocRunner)) (*drover.Allocation, string) {
	t.Helper()
	rec := &recorder{}
	root := testutil.AllocRoot(t)
	ar, err := New(Config{Alloc: alloc, Drivers: driver.NewRegistry(d), AllocRoot: root,
		State: clientstate.NewMemory(), OnUpdate: rec.add, Path: os.Getenv("PATH")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ar.Kill)
	ar.Run()
	if whileRunning != nil {
		waitFor(t, "running", func() bool { return ar.Alloc().ClientStatus == drover.AllocClientStatusRunning })
		whileRunning(ar)
	}
	waitFor(t, "status "+want, func() bool { return ar.Alloc().ClientStatus == want })
	return ar.Alloc(), filepath.Join(root, alloc.ID)
}

// twice restarts a task twice, quickly, then fails it.
var twice = &drover.RestartPolicy{Attempts: 2, Interval: time.Hour, Delay: time.Millisecond, Mode: drover.RestartModeFail}

func TestWithMockDriver(t *testing.T) {
	stop := func(ar *AllocRunner) {
		a := *ar.alloc()
		a.DesiredStatus = drover.AllocDesiredStatusStop
		ar.Update(&a)
	}
	tests := []struct {
		name         string
		jobType      string
		config       map[string]any
		whileRunning func(*AllocRunner)
		want         string
		restarts     uint64
		event        string
	}{
		{"batch exits 0", drover.JobTypeBatch, map[string]any{"run_for": "20ms", "stdout_string": "done ${NOMAD_ALLOC_INDEX}"}, nil,
			drover.AllocClientStatusComplete, 0, drover.TaskTerminated},
		{"non-recoverable start error", drover.JobTypeService, map[string]any{"start_error": "no such image"}, nil,
			drover.AllocClientStatusFailed, 0, drover.TaskDriverFailure},
		{"recoverable start error uses the policy", drover.JobTypeService, map[string]any{"start_error": "busy", "start_error_recoverable": true}, nil,
			drover.AllocClientStatusFailed, 2, drover.TaskNotRestarting},
		{"failing batch restarts then fails", drover.JobTypeBatch, map[string]any{"run_for": "1ms", "exit_code": 2}, nil,
			drover.AllocClientStatusFailed, 2, drover.TaskNotRestarting},
		{"stopped service", drover.JobTypeService, map[string]any{}, stop,
			drover.AllocClientStatusComplete, 0, drover.TaskKilled},
		{"unknown config key fails validation", drover.JobTypeService, map[string]any{"nope": 1}, nil,
			drover.AllocClientStatusFailed, 0, drover.TaskFailedValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alloc := testAlloc(tt.jobType, twice, &drover.Task{Name: "t", Driver: mock.Name, Config: tt.config})
			got, dir := runWith(t, mock.New(nil), alloc, tt.want, tt.whileRunning)
			ts := got.TaskStates["t"]
			if ts.Restarts != tt.restarts || hasEvent(ts, tt.event) == nil {
				t.Fatalf("restarts %d (want %d), events %v (want %s)", ts.Restarts, tt.restarts, eventTypes(ts), tt.event)
			}
			if s, ok := tt.config["stdout_string"]; ok {
				out, _ := os.ReadFile(filepath.Join(dir, "alloc/logs/t.stdout"))
				if want := strings.ReplaceAll(s.(string), "${NOMAD_ALLOC_INDEX}", "0"); !strings.HasPrefix(string(out), want) {
					t.Fatalf("stdout %q, want %q", out, want)
				}
			}
		})
	}
}

func TestWithRawExec(t *testing.T) {
	d := rawexec.New(nil, rawexec.Config{Enabled: true})
	t.Run("batch command", func(t *testing.T) {
		alloc := testAlloc(drover.JobTypeBatch, noRestart, &drover.Task{Name: "t", Driver: rawexec.Name,
			Env:    map[string]string{"GREETING": "hello"},
			Config: map[string]any{"command": "/bin/sh", "args": []any{"-c", "echo $GREETING $NOMAD_TASK_NAME; pwd"}}})
		got, dir := runWith(t, d, alloc, drover.AllocClientStatusComplete, nil)
		if ts := got.TaskStates["t"]; ts.Failed {
			t.Fatalf("events %v", eventTypes(ts))
		}
		out, _ := os.ReadFile(filepath.Join(dir, "alloc/logs/t.stdout"))
		if want := "hello t\n" + filepath.Join(dir, "t") + "\n"; string(out) != want {
			t.Fatalf("stdout %q, want %q", out, want)
		}
	})
	// A missing command may yet appear, so the restart policy applies: two
	// attempts, then the task fails with the driver's error in its events.
	t.Run("command not found", func(t *testing.T) {
		alloc := testAlloc(drover.JobTypeService, twice,
			&drover.Task{Name: "t", Driver: rawexec.Name, Config: map[string]any{"command": "drover-no-such-command"}})
		got, _ := runWith(t, d, alloc, drover.AllocClientStatusFailed, nil)
		ts := got.TaskStates["t"]
		ev := hasEvent(ts, drover.TaskDriverFailure)
		if ev == nil || !strings.Contains(ev.DriverError, "not found") || ts.Restarts != 2 || hasEvent(ts, drover.TaskNotRestarting) == nil {
			t.Fatalf("restarts %d, events %v, driver failure %+v", ts.Restarts, eventTypes(ts), ev)
		}
	})
}
