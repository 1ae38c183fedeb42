package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/testutil"
)

func TestJobDispatchRoute(t *testing.T) {
	var got *drover.JobDispatchRequest
	f := &testutil.FakeRPC{JobDispatch: func(a *drover.JobDispatchRequest, r *drover.JobDispatchResponse) error {
		got = a
		*r = drover.JobDispatchResponse{DispatchedJobID: "param/dispatch-1-abcd0123", EvalID: "e1", EvalCreateIndex: 9, JobCreateIndex: 9, WriteMeta: drover.WriteMeta{Index: 9}}
		return nil
	}}
	h := New(Config{RPC: f})
	for _, method := range []string{"PUT", "POST"} {
		w := serve(t, h, method, "/v1/job/param/dispatch?namespace=default",
			`{"JobID": "param", "Payload": "aGVsbG8=", "Meta": {"color": "red"}, "IdPrefixTemplate": "nightly"}`)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d %s", method, w.Code, w.Body)
		}
		if got.JobID != "param" || string(got.Payload) != "hello" || got.Meta["color"] != "red" || got.IdPrefixTemplate != "nightly" {
			t.Errorf("%s: request %+v: want the body's base64 payload decoded, meta and prefix", method, got)
		}
		var answer map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &answer); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"DispatchedJobID", "EvalID", "EvalCreateIndex", "JobCreateIndex", "Index"} {
			if _, ok := answer[k]; !ok {
				t.Errorf("%s: answer %s lacks %s", method, w.Body, k)
			}
		}
		if w.Header().Get("X-Nomad-Index") != "9" {
			t.Errorf("%s: X-Nomad-Index %q", method, w.Header().Get("X-Nomad-Index"))
		}
	}
	for _, tt := range []struct{ body, want string }{
		{`{"JobID": "other"}`, `job ID "other" in the body does not match "param" in the path`},
		{`{"Payload": "not base64!"}`, "invalid JSON body"},
		{``, "request body is empty"},
	} {
		w := serve(t, h, "PUT", "/v1/job/param/dispatch", tt.body)
		if w.Code != http.StatusBadRequest || errorOf(t, w) == "" {
			t.Errorf("body %q: %d %s, want 400", tt.body, w.Code, w.Body)
		}
		if msg := errorOf(t, w); !strings.Contains(msg, tt.want) {
			t.Errorf("body %q: error %q, want %q", tt.body, msg, tt.want)
		}
	}
}

func TestPeriodicForceRoute(t *testing.T) {
	f := &testutil.FakeRPC{PeriodicForce: func(a *drover.PeriodicForceRequest, r *drover.PeriodicForceResponse) error {
		if a.JobID != "cron" {
			return drover.Errorf(drover.ErrInvalid, "job %q is not periodic: only a periodic job can be forced to launch", a.JobID)
		}
		*r = drover.PeriodicForceResponse{EvalID: "e5", EvalCreateIndex: 11, WriteMeta: drover.WriteMeta{Index: 11}}
		return nil
	}}
	h := New(Config{RPC: f})
	for _, method := range []string{"PUT", "POST"} {
		w := serve(t, h, method, "/v1/job/cron/periodic/force", "")
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d %s", method, w.Code, w.Body)
		}
		var answer map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &answer); err != nil {
			t.Fatal(err)
		}
		if answer["EvalID"] != "e5" || answer["EvalCreateIndex"] != 11.0 || answer["Index"] != 11.0 {
			t.Errorf("%s: answer %s, want Nomad's {EvalID, EvalCreateIndex, Index}", method, w.Body)
		}
	}
	w := serve(t, h, "PUT", "/v1/job/web/periodic/force", "")
	if w.Code != http.StatusBadRequest || !strings.Contains(errorOf(t, w), `job "web" is not periodic`) {
		t.Errorf("forcing a non-periodic job: %d %s, want 400 naming it", w.Code, w.Body)
	}
}
