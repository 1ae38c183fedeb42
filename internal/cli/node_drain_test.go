package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	drover "github.com/drover-sh/drover"
)

// drainPath and eligibilityPath are the write routes of the fixture node.
const (
	drainPath       = "PUT /v1/node/" + nodeID + "/drain"
	eligibilityPath = "PUT /v1/node/" + nodeID + "/eligibility"
)

// drainCluster is the fixture cluster that also answers drain and
// eligibility writes.
func drainCluster(f *fakeAgent) {
	cluster(f)
	f.handle(drainPath, &drover.NodeDrainUpdateResponse{NodeModifyIndex: 70, WriteMeta: drover.WriteMeta{Index: 70}})
	f.handle(eligibilityPath, &drover.NodeEligibilityUpdateResponse{NodeModifyIndex: 71, WriteMeta: drover.WriteMeta{Index: 71}})
}

// sentDrain is the body of a drain write as the agent received it.
type sentDrain struct {
	NodeID    string
	DrainSpec *struct {
		Deadline         int64
		IgnoreSystemJobs bool
	}
	MarkEligible bool
	Meta         map[string]string
}

func drainBodies(t *testing.T, f *fakeAgent) []sentDrain {
	t.Helper()
	var out []sentDrain
	for _, r := range f.find(drainPath) {
		var b sentDrain
		if err := json.Unmarshal([]byte(r.Body), &b); err != nil {
			t.Fatalf("drain body %q: %v", r.Body, err)
		}
		out = append(out, b)
	}
	return out
}

// TestNodeDrainWrites runs the drain and eligibility commands that write
// without monitoring, and checks both their output and what they sent.
func TestNodeDrainWrites(t *testing.T) {
	type spec = struct {
		Deadline         int64
		IgnoreSystemJobs bool
	}
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  *sentDrain // nil: no drain write
		elig  string     // the eligibility sent, "" for none
	}{
		{"node_drain_enable_detach", []string{"node", "drain", "-enable", "-detach", nodeID}, "",
			&sentDrain{NodeID: nodeID, DrainSpec: &spec{Deadline: int64(time.Hour)}}, ""},
		{"node_drain_enable_options", []string{"node", "drain", "-enable", "-detach", "-deadline", "30m", "-ignore-system", "-meta", "reason=kernel", "-meta", "ticket=OPS-1", nodeID}, "",
			&sentDrain{NodeID: nodeID, DrainSpec: &spec{Deadline: int64(30 * time.Minute), IgnoreSystemJobs: true},
				Meta: map[string]string{"reason": "kernel", "ticket": "OPS-1"}}, ""},
		{"node_drain_force", []string{"node", "drain", "-enable", "-detach", "-force", nodeID}, "",
			&sentDrain{NodeID: nodeID, DrainSpec: &spec{Deadline: -1}}, ""},
		{"node_drain_no_deadline", []string{"node", "drain", "-enable", "-detach", "-no-deadline", "-self"}, "",
			&sentDrain{NodeID: nodeID, DrainSpec: &spec{Deadline: 0}}, ""},
		{"node_drain_prefix_confirmed", []string{"node", "drain", "-enable", "-detach", "3e5f"}, "y\n",
			&sentDrain{NodeID: nodeID, DrainSpec: &spec{Deadline: int64(time.Hour)}}, ""},
		{"node_drain_prefix_declined", []string{"node", "drain", "-disable", "3e5f"}, "n\n", nil, ""},
		{"node_drain_disable", []string{"node", "drain", "-disable", "-yes", "3e5f"}, "",
			&sentDrain{NodeID: nodeID, MarkEligible: true}, ""},
		{"node_drain_disable_keep_ineligible", []string{"node", "drain", "-disable", "-keep-ineligible", nodeID}, "",
			&sentDrain{NodeID: nodeID}, ""},
		{"node_eligibility_disable", []string{"node", "eligibility", "-disable", "3e5f"}, "", nil, drover.NodeIneligible},
		{"node_eligibility_enable_self", []string{"node", "eligibility", "-enable", "-self"}, "", nil, drover.NodeEligible},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeAgent(t)
			drainCluster(f)
			r := runCLI(context.Background(), t, f, tt.stdin, tt.args...)
			if r.code != 0 {
				t.Errorf("exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
			}
			checkGolden(t, tt.name, f, tt.args, r)
			bodies := drainBodies(t, f)
			switch {
			case tt.want == nil && len(bodies) != 0:
				t.Errorf("sent drain writes %+v, want none", bodies)
			case tt.want != nil && (len(bodies) != 1 || !reflect.DeepEqual(bodies[0], *tt.want)):
				t.Errorf("sent drain writes %+v, want one: %+v", bodies, *tt.want)
			}
			eligs := f.find(eligibilityPath)
			if tt.elig == "" && len(eligs) != 0 {
				t.Errorf("sent eligibility writes %v, want none", eligs)
			}
			if tt.elig != "" {
				var b struct{ Eligibility string }
				if len(eligs) != 1 || json.Unmarshal([]byte(eligs[0].Body), &b) != nil || b.Eligibility != tt.elig {
					t.Errorf("sent eligibility writes %+v, want one of %q", eligs, tt.elig)
				}
			}
		})
	}
}

// TestNodeDrainErrors: misuse exits 2 with the usage, failures exit 1 with
// the reason, and neither writes anything.
func TestNodeDrainErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"node_drain_enable_and_disable", []string{"node", "drain", "-enable", "-disable", nodeID}, 2},
		{"node_drain_no_mode", []string{"node", "drain", nodeID}, 2},
		{"node_drain_bad_deadline", []string{"node", "drain", "-enable", "-deadline", "soon", nodeID}, 2},
		{"node_drain_zero_deadline", []string{"node", "drain", "-enable", "-deadline", "0s", nodeID}, 2},
		{"node_drain_deadline_and_force", []string{"node", "drain", "-enable", "-deadline", "10m", "-force", nodeID}, 2},
		{"node_drain_flags_of_other_mode", []string{"node", "drain", "-disable", "-ignore-system", "-detach", nodeID}, 2},
		{"node_drain_bad_meta", []string{"node", "drain", "-enable", "-meta", "novalue", nodeID}, 2},
		{"node_drain_self_and_node", []string{"node", "drain", "-enable", "-self", nodeID}, 2},
		{"node_drain_missing_node", []string{"node", "drain", "-enable"}, 2},
		{"node_drain_unknown_node", []string{"node", "drain", "-enable", "nope"}, 1},
		{"node_drain_ambiguous", []string{"node", "drain", "-enable", "-yes", "3e"}, 1},
		{"node_eligibility_both", []string{"node", "eligibility", "-enable", "-disable", nodeID}, 2},
		{"node_eligibility_unknown_node", []string{"node", "eligibility", "-enable", "nope"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeAgent(t)
			drainCluster(f)
			r := runCLI(context.Background(), t, f, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			checkGolden(t, tt.name, f, tt.args, r)
			for _, req := range f.requested() {
				if !strings.HasPrefix(req, "GET ") {
					t.Errorf("a refused command sent %s", req)
				}
			}
		})
	}
}

// TestNodeEligibilityRefused: the agent's refusal (a draining node made
// eligible) is reported with its reason, exit 1.
func TestNodeEligibilityRefused(t *testing.T) {
	f := newFakeAgent(t)
	drainCluster(f)
	f.handle(eligibilityPath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"Error": "node " + nodeID + " is draining: it cannot be made eligible until its drain ends"})
	}))
	args := []string{"node", "eligibility", "-enable", nodeID}
	r := runCLI(context.Background(), t, f, "", args...)
	if r.code != 1 {
		t.Errorf("exit code %d, want 1", r.code)
	}
	checkGolden(t, "node_eligibility_refused", f, args, r)
}

// TestNodeStatusDraining shows a draining node's drain and last drain.
func TestNodeStatusDraining(t *testing.T) {
	f := newFakeAgent(t)
	drainCluster(f)
	n := helloNode()
	n.Drain, n.SchedulingEligibility = true, drover.NodeIneligible
	n.DrainStrategy = &drover.DrainStrategy{Deadline: time.Hour, IgnoreSystemJobs: true, StartedAt: t0, ForceDeadline: t0.Add(time.Hour)}
	n.LastDrain = &drover.DrainMetadata{StartedAt: t0, UpdatedAt: t0.Add(time.Second), Status: drover.DrainStatusDraining}
	f.handle("GET /v1/node/"+nodeID, n)
	args := []string{"node", "status", nodeID}
	r := runCLI(context.Background(), t, f, "", args...)
	if r.code != 0 {
		t.Errorf("exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	checkGolden(t, "node_status_draining", f, args, r)
}

func TestFormatDrain(t *testing.T) {
	at := t0.Add(time.Hour)
	tests := []struct {
		node *drover.Node
		want string
	}{
		{&drover.Node{}, "false"},
		{&drover.Node{Drain: true, DrainStrategy: &drover.DrainStrategy{Deadline: -1}}, "true; force drain"},
		{&drover.Node{Drain: true, DrainStrategy: &drover.DrainStrategy{}}, "true; no deadline"},
		{&drover.Node{Drain: true, DrainStrategy: &drover.DrainStrategy{Deadline: time.Hour, ForceDeadline: at, IgnoreSystemJobs: true}},
			"true; 2026-11-21T21:50:00Z deadline; ignoring system jobs"},
	}
	for _, tt := range tests {
		if got := formatDrain(tt.node); got != tt.want {
			t.Errorf("formatDrain(%+v) = %q, want %q", tt.node.DrainStrategy, got, tt.want)
		}
	}
}
