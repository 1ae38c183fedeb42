package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/httpapi"
)

// fakeRPC answers the RPCs behind the HTTP API with its function fields; an
// unset field fails the call.
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
	fns := map[string]any{
		drover.MethodJobRegister: f.JobRegister, drover.MethodJobDeregister: f.JobDeregister,
		drover.MethodJobGetJob: f.JobGetJob, drover.MethodJobList: f.JobList,
		drover.MethodJobAllocations: f.JobAllocations, drover.MethodJobEvaluations: f.JobEvaluations,
		drover.MethodJobSummary: f.JobSummary, drover.MethodAllocList: f.AllocList,
		drover.MethodAllocGetAlloc: f.AllocGetAlloc, drover.MethodEvalList: f.EvalList,
		drover.MethodEvalGetEval: f.EvalGetEval, drover.MethodNodeList: f.NodeList,
		drover.MethodNodeGetNode: f.NodeGetNode, drover.MethodNodeGetAllocs: f.NodeGetAllocs,
		drover.MethodStatusLeader: f.StatusLeader,
	}
	switch fn := fns[method].(type) {
	case func(*drover.JobRegisterRequest, *drover.JobRegisterResponse) error:
		return callFake(method, fn, args, reply)
	case func(*drover.JobDeregisterRequest, *drover.JobDeregisterResponse) error:
		return callFake(method, fn, args, reply)
	case func(*drover.JobSpecificRequest, *drover.SingleJobResponse) error:
		return callFake(method, fn, args, reply)
	case func(*drover.JobListRequest, *drover.JobListResponse) error:
		return callFake(method, fn, args, reply)
	case func(*drover.JobSpecificRequest, *drover.JobAllocationsResponse) error:
		return callFake(method, fn, args, reply)
	case func(*drover.JobSpecificRequest, *drover.JobEvaluationsResponse) error:
		return callFake(method, fn, args, reply)
	case func(*drover.JobSpecificRequest, *drover.JobSummaryResponse) error:
		return callFake(method, fn, args, reply)
	case func(*drover.AllocListRequest, *drover.AllocListResponse) error:
		return callFake(method, fn, args, reply)
	case func(*drover.AllocSpecificRequest, *drover.SingleAllocResponse) error:
		return callFake(method, fn, args, reply)
	case func(*drover.EvalListRequest, *drover.EvalListResponse) error:
		return callFake(method, fn, args, reply)
	case func(*drover.EvalSpecificRequest, *drover.SingleEvalResponse) error:
		return callFake(method, fn, args, reply)
	case func(*drover.NodeListRequest, *drover.NodeListResponse) error:
		return callFake(method, fn, args, reply)
	case func(*drover.NodeSpecificRequest, *drover.SingleNodeResponse) error:
		return callFake(method, fn, args, reply)
	case func(*drover.NodeSpecificRequest, *drover.NodeAllocsResponse) error:
		return callFake(method, fn, args, reply)
	case func(*drover.GenericRequest, *string) error:
		return callFake(method, fn, args, reply)
	}
	return fmt.Errorf("fake rpc: %s not set", method)
}

func callFake[A, R any](method string, fn func(*A, *R) error, args, reply any) error {
	if fn == nil {
		return fmt.Errorf("fake rpc: %s not set", method)
	}
	return fn(args.(*A), reply.(*R))
}

// fakeClient serves logs from Logs.
type fakeClient struct {
	Logs func(ctx context.Context, allocID, task, stream, origin string, offset int64, follow bool) (io.ReadCloser, error)
}

func (f *fakeClient) AllocLogs(ctx context.Context, allocID, task, stream, origin string, offset int64, follow bool) (io.ReadCloser, error) {
	return f.Logs(ctx, allocID, task, stream, origin, offset, follow)
}

func (f *fakeClient) NodeID() string { return "n1" }

// newTestClient serves the real HTTP API over rpc (and client, may be nil)
// and returns an api client of it. Requests' X-Nomad-Token values are sent
// on tokens when it is not nil.
func newTestClient(t *testing.T, rpc *fakeRPC, client httpapi.Client, tokens chan<- string) *Client {
	t.Helper()
	cfg := httpapi.Config{RPC: rpc, Client: client}
	h := httpapi.New(cfg)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tokens != nil {
			tokens <- r.Header.Get("X-Nomad-Token")
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(Config{Address: srv.URL, Token: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
