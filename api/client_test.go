package api

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/testutil"
)

func TestDefaultConfig(t *testing.T) {
	tests := []struct {
		env        map[string]string
		addr, tokn string
	}{
		{nil, DefaultAddress, ""},
		{map[string]string{"NOMAD_ADDR": "http://n:1", "NOMAD_TOKEN": "nt"}, "http://n:1", "nt"},
		{map[string]string{"NOMAD_ADDR": "http://n:1", "DROVER_ADDR": "http://d:2", "NOMAD_TOKEN": "nt", "DROVER_TOKEN": "dt"}, "http://d:2", "dt"},
	}
	for _, tt := range tests {
		cfg := DefaultConfig(func(k string) string { return tt.env[k] })
		if cfg.Address != tt.addr || cfg.Token != tt.tokn {
			t.Errorf("env %v: got %q %q, want %q %q", tt.env, cfg.Address, cfg.Token, tt.addr, tt.tokn)
		}
	}
	if DefaultConfig(nil).Address != DefaultAddress {
		t.Error("nil getenv")
	}
}

func TestNewClientAddress(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{"", "http://127.0.0.1:4646", false},
		{"127.0.0.1:4646", "http://127.0.0.1:4646", false},
		{"http://host:1/", "http://host:1", false},
		{"https://host:1", "https://host:1", false},
		{"ftp://host:1", "", true},
		{"http://", "", true},
	}
	for _, tt := range tests {
		c, err := NewClient(Config{Address: tt.in})
		if tt.bad {
			if err == nil {
				t.Errorf("%q: no error", tt.in)
			}
			continue
		}
		if err != nil || c.Address() != tt.want {
			t.Errorf("%q: got %v %v, want %q", tt.in, c, err, tt.want)
		}
	}
}

func roundTripJob() *drover.Job {
	return &drover.Job{
		ID: "web/1", Name: "web", Namespace: "default", Region: "global", Type: drover.JobTypeService, Priority: 50,
		Datacenters: []string{"dc1"}, Meta: map[string]string{"team": "a"},
		TaskGroups: []*drover.TaskGroup{{
			Name: "g", Count: 2,
			RestartPolicy: &drover.RestartPolicy{Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: "fail"},
			Networks:      []*drover.NetworkResource{{DynamicPorts: []drover.Port{{Label: "http", To: 8080}}}},
			Tasks: []*drover.Task{{
				Name: "t", Driver: "docker", KillTimeout: 7 * time.Second,
				Config: map[string]any{"image": "nginx:1", "ports": []any{"http"}, "port": int64(8080),
					"ratio": 0.25, "labels": map[string]any{"a": "b"}},
				Env:       map[string]string{"A": "1"},
				Resources: &drover.Resources{CPU: 100, MemoryMB: 64},
			}},
		}},
	}
}

func TestJobsRegisterRoundTrip(t *testing.T) {
	var got *drover.JobRegisterRequest
	rpc := &testutil.FakeRPC{JobRegister: func(a *drover.JobRegisterRequest, r *drover.JobRegisterResponse) error {
		got = a
		*r = drover.JobRegisterResponse{EvalID: "e1", EvalCreateIndex: 11, JobModifyIndex: 11, WriteMeta: drover.WriteMeta{Index: 11}}
		return nil
	}}
	tokens := make(chan string, 1)
	c := newTestClient(t, rpc, nil, tokens)
	job := roundTripJob()
	resp, wm, err := c.Jobs().Register(job, &RegisterOptions{EnforceIndex: true, ModifyIndex: 4})
	if err != nil {
		t.Fatal(err)
	}
	if tok := <-tokens; tok != "s3cret" {
		t.Errorf("X-Nomad-Token %q", tok)
	}
	if !reflect.DeepEqual(got.Job, job) {
		t.Errorf("job changed in transit:\n got %#v\nwant %#v", got.Job.TaskGroups[0].Tasks[0], job.TaskGroups[0].Tasks[0])
	}
	if !got.EnforceIndex || got.JobModifyIndex != 4 {
		t.Errorf("options lost: %+v", got)
	}
	if resp.EvalID != "e1" || resp.EvalCreateIndex != 11 || resp.JobModifyIndex != 11 || wm.LastIndex != 11 {
		t.Errorf("response %+v, meta %+v", resp, wm)
	}
}

func TestJobsRegisterConflict(t *testing.T) {
	rpc := &testutil.FakeRPC{JobRegister: func(*drover.JobRegisterRequest, *drover.JobRegisterResponse) error {
		return drover.Errorf(drover.ErrConflict, "job modify index is 7, not 4")
	}}
	_, _, err := newTestClient(t, rpc, nil, nil).Jobs().Register(roundTripJob(), &RegisterOptions{EnforceIndex: true, ModifyIndex: 4})
	var apiErr *Error
	if !errors.Is(err, drover.ErrConflict) || !errors.As(err, &apiErr) || apiErr.StatusCode != 409 || apiErr.Message != "job modify index is 7, not 4" {
		t.Fatalf("got %v", err)
	}
}

func TestErrorKinds(t *testing.T) {
	for status, kind := range map[int]error{404: drover.ErrNotFound, 400: drover.ErrInvalid, 409: drover.ErrConflict,
		403: drover.ErrPermission, 413: drover.ErrTooLarge, 503: drover.ErrUnavailable, 501: drover.ErrNotSupported} {
		err := error(&Error{StatusCode: status, Message: "m"})
		if !errors.Is(err, kind) {
			t.Errorf("%d is not %v", status, kind)
		}
		if errors.Is(err, drover.ErrNoLeader) {
			t.Errorf("%d matches ErrNoLeader", status)
		}
	}
	if errors.Unwrap(&Error{StatusCode: 500}) != nil {
		t.Error("500 has a kind")
	}
}

func TestInfoNotFound(t *testing.T) {
	rpc := &testutil.FakeRPC{
		JobGetJob:     func(*drover.JobSpecificRequest, *drover.SingleJobResponse) error { return nil },
		AllocGetAlloc: func(*drover.AllocSpecificRequest, *drover.SingleAllocResponse) error { return nil },
		EvalGetEval:   func(*drover.EvalSpecificRequest, *drover.SingleEvalResponse) error { return nil },
		NodeGetNode:   func(*drover.NodeSpecificRequest, *drover.SingleNodeResponse) error { return nil },
		JobSummary:    func(*drover.JobSpecificRequest, *drover.JobSummaryResponse) error { return nil },
	}
	c := newTestClient(t, rpc, nil, nil)
	calls := map[string]func() error{
		"job":     func() error { _, _, err := c.Jobs().Info("x", nil); return err },
		"summary": func() error { _, _, err := c.Jobs().Summary("x", nil); return err },
		"alloc":   func() error { _, _, err := c.Allocations().Info("x", nil); return err },
		"eval":    func() error { _, _, err := c.Evaluations().Info("x", nil); return err },
		"node":    func() error { _, _, err := c.Nodes().Info("x", nil); return err },
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, drover.ErrNotFound) || !strings.Contains(err.Error(), "not found") {
			t.Errorf("%s: got %v, want a not-found error", name, err)
		}
	}
}

func TestBlockingQueryMeta(t *testing.T) {
	var got drover.QueryOptions
	rpc := &testutil.FakeRPC{JobList: func(a *drover.JobListRequest, r *drover.JobListResponse) error {
		got = a.QueryOptions
		r.Jobs = []*drover.JobListStub{{ID: "web"}}
		r.QueryMeta = drover.QueryMeta{Index: 42, KnownLeader: true, LastContact: time.Second}
		return nil
	}}
	c := newTestClient(t, rpc, nil, nil)
	jobs, qm, err := c.Jobs().List(&QueryOptions{WaitIndex: 41, WaitTime: 90 * time.Second, Prefix: "we", AllowStale: true})
	if err != nil {
		t.Fatal(err)
	}
	if got.MinQueryIndex != 41 || got.MaxQueryTime != 90*time.Second || got.Prefix != "we" || !got.AllowStale {
		t.Errorf("query options arrived as %+v", got)
	}
	if len(jobs) != 1 || jobs[0].ID != "web" {
		t.Errorf("jobs %v", jobs)
	}
	if qm.LastIndex != 42 || !qm.KnownLeader || qm.RequestTime <= 0 {
		t.Errorf("meta %+v", qm)
	}
}

// TestEndpoints checks each remaining endpoint reaches its RPC with the IDs
// it was given (escaped in the path) and decodes the answer.
func TestEndpoints(t *testing.T) {
	var ids []string
	seen := func(id string) { ids = append(ids, id) }
	alloc := &drover.Allocation{ID: "a1", EvalID: "e1", JobID: "web", TaskGroup: "g"}
	rpc := &testutil.FakeRPC{
		JobGetJob: func(a *drover.JobSpecificRequest, r *drover.SingleJobResponse) error {
			seen(a.JobID)
			r.Job = roundTripJob()
			return nil
		},
		JobAllocations: func(a *drover.JobSpecificRequest, r *drover.JobAllocationsResponse) error {
			seen(a.JobID)
			if !a.All {
				return errors.New("all not passed")
			}
			r.Allocations = []*drover.AllocListStub{alloc.Stub()}
			return nil
		},
		JobEvaluations: func(a *drover.JobSpecificRequest, r *drover.JobEvaluationsResponse) error {
			seen(a.JobID)
			r.Evaluations = []*drover.Evaluation{{ID: "e1"}}
			return nil
		},
		JobSummary: func(a *drover.JobSpecificRequest, r *drover.JobSummaryResponse) error {
			seen(a.JobID)
			r.JobSummary = &drover.JobSummary{JobID: a.JobID, Summary: map[string]drover.TaskGroupSummary{"g": {Running: 3}}}
			return nil
		},
		JobDeregister: func(a *drover.JobDeregisterRequest, r *drover.JobDeregisterResponse) error {
			seen(a.JobID)
			if !a.Purge {
				return errors.New("purge not passed")
			}
			*r = drover.JobDeregisterResponse{EvalID: "e2", WriteMeta: drover.WriteMeta{Index: 12}}
			return nil
		},
		AllocList: func(a *drover.AllocListRequest, r *drover.AllocListResponse) error {
			r.Allocations = []*drover.AllocListStub{alloc.Stub()}
			return nil
		},
		AllocGetAlloc: func(a *drover.AllocSpecificRequest, r *drover.SingleAllocResponse) error {
			seen(a.AllocID)
			r.Alloc = alloc
			return nil
		},
		EvalList: func(a *drover.EvalListRequest, r *drover.EvalListResponse) error {
			r.Evaluations = []*drover.Evaluation{{ID: "e1"}}
			return nil
		},
		EvalGetEval: func(a *drover.EvalSpecificRequest, r *drover.SingleEvalResponse) error {
			seen(a.EvalID)
			r.Eval = &drover.Evaluation{ID: a.EvalID, FailedTGAllocs: map[string]*drover.AllocMetric{"g": {NodesEvaluated: 3}}}
			return nil
		},
		NodeList: func(a *drover.NodeListRequest, r *drover.NodeListResponse) error {
			r.Nodes = []*drover.NodeListStub{{ID: "n1"}}
			return nil
		},
		NodeGetNode: func(a *drover.NodeSpecificRequest, r *drover.SingleNodeResponse) error {
			seen(a.NodeID)
			r.Node = &drover.Node{ID: a.NodeID, Attributes: map[string]string{"arch": "amd64"}}
			return nil
		},
		NodeGetAllocs: func(a *drover.NodeSpecificRequest, r *drover.NodeAllocsResponse) error {
			seen(a.NodeID)
			r.Allocs = []*drover.Allocation{alloc}
			return nil
		},
		StatusLeader: func(a *drover.GenericRequest, r *string) error {
			*r = "127.0.0.1:4647"
			return nil
		},
	}
	c := newTestClient(t, rpc, nil, nil)
	check := func(what string, ok bool, err error) {
		t.Helper()
		if err != nil || !ok {
			t.Errorf("%s: ok=%v err=%v", what, ok, err)
		}
	}
	job, _, err := c.Jobs().Info("web/1", nil)
	check("job info", err == nil && reflect.DeepEqual(job, roundTripJob()), err)
	as, _, err := c.Jobs().Allocations("web/1", true, nil)
	check("job allocs", len(as) == 1 && as[0].ID == "a1", err)
	es, _, err := c.Jobs().Evaluations("web/1", nil)
	check("job evals", len(es) == 1, err)
	sum, _, err := c.Jobs().Summary("web/1", nil)
	check("summary", sum != nil && sum.Summary["g"].Running == 3, err)
	dr, wm, err := c.Jobs().Deregister("web/1", true)
	check("deregister", dr != nil && dr.EvalID == "e2" && wm.LastIndex == 12, err)
	al, _, err := c.Allocations().List(nil)
	check("alloc list", len(al) == 1, err)
	a, _, err := c.Allocations().Info("a1", nil)
	check("alloc info", a != nil && a.TaskGroup == "g", err)
	el, _, err := c.Evaluations().List(nil)
	check("eval list", len(el) == 1, err)
	e, _, err := c.Evaluations().Info("e1", nil)
	check("eval info", e != nil && e.FailedTGAllocs["g"].NodesEvaluated == 3, err)
	ea, _, err := c.Evaluations().Allocations("e1", nil)
	check("eval allocs", len(ea) == 1 && ea[0].ID == "a1", err)
	nl, _, err := c.Nodes().List(nil)
	check("node list", len(nl) == 1, err)
	n, _, err := c.Nodes().Info("n1", nil)
	check("node info", n != nil && n.Attributes["arch"] == "amd64", err)
	na, _, err := c.Nodes().Allocations("n1", nil)
	check("node allocs", len(na) == 1, err)
	leader, err := c.Status().Leader()
	check("leader", leader == "127.0.0.1:4647", err)
	want := []string{"web/1", "web/1", "web/1", "web/1", "web/1", "a1", "e1", "n1", "n1"}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("IDs reached the RPCs as %q, want %q", ids, want)
	}
}

func TestAgentSelf(t *testing.T) {
	c := newTestClient(t, &testutil.FakeRPC{}, nil, nil)
	self, err := c.Agent().Self()
	if err != nil || self.Config == nil || self.Stats == nil {
		t.Fatalf("got %+v, %v", self, err)
	}
}

// localAllocRPC answers that every allocation runs on the fake client's
// node, so client-local requests are served there.
func localAllocRPC() *testutil.FakeRPC {
	return &testutil.FakeRPC{AllocGetAlloc: func(a *drover.AllocSpecificRequest, r *drover.SingleAllocResponse) error {
		r.Alloc = &drover.Allocation{ID: a.AllocID, NodeID: "n1", TaskGroup: "web",
			Job: &drover.Job{TaskGroups: []*drover.TaskGroup{{Name: "web", Tasks: []*drover.Task{{Name: "web"}}}}}}
		return nil
	}}
}

func TestLogs(t *testing.T) {
	text := strings.Repeat("line of log output\n", 5000) // several frames
	var gotTask, gotOrigin string
	var gotOffset int64
	client := &fakeClient{Logs: func(ctx context.Context, allocID, task, stream, origin string, offset int64, follow bool) (io.ReadCloser, error) {
		gotTask, gotOrigin, gotOffset = task, origin, offset
		return io.NopCloser(strings.NewReader(text)), nil
	}}
	c := newTestClient(t, localAllocRPC(), client, nil)
	rc, err := c.AllocFS().Logs(context.Background(), "a1", "web", "stdout", false, "end", 100)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil || string(b) != text {
		t.Fatalf("read %d bytes, %v; want %d bytes", len(b), err, len(text))
	}
	if gotTask != "web" || gotOrigin != "end" || gotOffset != 100 {
		t.Errorf("called with %q %q %d", gotTask, gotOrigin, gotOffset)
	}

	_, err = c.AllocFS().Logs(context.Background(), "a1", "web", "stdin", false, "", 0)
	if !errors.Is(err, drover.ErrInvalid) {
		t.Errorf("bad stream: %v", err)
	}
}

func TestLogsFollowCancel(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	client := &fakeClient{Logs: func(ctx context.Context, _, _, _, _ string, _ int64, _ bool) (io.ReadCloser, error) {
		return pr, nil
	}}
	c := newTestClient(t, localAllocRPC(), client, nil)
	ctx, cancel := context.WithCancel(context.Background())
	rc, err := c.AllocFS().Logs(ctx, "a1", "web", "stdout", true, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	go pw.Write([]byte("hello"))
	buf := make([]byte, 16)
	n, err := rc.Read(buf)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	cancel()
	if _, err := io.ReadAll(rc); err == nil {
		t.Fatal("reading after cancel returned no error")
	}
}
