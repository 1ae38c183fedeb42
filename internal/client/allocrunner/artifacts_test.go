package allocrunner

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sh/drover"
)

// artifactServer serves body at /<anything> and counts the requests.
func artifactServer(t *testing.T, body string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			n.Add(1)
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestArtifactFetchedBeforeStart(t *testing.T) {
	srv, _ := artifactServer(t, "config v1")
	alloc := testAlloc(drover.JobTypeBatch, noRestart, &drover.Task{Name: "work",
		Config: map[string]any{"run_for": "1ms", "exit_code": 0},
		Artifacts: []*drover.TaskArtifact{{
			GetterSource:  srv.URL + "/${NOMAD_TASK_NAME}/app.conf",
			GetterOptions: map[string]string{"checksum": "sha256:" + sha256Hex("config v1")},
			RelativeDest:  "local/conf",
		}}})
	h := newHarness(t, alloc)
	h.ar.Run()
	got := h.waitStatus(t, drover.AllocClientStatusComplete)
	b, err := os.ReadFile(filepath.Join(h.root, alloc.ID, "work", "local", "conf", "app.conf"))
	if err != nil || string(b) != "config v1" {
		t.Fatalf("artifact: %q, %v", b, err)
	}
	types := eventTypes(got.TaskStates["work"])
	dl, started := slices.Index(types, drover.TaskDownloadingArtifacts), slices.Index(types, drover.TaskStarted)
	if dl < 0 || started < 0 || dl > started {
		t.Fatalf("events %v: want Downloading Artifacts before Started", types)
	}
}

func TestArtifactChecksumMismatchRetriedThenFails(t *testing.T) {
	srv, requests := artifactServer(t, "tampered")
	policy := &drover.RestartPolicy{Attempts: 1, Interval: time.Minute, Delay: time.Millisecond, Mode: drover.RestartModeFail}
	alloc := testAlloc(drover.JobTypeBatch, policy, &drover.Task{Name: "work",
		Config: map[string]any{"run_for": "1ms", "exit_code": 0},
		Artifacts: []*drover.TaskArtifact{{
			GetterSource:  srv.URL + "/app.bin",
			GetterOptions: map[string]string{"checksum": "sha256:" + sha256Hex("original")},
		}}})
	h := newHarness(t, alloc)
	h.ar.Run()
	got := h.waitStatus(t, drover.AllocClientStatusFailed)
	ts := got.TaskStates["work"]
	if h.drv.Starts("work") != 0 {
		t.Fatal("the task started despite the bad checksum")
	}
	var failures []*drover.TaskEvent
	for _, e := range ts.Events {
		if e.Type == drover.TaskArtifactDownloadFailed {
			failures = append(failures, e)
		}
	}
	if len(failures) != 2 || failures[0].FailsTask || !failures[1].FailsTask {
		t.Fatalf("events %v: want two Failed Artifact Download, the second failing the task", eventTypes(ts))
	}
	if !strings.Contains(failures[0].DownloadError, "checksum mismatch") {
		t.Fatalf("DownloadError = %q, want the checksum mismatch", failures[0].DownloadError)
	}
	if hasEvent(ts, drover.TaskRestarting) == nil || hasEvent(ts, drover.TaskNotRestarting) == nil {
		t.Fatalf("events %v: want a restart then Not Restarting", eventTypes(ts))
	}
	if !ts.Failed || ts.Restarts != 1 || requests.Load() != 2 {
		t.Fatalf("failed=%v restarts=%d requests=%d; want true, 1, 2", ts.Failed, ts.Restarts, requests.Load())
	}
	if _, err := os.Stat(filepath.Join(h.root, alloc.ID, "work", "local", "app.bin")); !os.IsNotExist(err) {
		t.Fatalf("the bad file was placed: %v", err)
	}
}

// A task that has already started (as a restarted agent finds it) does not
// fetch its artifacts again.
func TestArtifactNotFetchedAgainOnceStarted(t *testing.T) {
	srv, requests := artifactServer(t, "x")
	alloc := testAlloc(drover.JobTypeService, noRestart, &drover.Task{Name: "web",
		Config:    map[string]any{"run_for": "1h"},
		Artifacts: []*drover.TaskArtifact{{GetterSource: srv.URL + "/f.txt"}}})
	h := newHarness(t, alloc)
	h.ar.Run()
	h.waitStatus(t, drover.AllocClientStatusRunning)
	if requests.Load() != 1 {
		t.Fatalf("requests = %d, want 1", requests.Load())
	}
	tr := h.ar.tasks["web"]
	if err := (artifactHook{}).Prestart(t.Context(), tr); err != nil {
		t.Fatal(err)
	}
	if requests.Load() != 1 {
		t.Fatalf("requests = %d after the hook ran again for a started task, want 1", requests.Load())
	}
}

// A kill while an artifact downloads stops the download: the task ends
// killed, not failed, and never starts.
func TestArtifactDownloadStoppedByKill(t *testing.T) {
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			return
		}
		arrived <- struct{}{}
		<-r.Context().Done() // never answers: only the client giving up ends this
	}))
	defer srv.Close()
	alloc := testAlloc(drover.JobTypeService, noRestart, &drover.Task{Name: "web",
		Config:    map[string]any{"run_for": "1h"},
		Artifacts: []*drover.TaskArtifact{{GetterSource: srv.URL + "/slow.bin"}}})
	h := newHarness(t, alloc)
	h.ar.Run()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the download never began")
	}
	h.ar.Kill()
	waitFor(t, "the task to be dead", func() bool {
		l := h.rec.last()
		return l != nil && l.TaskStates["web"] != nil && l.TaskStates["web"].State == drover.TaskStateDead
	})
	ts := h.rec.last().TaskStates["web"]
	if ts.Failed || hasEvent(ts, drover.TaskKilled) == nil || hasEvent(ts, drover.TaskArtifactDownloadFailed) != nil {
		t.Fatalf("failed=%v events %v: want Killed and no download failure", ts.Failed, eventTypes(ts))
	}
	if h.drv.Starts("web") != 0 {
		t.Fatal("the task started")
	}
}
