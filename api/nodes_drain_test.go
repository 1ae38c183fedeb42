package api

import (
	"context"
	"errors"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/httpapi"
	"github.com/drover-sh/drover/internal/testutil"
)

// drainServer is a server for the drain and eligibility methods: it keeps
// the last request of each and answers with the fixed indexes below, or
// with err when set.
type drainServer struct {
	testutil.FakeRPC
	drain *drover.NodeUpdateDrainRequest
	elig  *drover.NodeUpdateEligibilityRequest
	err   error
}

func (d *drainServer) RPC(ctx context.Context, method string, args, reply any) error {
	if d.err != nil && (method == drover.MethodNodeUpdateDrain || method == drover.MethodNodeUpdateEligibility) {
		return d.err
	}
	switch method {
	case drover.MethodNodeUpdateDrain:
		d.drain = args.(*drover.NodeUpdateDrainRequest)
		*reply.(*drover.NodeDrainUpdateResponse) = drover.NodeDrainUpdateResponse{
			NodeModifyIndex: 40, EvalIDs: []string{"e1"}, EvalCreateIndex: 41, WriteMeta: drover.WriteMeta{Index: 41}}
		return nil
	case drover.MethodNodeUpdateEligibility:
		d.elig = args.(*drover.NodeUpdateEligibilityRequest)
		*reply.(*drover.NodeEligibilityUpdateResponse) = drover.NodeEligibilityUpdateResponse{
			NodeModifyIndex: 50, WriteMeta: drover.WriteMeta{Index: 50}}
		return nil
	}
	return d.FakeRPC.RPC(ctx, method, args, reply)
}

func newDrainClient(t *testing.T, rpc httpapi.RPC) *Client {
	t.Helper()
	srv := httptest.NewServer(httpapi.New(httpapi.Config{RPC: rpc}))
	t.Cleanup(srv.Close)
	c, err := NewClient(Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNodesUpdateDrain(t *testing.T) {
	d := &drainServer{}
	c := newDrainClient(t, d)
	resp, wm, err := c.Nodes().UpdateDrain("n/1", &DrainSpec{Deadline: time.Hour, IgnoreSystemJobs: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := &drover.NodeUpdateDrainRequest{NodeID: "n/1", DrainStrategy: &drover.DrainStrategy{Deadline: time.Hour, IgnoreSystemJobs: true},
		WriteRequest: drover.WriteRequest{Region: "global", Namespace: "default"}}
	if !reflect.DeepEqual(d.drain, want) {
		t.Errorf("server got %+v, want %+v", d.drain, want)
	}
	if resp.NodeModifyIndex != 40 || resp.EvalCreateIndex != 41 || len(resp.EvalIDs) != 1 || resp.Index != 41 || wm.LastIndex != 41 {
		t.Errorf("response %+v, meta %+v", resp, wm)
	}

	_, _, err = c.Nodes().UpdateDrainOpts("n1", &DrainOptions{MarkEligible: true, Meta: map[string]string{"by": "ops"}})
	if err != nil {
		t.Fatal(err)
	}
	if d.drain.DrainStrategy != nil || !d.drain.MarkEligible || d.drain.Meta["by"] != "ops" {
		t.Errorf("disable: server got %+v", d.drain)
	}
	if _, _, err := c.Nodes().UpdateDrainOpts("n1", nil); err != nil || d.drain.DrainStrategy != nil || d.drain.MarkEligible {
		t.Errorf("nil options: %v, server got %+v", err, d.drain)
	}
}

func TestNodesToggleEligibility(t *testing.T) {
	d := &drainServer{}
	c := newDrainClient(t, d)
	for _, eligible := range []bool{true, false} {
		resp, wm, err := c.Nodes().ToggleEligibility("n1", eligible)
		if err != nil {
			t.Fatal(err)
		}
		want := drover.NodeIneligible
		if eligible {
			want = drover.NodeEligible
		}
		if d.elig.NodeID != "n1" || d.elig.Eligibility != want {
			t.Errorf("server got %+v, want %s", d.elig, want)
		}
		if resp.NodeModifyIndex != 50 || wm.LastIndex != 50 {
			t.Errorf("response %+v, meta %+v", resp, wm)
		}
	}
}

func TestNodesDrainErrors(t *testing.T) {
	d := &drainServer{err: drover.Errorf(drover.ErrInvalid, "node n1 is draining")}
	c := newDrainClient(t, d)
	if _, _, err := c.Nodes().ToggleEligibility("n1", true); !errors.Is(err, drover.ErrInvalid) {
		t.Errorf("eligibility: %v, want ErrInvalid", err)
	}
	d.err = drover.Errorf(drover.ErrNotFound, "node nope not found")
	if _, _, err := c.Nodes().UpdateDrain("nope", &DrainSpec{}, false); !errors.Is(err, drover.ErrNotFound) {
		t.Errorf("drain: %v, want ErrNotFound", err)
	}
}

// TestNodeInfoDrainRoundTrip: a node's drain survives the HTTP API.
func TestNodeInfoDrainRoundTrip(t *testing.T) {
	started := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	node := &drover.Node{ID: "n1", Drain: true, SchedulingEligibility: drover.NodeIneligible,
		DrainStrategy: &drover.DrainStrategy{Deadline: -1, StartedAt: started},
		LastDrain:     &drover.DrainMetadata{StartedAt: started, UpdatedAt: started.Add(time.Second), Status: drover.DrainStatusDraining}}
	d := &drainServer{FakeRPC: testutil.FakeRPC{NodeGetNode: func(a *drover.NodeSpecificRequest, r *drover.SingleNodeResponse) error {
		r.Node = node
		return nil
	}}}
	got, _, err := newDrainClient(t, d).Nodes().Info("n1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.DrainStrategy, node.DrainStrategy) || !reflect.DeepEqual(got.LastDrain, node.LastDrain) {
		t.Errorf("got %+v / %+v, want %+v / %+v", got.DrainStrategy, got.LastDrain, node.DrainStrategy, node.LastDrain)
	}
}
