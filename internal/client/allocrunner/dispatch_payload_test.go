package allocrunner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drover-sh/drover"
)

func TestDispatchPayloadWrittenBeforeStart(t *testing.T) {
	alloc := testAlloc(drover.JobTypeBatch, noRestart, &drover.Task{Name: "work",
		Config:          map[string]any{"run_for": "1ms", "exit_code": 0},
		DispatchPayload: &drover.DispatchPayloadConfig{File: "in/input.json"}})
	alloc.Job.Dispatched, alloc.Job.Payload = true, []byte(`{"n": 1}`)
	h := newHarness(t, alloc)
	h.ar.Run()
	h.waitStatus(t, drover.AllocClientStatusComplete)
	got, err := os.ReadFile(filepath.Join(h.root, alloc.ID, "work/local/in/input.json"))
	if err != nil || string(got) != `{"n": 1}` {
		t.Fatalf("payload file: %q, %v", got, err)
	}
}

func TestDispatchPayloadEscapeFailsTask(t *testing.T) {
	alloc := testAlloc(drover.JobTypeBatch, noRestart, &drover.Task{Name: "work",
		Config:          map[string]any{"run_for": "1ms", "exit_code": 0},
		DispatchPayload: &drover.DispatchPayloadConfig{File: "../../escape"}})
	alloc.Job.Dispatched, alloc.Job.Payload = true, []byte("x")
	h := newHarness(t, alloc)
	h.ar.Run()
	got := h.waitStatus(t, drover.AllocClientStatusFailed)
	ev := hasEvent(got.TaskStates["work"], drover.TaskSetupFailure)
	if ev == nil || !strings.Contains(ev.DisplayMessage+ev.SetupError, "escapes") {
		t.Fatalf("want a setup failure saying the file escapes; events %+v", got.TaskStates["work"].Events)
	}
	if h.drv.Starts("work") != 0 {
		t.Error("the task started")
	}
	if _, err := os.Stat(filepath.Join(h.root, alloc.ID, "escape")); !os.IsNotExist(err) {
		t.Errorf("the payload was written outside local/: %v", err)
	}
}

func TestWritePayload(t *testing.T) {
	local := filepath.Join(t.TempDir(), "local")
	outside := t.TempDir()
	if err := os.MkdirAll(local, 0o755); err != nil {
		t.Fatal(err)
	}
	// A task could leave symlinks in local/ before an agent restart runs
	// the hook again: neither a linked file nor a linked directory may
	// lead the write out.
	if err := os.Symlink(filepath.Join(outside, "victim"), filepath.Join(local, "file-link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(local, "dir-link")); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		file    string
		wantErr string
	}{
		{"payload.txt", ""},
		{"a/b/c.txt", ""},
		{"./x/../y.txt", ""},
		{"file-link", ""}, // the link itself is replaced
		{"../up.txt", "escapes"},
		{"/etc/passwd", "escapes"},
		{"..", "escapes"},
		{".", "escapes"},
		{"dir-link/p.txt", "symlink"},
	} {
		err := writePayload(local, tt.file, []byte("data"))
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("%q: %v", tt.file, err)
				continue
			}
			got, err := os.ReadFile(filepath.Join(local, filepath.Clean(tt.file)))
			if err != nil || string(got) != "data" {
				t.Errorf("%q: read back %q, %v", tt.file, got, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%q: %v, want an error with %q", tt.file, err, tt.wantErr)
		}
	}
	entries, _ := os.ReadDir(outside)
	if len(entries) != 0 {
		t.Errorf("files written outside local/: %v", entries)
	}
}
