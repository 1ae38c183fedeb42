package httpapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/drover-sh/drover"
)

// fakeRPC answers RPCs with its function fields; an unset field fails the
// call, so a test sees which method a route used.
type fakeRPC struct {
	JobRegister    func(*drover.JobRegisterRequest, *drover.JobRegisterResponse) error
	JobDeregister  func(*drover.JobDeregisterRequest, *drover.JobDeregisterResponse) error
	JobGetJob      func(*drover.JobSpecificRequest, *drover.SingleJobResponse) error
	JobList        func(*drover.JobListRequest, *drover.JobListResponse) error
	JobAllocations func(*drover.JobSpecificRequest, *drover.JobAllocationsResponse) error
	JobEvaluations func(*drover.JobSpecificRequest, *drover.JobEvaluationsResponse) error
	JobSummary     func(*drover.JobSpecificRequest, *drover.JobSummaryResponse) error
	AllocList      func(*drover.AllocListRequest, *drover.AllocListResponse) error
	AllocGetAlloc  func(*drover.AllocSpecificRequest, *drover.SingleAllocResponse) error
	EvalList       func(*drover.EvalListRequest, *drover.EvalListResponse) error
	EvalGetEval    func(*drover.EvalSpecificRequest, *drover.SingleEvalResponse) error
	NodeList       func(*drover.NodeListRequest, *drover.NodeListResponse) error
	NodeGetNode    func(*drover.NodeSpecificRequest, *drover.SingleNodeResponse) error
	NodeGetAllocs  func(*drover.NodeSpecificRequest, *drover.NodeAllocsResponse) error
	StatusLeader   func(*drover.GenericRequest, *string) error
}

func (f *fakeRPC) RPC(ctx context.Context, method string, args, reply any) error {
	switch method {
	case drover.MethodJobRegister:
		return call(method, f.JobRegister, args, reply)
	case drover.MethodJobDeregister:
		return call(method, f.JobDeregister, args, reply)
	case drover.MethodJobGetJob:
		return call(method, f.JobGetJob, args, reply)
	case drover.MethodJobList:
		return call(method, f.JobList, args, reply)
	case drover.MethodJobAllocations:
		return call(method, f.JobAllocations, args, reply)
	case drover.MethodJobEvaluations:
		return call(method, f.JobEvaluations, args, reply)
	case drover.MethodJobSummary:
		return call(method, f.JobSummary, args, reply)
	case drover.MethodAllocList:
		return call(method, f.AllocList, args, reply)
	case drover.MethodAllocGetAlloc:
		return call(method, f.AllocGetAlloc, args, reply)
	case drover.MethodEvalList:
		return call(method, f.EvalList, args, reply)
	case drover.MethodEvalGetEval:
		return call(method, f.EvalGetEval, args, reply)
	case drover.MethodNodeList:
		return call(method, f.NodeList, args, reply)
	case drover.MethodNodeGetNode:
		return call(method, f.NodeGetNode, args, reply)
	case drover.MethodNodeGetAllocs:
		return call(method, f.NodeGetAllocs, args, reply)
	case drover.MethodStatusLeader:
		return call(method, f.StatusLeader, args, reply)
	}
	return fmt.Errorf("fake rpc: unknown method %s", method)
}

func call[A, R any](method string, fn func(*A, *R) error, args, reply any) error {
	if fn == nil {
		return fmt.Errorf("fake rpc: %s not set", method)
	}
	return fn(args.(*A), reply.(*R))
}

// fakeClient is a local client agent whose logs come from Logs.
type fakeClient struct {
	Node string
	Logs func(ctx context.Context, allocID, task, stream, origin string, offset int64, follow bool) (io.ReadCloser, error)
}

func (f *fakeClient) AllocLogs(ctx context.Context, allocID, task, stream, origin string, offset int64, follow bool) (io.ReadCloser, error) {
	return f.Logs(ctx, allocID, task, stream, origin, offset, follow)
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
