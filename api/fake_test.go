package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/httpapi"
	"github.com/drover-sh/drover/internal/testutil"
)

// fakeClient serves logs from Logs and every allocation's files from
// AllocDir.
type fakeClient struct {
	Logs  func(ctx context.Context, allocID, task, stream, origin string, offset int64, follow bool) (io.ReadCloser, error)
	Stats func(allocID string) (*drover.AllocResourceUsage, error)
	// Restart and Signal answer the allocation controls; nil answers
	// drover.ErrNotSupported.
	Restart  func(allocID, task string, allTasks bool) error
	Signal   func(allocID, task, signal string) error
	AllocDir string
	GCs      int // CollectAllGarbage calls

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

func (f *fakeClient) NodeID() string { return "n1" }

// newTestClient serves the real HTTP API over rpc (and client, may be nil)
// and returns an api client of it. Requests' X-Nomad-Token values are sent
// on tokens when it is not nil.
func newTestClient(t *testing.T, rpc *testutil.FakeRPC, client httpapi.Client, tokens chan<- string) *Client {
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
