package httpapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/driver"
)

// fakeClient is a local client agent whose logs come from Logs, whose
// allocation files are those of AllocDir (shared by every allocation) and
// whose garbage collection is GC.
type fakeClient struct {
	Node string
	Logs func(ctx context.Context, allocID, task, stream, origin string, offset int64, follow bool) (io.ReadCloser, error)
	// Stats answers AllocStats; nil: no allocation is on this client.
	Stats func(allocID string) (*drover.AllocResourceUsage, error)
	// Restart and Signal answer the allocation controls; nil answers
	// drover.ErrNotSupported.
	Restart  func(allocID, task string, allTasks bool) error
	Signal   func(allocID, task, signal string) error
	AllocDir string
	GC       func() (int, error)
	AllocGC  func(allocID string) error

	// Exec answers ExecAlloc; nil answers drover.ErrNotSupported.
	Exec func(ctx context.Context, allocID, task string, opts driver.ExecOptions) (*driver.ExitResult, error)
}

func (f *fakeClient) AllocLogs(ctx context.Context, allocID, task, stream, origin string, offset int64, follow bool) (io.ReadCloser, error) {
	return f.Logs(ctx, allocID, task, stream, origin, offset, follow)
}

func (f *fakeClient) RestartAlloc(allocID, task string, allTasks bool) error {
	if f.Restart == nil {
		return drover.Errorf(drover.ErrNotSupported, "fake client: no restart")
	}
	return f.Restart(allocID, task, allTasks)
}

func (f *fakeClient) SignalAlloc(allocID, task, signal string) error {
	if f.Signal == nil {
		return drover.Errorf(drover.ErrNotSupported, "fake client: no signal")
	}
	return f.Signal(allocID, task, signal)
}

func (f *fakeClient) ExecAlloc(ctx context.Context, allocID, task string, opts driver.ExecOptions) (*driver.ExitResult, error) {
	if f.Exec == nil {
		return nil, drover.Errorf(drover.ErrNotSupported, "fake client: no exec")
	}
	return f.Exec(ctx, allocID, task, opts)
}

func (f *fakeClient) NodeID() string { return f.Node }

// Fixtures.

var testMeta = drover.QueryMeta{Index: 42, LastContact: 1500 * time.Millisecond, KnownLeader: true}

func testJob() *drover.Job {
	return &drover.Job{
		ID: "web", Name: "web", Namespace: "default", Type: drover.JobTypeService, Priority: 50,
		Datacenters: []string{"dc1"},
		TaskGroups: []*drover.TaskGroup{{
			Name: "web", Count: 2,
			Tasks: []*drover.Task{{
				Name: "server", Driver: "raw_exec",
				Config:      map[string]any{"command": "/bin/sh", "args": []any{"-c", "sleep 1"}},
				KillTimeout: 5 * time.Second,
			}},
		}},
		Status: drover.JobStatusRunning, JobModifyIndex: 7, CreateIndex: 5, ModifyIndex: 7,
	}
}

func testAlloc(nodeID string) *drover.Allocation {
	return &drover.Allocation{
		ID: "a1b2c3d4-0000-0000-0000-000000000001", EvalID: "e1", Name: "web.web[0]", Namespace: "default",
		NodeID: nodeID, NodeName: "node-1", JobID: "web", Job: testJob(), TaskGroup: "web",
		DesiredStatus: drover.AllocDesiredStatusRun, ClientStatus: drover.AllocClientStatusRunning,
	}
}

func testEval() *drover.Evaluation {
	return &drover.Evaluation{ID: "e1", Namespace: "default", JobID: "web", Status: drover.EvalStatusComplete, Type: "service"}
}

func testNode() *drover.Node {
	return &drover.Node{ID: "n1", SecretID: "secret", Name: "node-1", Datacenter: "dc1", Status: drover.NodeStatusReady,
		Attributes: map[string]string{"unique.network.ip-address": "10.0.0.1"}}
}

func mustRequest(t *testing.T, method, target string, body io.Reader) *http.Request {
	t.Helper()
	return httptest.NewRequest(method, target, body)
}

func serveRequest(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
