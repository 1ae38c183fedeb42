package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	drover "github.com/drover-sh/drover"
)

// controlAnswers answers the allocation controls of allocID: stop with an
// alloc-stop evaluation that placed a replacement, restart and signal with
// {} unless the body names task "nope" or signal "SIGNOPE", refused as the
// agent refuses them.
func controlAnswers(f *fakeAgent) {
	f.handle("PUT /v1/allocation/"+allocID+"/stop", &drover.AllocStopResponse{EvalID: evalID, WriteMeta: drover.WriteMeta{Index: 40}})
	e := helloEvals()[0]
	e.TriggeredBy, e.CreateIndex = drover.EvalTriggerAllocStop, 40
	f.handle("GET /v1/evaluation/"+evalID, e)
	stopped, repl := helloAlloc(), helloAlloc()
	stopped.DesiredStatus = drover.AllocDesiredStatusStop
	repl.ID, repl.CreateIndex, repl.PreviousAllocation = "cc00aa11-0000-4000-8000-000000000003", 40, allocID
	f.handle("GET /v1/evaluation/"+evalID+"/allocations", []*drover.AllocListStub{stopped.Stub(), repl.Stub()})
	refuse := func(w http.ResponseWriter, r *http.Request) {
		// The fake has read the body already: take it from its record.
		reqs := f.find(r.Method + " " + r.URL.Path)
		var body map[string]any
		_ = json.Unmarshal([]byte(reqs[len(reqs)-1].Body), &body)
		for _, v := range body {
			if s, _ := v.(string); s == "nope" || s == "SIGNOPE" {
				w.WriteHeader(http.StatusBadRequest)
				_ = json.NewEncoder(w).Encode(map[string]string{"Error": "allocation cb3116cf has no task or signal " + s})
				return
			}
		}
		writeFakeJSON(w, map[string]any{})
	}
	f.handle("PUT /v1/client/allocation/"+allocID+"/restart", http.HandlerFunc(refuse))
	f.handle("PUT /v1/client/allocation/"+allocID+"/signal", http.HandlerFunc(refuse))
}

func TestAllocControlCommands(t *testing.T) {
	restart, signal := "PUT /v1/client/allocation/"+allocID+"/restart", "PUT /v1/client/allocation/"+allocID+"/signal"
	stop := "PUT /v1/allocation/" + allocID + "/stop"
	tests := []struct {
		name string
		args []string
		code int
		sent string // the control request sent, "key body", or ""
	}{
		{"alloc_stop", []string{"alloc", "stop", "cb31"}, 0, stop + " "},
		{"alloc_stop_detach", []string{"alloc", "stop", "-detach", allocID}, 0, stop + " "},
		{"alloc_stop_ambiguous", []string{"alloc", "stop", "cb"}, 1, ""},
		{"alloc_stop_unknown", []string{"alloc", "stop", "ffff"}, 1, ""},
		{"alloc_stop_no_arg", []string{"alloc", "stop"}, 2, ""},
		{"alloc_restart_task", []string{"alloc", "restart", "-task", "hello", "cb31"}, 0, restart + ` {"TaskName":"hello","AllTasks":false}`},
		{"alloc_restart_task_arg", []string{"alloc", "restart", "cb31", "hello"}, 0, restart + ` {"TaskName":"hello","AllTasks":false}`},
		{"alloc_restart_all", []string{"alloc", "restart", "-all-tasks", "cb31"}, 0, restart + ` {"TaskName":"","AllTasks":true}`},
		{"alloc_restart_running", []string{"alloc", "restart", "cb31"}, 0, restart + ` {"TaskName":"","AllTasks":false}`},
		{"alloc_restart_task_and_all", []string{"alloc", "restart", "-all-tasks", "-task", "hello", "cb31"}, 2, ""},
		{"alloc_restart_task_twice", []string{"alloc", "restart", "-task", "hello", "cb31", "other"}, 2, ""},
		{"alloc_restart_unknown_task", []string{"alloc", "restart", "cb31", "nope"}, 1, restart + ` {"TaskName":"nope","AllTasks":false}`},
		{"alloc_signal", []string{"alloc", "signal", "-s", "SIGUSR1", "-task", "hello", "cb31"}, 0, signal + ` {"Task":"hello","Signal":"SIGUSR1"}`},
		{"alloc_signal_default", []string{"alloc", "signal", "cb31"}, 0, signal + ` {"Task":"","Signal":"SIGKILL"}`},
		{"alloc_signal_bad_signal", []string{"alloc", "signal", "-s", "SIGNOPE", "cb31"}, 1, signal + ` {"Task":"","Signal":"SIGNOPE"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAgent(t)
			cluster(f)
			controlAnswers(f)
			r := runCLI(context.Background(), t, f, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d; stderr: %s", r.code, tt.code, r.stderr)
			}
			checkGolden(t, tt.name, f, tt.args, r)
			var sent []string
			for _, key := range []string{stop, restart, signal} {
				for _, req := range f.find(key) {
					sent = append(sent, key+" "+strings.TrimSpace(req.Body))
				}
			}
			want := []string{}
			if tt.sent != "" {
				want = []string{tt.sent}
			}
			if strings.Join(sent, "\n") != strings.Join(want, "\n") {
				t.Errorf("sent %q, want %q", sent, want)
			}
		})
	}
}
