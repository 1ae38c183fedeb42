package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/testutil"
)

// drainRPC answers the drain and eligibility methods with its functions
// and every other method with FakeRPC's.
type drainRPC struct {
	testutil.FakeRPC
	drain func(*drover.NodeUpdateDrainRequest, *drover.NodeDrainUpdateResponse) error
	elig  func(*drover.NodeUpdateEligibilityRequest, *drover.NodeEligibilityUpdateResponse) error
	calls int
}

func (d *drainRPC) RPC(ctx context.Context, method string, args, reply any) error {
	switch method {
	case drover.MethodNodeUpdateDrain:
		d.calls++
		return d.drain(args.(*drover.NodeUpdateDrainRequest), reply.(*drover.NodeDrainUpdateResponse))
	case drover.MethodNodeUpdateEligibility:
		d.calls++
		return d.elig(args.(*drover.NodeUpdateEligibilityRequest), reply.(*drover.NodeEligibilityUpdateResponse))
	}
	return d.FakeRPC.RPC(ctx, method, args, reply)
}

// jsonKeys returns the sorted keys of a JSON object answer.
func jsonKeys(t *testing.T, body []byte) []string {
	t.Helper()
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %s", err, body)
	}
	var keys []string
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestNodeDrainRoute(t *testing.T) {
	var got *drover.NodeUpdateDrainRequest
	f := &drainRPC{drain: func(a *drover.NodeUpdateDrainRequest, r *drover.NodeDrainUpdateResponse) error {
		got = a
		*r = drover.NodeDrainUpdateResponse{NodeModifyIndex: 20, EvalIDs: []string{"e1"}, EvalCreateIndex: 21, WriteMeta: drover.WriteMeta{Index: 21}}
		return nil
	}}
	h := New(Config{RPC: f, Region: "r2"})

	// Nomad's api client sends the node ID in the body too; the path's wins.
	w := serve(t, h, "PUT", "/v1/node/n1/drain?region=r2",
		`{"NodeID": "other", "DrainSpec": {"Deadline": 3600000000000, "IgnoreSystemJobs": true}, "MarkEligible": false, "Meta": {"reason": "upgrade"}}`)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	want := &drover.NodeUpdateDrainRequest{
		NodeID: "n1", DrainStrategy: &drover.DrainStrategy{Deadline: time.Hour, IgnoreSystemJobs: true},
		Meta: map[string]string{"reason": "upgrade"}, WriteRequest: drover.WriteRequest{Region: "r2", Namespace: "default"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("request %+v, want %+v", got, want)
	}
	if keys := jsonKeys(t, w.Body.Bytes()); !slices.Equal(keys, []string{"EvalCreateIndex", "EvalIDs", "Index", "NodeModifyIndex"}) {
		t.Errorf("answer keys %v, want Nomad's NodeDrainUpdateResponse", keys)
	}
	if w.Header().Get("X-Nomad-Index") != "21" {
		t.Errorf("X-Nomad-Index %q, want 21", w.Header().Get("X-Nomad-Index"))
	}

	// A null DrainSpec ends the drain.
	w = serve(t, h, "POST", "/v1/node/n1/drain", `{"DrainSpec": null, "MarkEligible": true}`)
	if w.Code != http.StatusOK || got.DrainStrategy != nil || !got.MarkEligible {
		t.Errorf("disable: status %d, request %+v", w.Code, got)
	}
}

func TestNodeEligibilityRoute(t *testing.T) {
	var got *drover.NodeUpdateEligibilityRequest
	f := &drainRPC{elig: func(a *drover.NodeUpdateEligibilityRequest, r *drover.NodeEligibilityUpdateResponse) error {
		got = a
		*r = drover.NodeEligibilityUpdateResponse{NodeModifyIndex: 30, WriteMeta: drover.WriteMeta{Index: 30}}
		return nil
	}}
	h := New(Config{RPC: f})
	for _, method := range []string{"PUT", "POST"} {
		w := serve(t, h, method, "/v1/node/n1/eligibility", `{"Eligibility": "ineligible"}`)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", method, w.Code, w.Body)
		}
		if got.NodeID != "n1" || got.Eligibility != drover.NodeIneligible {
			t.Errorf("%s: request %+v", method, got)
		}
		if keys := jsonKeys(t, w.Body.Bytes()); !slices.Equal(keys, []string{"EvalCreateIndex", "EvalIDs", "Index", "NodeModifyIndex"}) {
			t.Errorf("%s: answer keys %v, want Nomad's NodeEligibilityUpdateResponse", method, keys)
		}
	}
}

func TestNodeDrainRoutesRefuseBadInput(t *testing.T) {
	f := &drainRPC{
		drain: func(*drover.NodeUpdateDrainRequest, *drover.NodeDrainUpdateResponse) error { return nil },
		elig:  func(*drover.NodeUpdateEligibilityRequest, *drover.NodeEligibilityUpdateResponse) error { return nil },
	}
	h := New(Config{RPC: f})
	tests := []struct {
		path, body, msg string
	}{
		{"/v1/node/n1/drain", "", "request body is empty"},
		{"/v1/node/n1/drain", `{"DrainSpec": {"Deadline": "1h"}}`, "invalid JSON body"},
		{"/v1/node/n1/drain", `{"DrainSpec": `, "invalid JSON body"},
		{"/v1/node/n1/eligibility", "", "request body is empty"},
		{"/v1/node/n1/eligibility", `{"Eligibility": "yes"}`, `Eligibility "yes" is not "eligible" or "ineligible"`},
		{"/v1/node/n1/eligibility", `{}`, `Eligibility "" is not`},
	}
	for _, tt := range tests {
		w := serve(t, h, "PUT", tt.path, tt.body)
		if w.Code != http.StatusBadRequest || !strings.Contains(errorOf(t, w), tt.msg) {
			t.Errorf("%s %q: %d %s, want 400 mentioning %q", tt.path, tt.body, w.Code, w.Body, tt.msg)
		}
	}
	if f.calls != 0 {
		t.Errorf("bad input reached the server %d times", f.calls)
	}
	if w := serve(t, h, "GET", "/v1/node/n1/drain", ""); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET drain: %d, want 405", w.Code)
	}
}

func TestNodeDrainRoutesErrorKinds(t *testing.T) {
	f := &drainRPC{
		drain: func(*drover.NodeUpdateDrainRequest, *drover.NodeDrainUpdateResponse) error {
			return drover.Errorf(drover.ErrNotFound, "node drain: node nope not found")
		},
		elig: func(*drover.NodeUpdateEligibilityRequest, *drover.NodeEligibilityUpdateResponse) error {
			return drover.Errorf(drover.ErrInvalid, "node n1 is draining")
		},
	}
	h := New(Config{RPC: f})
	w := serve(t, h, "PUT", "/v1/node/nope/drain", `{"DrainSpec": {"Deadline": 0}}`)
	if w.Code != http.StatusNotFound || errorOf(t, w) != "node drain: node nope not found" {
		t.Errorf("unknown node: %d %s", w.Code, w.Body)
	}
	w = serve(t, h, "PUT", "/v1/node/n1/eligibility", `{"Eligibility": "eligible"}`)
	if w.Code != http.StatusBadRequest || errorOf(t, w) != "node n1 is draining" {
		t.Errorf("eligible while draining: %d %s", w.Code, w.Body)
	}
}

// TestNodeDrainStrategyJSON: a draining node serves its drain as Nomad's
// api.Node decodes it: durations in nanoseconds, times in RFC 3339, and
// DrainStrategy's fields flat (Nomad's embeds DrainSpec).
func TestNodeDrainStrategyJSON(t *testing.T) {
	started := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	f := &testutil.FakeRPC{NodeGetNode: func(a *drover.NodeSpecificRequest, r *drover.SingleNodeResponse) error {
		n := testNode()
		n.Drain, n.SchedulingEligibility = true, drover.NodeIneligible
		n.DrainStrategy = &drover.DrainStrategy{Deadline: time.Hour, IgnoreSystemJobs: true, StartedAt: started, ForceDeadline: started.Add(time.Hour)}
		n.LastDrain = &drover.DrainMetadata{StartedAt: started, UpdatedAt: started, Status: drover.DrainStatusDraining, Meta: map[string]string{"k": "v"}}
		r.Node, r.QueryMeta = n, testMeta
		return nil
	}}
	w := serve(t, New(Config{RPC: f}), "GET", "/v1/node/n1", "")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var raw struct {
		DrainStrategy map[string]any
		LastDrain     map[string]any
	}
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	wantDrain := map[string]any{"Deadline": float64(3600000000000), "IgnoreSystemJobs": true,
		"ForceDeadline": "2026-05-01T11:00:00Z", "StartedAt": "2026-05-01T10:00:00Z"}
	if !reflect.DeepEqual(raw.DrainStrategy, wantDrain) {
		t.Errorf("DrainStrategy %v, want %v", raw.DrainStrategy, wantDrain)
	}
	wantLast := map[string]any{"StartedAt": "2026-05-01T10:00:00Z", "UpdatedAt": "2026-05-01T10:00:00Z",
		"Status": "draining", "Meta": map[string]any{"k": "v"}}
	if !reflect.DeepEqual(raw.LastDrain, wantLast) {
		t.Errorf("LastDrain %v, want %v", raw.LastDrain, wantLast)
	}
}
