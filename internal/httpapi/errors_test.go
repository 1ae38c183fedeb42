package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/testutil"
)

func TestErrorKindsToStatus(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{drover.Errorf(drover.ErrNotFound, "job %q not found", "x"), http.StatusNotFound},
		{drover.Errorf(drover.ErrInvalid, "bad"), http.StatusBadRequest},
		{fmt.Errorf("register: %w", drover.Errorf(drover.ErrConflict, "index mismatch")), http.StatusConflict},
		{drover.Errorf(drover.ErrPermission, "no"), http.StatusForbidden},
		{drover.Errorf(drover.ErrTooLarge, "big"), http.StatusRequestEntityTooLarge},
		{drover.Errorf(drover.ErrNoLeader, "No cluster leader"), http.StatusInternalServerError},
		{drover.Errorf(drover.ErrUnavailable, "down"), http.StatusServiceUnavailable},
		{drover.Errorf(drover.ErrNotSupported, "later"), http.StatusNotImplemented},
		{errors.New("boom"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		f := &testutil.FakeRPC{JobGetJob: func(*drover.JobSpecificRequest, *drover.SingleJobResponse) error { return tt.err }}
		w := serve(t, New(Config{RPC: f}), "GET", "/v1/job/x", "")
		if w.Code != tt.want {
			t.Errorf("%v: status %d, want %d", tt.err, w.Code, tt.want)
		}
		if got := errorOf(t, w); got != tt.err.Error() {
			t.Errorf("message %q, want %q", got, tt.err.Error())
		}
	}
}

func TestRegisterConflict(t *testing.T) {
	var got *drover.JobRegisterRequest
	f := &testutil.FakeRPC{JobRegister: func(a *drover.JobRegisterRequest, r *drover.JobRegisterResponse) error {
		got = a
		return drover.Errorf(drover.ErrConflict, "enforcing job modify index 3: job exists with conflicting job modify index: 7")
	}}
	body := strings.Replace(registerBody, `"EnforceIndex": false, "JobModifyIndex": 0`, `"EnforceIndex": true, "JobModifyIndex": 3`, 1)
	w := serve(t, New(Config{RPC: f}), "PUT", "/v1/jobs", body)
	if w.Code != http.StatusConflict {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if !got.EnforceIndex || got.JobModifyIndex != 3 {
		t.Errorf("EnforceIndex/JobModifyIndex not passed: %+v", got)
	}
}

func TestRegisterBadBodies(t *testing.T) {
	f := fullFake()
	tests := []struct {
		name, path, body string
		want             int
		msg              string
	}{
		{"syntax", "/v1/jobs", `{"Job": {`, 400, "invalid JSON body"},
		{"wrong type", "/v1/jobs", `{"Job": {"ID": 5}}`, 400, "cannot unmarshal number"},
		{"empty", "/v1/jobs", ``, 400, "request body is empty"},
		{"no job", "/v1/jobs", `{}`, 400, "Job must be specified"},
		{"id mismatch", "/v1/job/other", registerBody, 400, `"web" in the body does not match "other"`},
	}
	h := New(Config{RPC: f})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(t, h, "PUT", tt.path, tt.body)
			if w.Code != tt.want || !strings.Contains(errorOf(t, w), tt.msg) {
				t.Fatalf("got %d %s, want %d containing %q", w.Code, w.Body, tt.want, tt.msg)
			}
		})
	}
}

func TestRequestTooLarge(t *testing.T) {
	h := New(Config{RPC: fullFake(), MaxRequestBytes: 64})
	// Content-Length over the limit: refused before reading.
	w := serve(t, h, "PUT", "/v1/jobs", registerBody)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	errorOf(t, w)
	// Unknown length (chunked): refused when the decoder reads past it.
	req := mustRequest(t, "PUT", "/v1/jobs", strings.NewReader(registerBody))
	req.ContentLength = -1
	w = serveRequest(h, req)
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(errorOf(t, w), "larger than 64 bytes") {
		t.Fatalf("chunked: status %d: %s", w.Code, w.Body)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := New(Config{RPC: fullFake()})
	w := serve(t, h, "DELETE", "/v1/jobs", "")
	if w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if msg := errorOf(t, w); !strings.Contains(msg, "DELETE") {
		t.Errorf("message %q does not name the method", msg)
	}
	if allow := w.Header().Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "PUT") {
		t.Errorf("Allow %q", allow)
	}
}

func TestRegisterPassesJobIntact(t *testing.T) {
	var got *drover.JobRegisterRequest
	f := &testutil.FakeRPC{JobRegister: func(a *drover.JobRegisterRequest, r *drover.JobRegisterResponse) error {
		got = a
		r.Index = 9
		return nil
	}}
	body := `{"Job": {"ID": "web", "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t", "Driver": "docker",
		"KillTimeout": 7000000000,
		"Config": {"image": "nginx", "port": 8080, "ratio": 0.5, "args": ["-c", 1], "nested": {"n": 2}}}]}]}}`
	w := serve(t, New(Config{RPC: f, Region: "eu"}), "PUT", "/v1/jobs?namespace=prod&region=eu", body)
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if w.Header().Get("X-Nomad-Index") != "9" {
		t.Errorf("write index header %q", w.Header().Get("X-Nomad-Index"))
	}
	task := got.Job.TaskGroups[0].Tasks[0]
	want := map[string]any{"image": "nginx", "port": int64(8080), "ratio": 0.5,
		"args": []any{"-c", int64(1)}, "nested": map[string]any{"n": int64(2)}}
	if !reflect.DeepEqual(task.Config, want) {
		t.Errorf("Config = %#v, want %#v", task.Config, want)
	}
	if task.KillTimeout != 7*time.Second {
		t.Errorf("KillTimeout = %v", task.KillTimeout)
	}
	if got.Job.Namespace != "prod" || got.Namespace != "prod" || got.Job.Region != "eu" || got.Region != "eu" {
		t.Errorf("namespace/region not applied: job %q/%q, request %q/%q", got.Job.Namespace, got.Job.Region, got.Namespace, got.Region)
	}
}

func TestDeregisterArgs(t *testing.T) {
	var got *drover.JobDeregisterRequest
	f := &testutil.FakeRPC{JobDeregister: func(a *drover.JobDeregisterRequest, r *drover.JobDeregisterResponse) error {
		got = a
		return nil
	}}
	h := New(Config{RPC: f})
	for target, purge := range map[string]bool{"/v1/job/a%2Fb?purge=true": true, "/v1/job/a%2Fb": false, "/v1/job/a%2Fb?purge": true} {
		if w := serve(t, h, "DELETE", target, ""); w.Code != 200 {
			t.Fatalf("%s: %d %s", target, w.Code, w.Body)
		}
		if got.JobID != "a/b" || got.Purge != purge || got.Namespace != "default" {
			t.Errorf("%s: got %+v", target, got)
		}
	}
	if w := serve(t, h, "DELETE", "/v1/job/x?purge=maybe", ""); w.Code != 400 {
		t.Errorf("purge=maybe: %d", w.Code)
	}
}

func TestQueryOptionsPassedThrough(t *testing.T) {
	var got drover.QueryOptions
	f := &testutil.FakeRPC{JobList: func(a *drover.JobListRequest, r *drover.JobListResponse) error {
		got = a.QueryOptions
		return nil
	}}
	h := New(Config{RPC: f, Region: "home"})
	tests := []struct {
		query string
		want  drover.QueryOptions
	}{
		{"", drover.QueryOptions{Region: "home", Namespace: "default"}},
		{"?index=17&wait=5s", drover.QueryOptions{Region: "home", Namespace: "default", MinQueryIndex: 17, MaxQueryTime: 5 * time.Second}},
		{"?index=3&wait=1m&stale", drover.QueryOptions{Region: "home", Namespace: "default", MinQueryIndex: 3, MaxQueryTime: time.Minute, AllowStale: true}},
		{"?wait=30&stale=false", drover.QueryOptions{Region: "home", Namespace: "default", MaxQueryTime: 30 * time.Second}},
		{"?prefix=we&region=home&namespace=prod", drover.QueryOptions{Region: "home", Namespace: "prod", Prefix: "we"}},
	}
	for _, tt := range tests {
		got = drover.QueryOptions{}
		if w := serve(t, h, "GET", "/v1/jobs"+tt.query, ""); w.Code != 200 {
			t.Fatalf("%s: %d %s", tt.query, w.Code, w.Body)
		}
		if got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.query, got, tt.want)
		}
	}
	for _, bad := range []string{"?index=x", "?index=-1", "?wait=soon", "?wait=-5s", "?stale=perhaps", "?region=eu"} {
		w := serve(t, h, "GET", "/v1/jobs"+bad, "")
		if w.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", bad, w.Code)
		}
		errorOf(t, w)
	}
}

func TestJobSpecificArgs(t *testing.T) {
	var got *drover.JobSpecificRequest
	f := &testutil.FakeRPC{JobAllocations: func(a *drover.JobSpecificRequest, r *drover.JobAllocationsResponse) error {
		got = a
		return nil
	}}
	h := New(Config{RPC: f})
	serve(t, h, "GET", "/v1/job/web/allocations?all=true&index=5", "")
	if got.JobID != "web" || !got.All || got.MinQueryIndex != 5 {
		t.Errorf("got %+v", got)
	}
	serve(t, h, "GET", "/v1/job/web/allocations", "")
	if got.All {
		t.Errorf("All set without ?all")
	}
}
