package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	drover "github.com/drover-sh/drover"
)

// drainScript plays a drain to the monitor's two watchers in a fixed order.
// A plain read (no ?index) of the node or of its allocations gets the
// initial answer. Blocking reads get the steps, in order: a step is served
// only to a read of its kind, and only once the step before it was taken
// in, that is, once the watcher that got it asked again (which it does
// after printing what it saw). So the transcript does not depend on how
// the two watchers are scheduled. Reads after the last step block until
// the monitor gives up on them.
type drainScript struct {
	initialNode   *drover.Node
	initialAllocs []*drover.Allocation
	steps         []drainStep
	// waiting, when set, is told the kind of each blocking read that
	// finds no step to serve and waits.
	waiting chan string

	mu          sync.Mutex
	next        int    // the step to serve next
	outstanding string // the kind of the step served and not yet taken in
	changed     chan struct{}
}

// drainStep is one blocking answer: the node, or the node's allocations.
type drainStep struct {
	node   *drover.Node
	allocs []*drover.Allocation
}

func (s *drainStep) kind() string {
	if s.node != nil {
		return "node"
	}
	return "allocs"
}

// install answers the fixture node's reads on f with the script.
func (s *drainScript) install(f *fakeAgent) {
	s.changed = make(chan struct{})
	f.handle("GET /v1/node/"+nodeID, s.handler("node"))
	f.handle("GET /v1/node/"+nodeID+"/allocations", s.handler("allocs"))
}

func (s *drainScript) handler(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("index") == "" {
			if kind == "node" {
				writeIndexed(w, 100, s.initialNode)
			} else {
				writeIndexed(w, 100, s.initialAllocs)
			}
			return
		}
		s.mu.Lock()
		if s.outstanding == kind {
			s.outstanding = ""
			s.next++
			close(s.changed)
			s.changed = make(chan struct{})
		}
		for s.outstanding != "" || s.next >= len(s.steps) || s.steps[s.next].kind() != kind {
			ch := s.changed
			s.mu.Unlock()
			if s.waiting != nil {
				select {
				case s.waiting <- kind:
				default:
				}
			}
			select {
			case <-ch:
			case <-r.Context().Done():
				return
			}
			s.mu.Lock()
		}
		step := s.steps[s.next]
		s.outstanding = kind
		index := uint64(101 + s.next)
		s.mu.Unlock()
		if step.node != nil {
			writeIndexed(w, index, step.node)
		} else {
			writeIndexed(w, index, step.allocs)
		}
	}
}

// writeIndexed answers v as JSON at index.
func writeIndexed(w http.ResponseWriter, index uint64, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Nomad-Index", strconv.FormatUint(index, 10))
	_ = json.NewEncoder(w).Encode(v)
}

// drainingNode is the fixture node draining with strategy d.
func drainingNode(d *drover.DrainStrategy) *drover.Node {
	n := helloNode()
	n.Drain, n.SchedulingEligibility, n.DrainStrategy = true, drover.NodeIneligible, d
	n.LastDrain = &drover.DrainMetadata{StartedAt: t0, UpdatedAt: t0, Status: drover.DrainStatusDraining}
	return n
}

// drainedNode is the fixture node after its drain ended with status.
func drainedNode(status string) *drover.Node {
	n := helloNode()
	n.SchedulingEligibility = drover.NodeIneligible
	n.LastDrain = &drover.DrainMetadata{StartedAt: t0, UpdatedAt: testNow, Status: status}
	return n
}

// drainAlloc is an allocation on the fixture node: id, of a job of type
// typ, with the given desired and client status, marked for migration or
// not.
func drainAlloc(id, typ, desired, client string, migrate bool) *drover.Allocation {
	a := helloAlloc()
	a.ID, a.ClientStatus, a.DesiredStatus = id, client, desired
	a.Job.Type = typ
	if migrate {
		a.DesiredTransition.Migrate = &migrate
	}
	return a
}

const (
	webA = "aaaa0000-0000-4000-8000-000000000001"
	webB = "bbbb0000-0000-4000-8000-000000000002"
	sysC = "cccc0000-0000-4000-8000-000000000003"
)

func svc(id, desired, client string, migrate bool) *drover.Allocation {
	return drainAlloc(id, drover.JobTypeService, desired, client, migrate)
}

const (
	run, stop        = drover.AllocDesiredStatusRun, drover.AllocDesiredStatusStop
	running, stopped = drover.AllocClientStatusRunning, drover.AllocClientStatusComplete
)

// TestNodeDrainMonitor starts a drain and follows it to its end: each
// allocation is marked for migration, drained and stopped, the drain
// completes, and the command exits 0.
func TestNodeDrainMonitor(t *testing.T) {
	f := newFakeAgent(t)
	drainCluster(f)
	d := &drover.DrainStrategy{Deadline: 30 * time.Minute, StartedAt: t0, ForceDeadline: t0.Add(30 * time.Minute)}
	s := &drainScript{
		initialNode:   drainingNode(d),
		initialAllocs: []*drover.Allocation{svc(webA, run, running, false), svc(webB, run, running, false)},
		steps: []drainStep{
			{allocs: []*drover.Allocation{svc(webA, run, running, true), svc(webB, run, running, false)}},
			{allocs: []*drover.Allocation{svc(webA, stop, running, true), svc(webB, run, running, true)}},
			{allocs: []*drover.Allocation{svc(webA, stop, stopped, true), svc(webB, stop, running, true)}},
			{node: drainedNode(drover.DrainStatusComplete)},
			{allocs: []*drover.Allocation{svc(webA, stop, stopped, true), svc(webB, stop, stopped, true)}},
		},
	}
	s.install(f)
	args := []string{"node", "drain", "-enable", "-yes", "-deadline", "30m", "3e5f"}
	r := runCLI(context.Background(), t, f, "", args...)
	if r.code != 0 {
		t.Errorf("exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	checkGolden(t, "node_drain_monitor", f, args, r)
	if n := len(f.find(drainPath)); n != 1 {
		t.Errorf("%d drain writes, want 1", n)
	}
}

// TestNodeDrainMonitorMarkedBeforeFirstRead: the drainer marks the first
// allocation as soon as the drain is set, before the monitor's first read;
// the monitor still says it was marked.
func TestNodeDrainMonitorMarkedBeforeFirstRead(t *testing.T) {
	f := newFakeAgent(t)
	drainCluster(f)
	d := &drover.DrainStrategy{Deadline: 30 * time.Minute, StartedAt: t0, ForceDeadline: t0.Add(30 * time.Minute)}
	s := &drainScript{
		initialNode:   drainingNode(d),
		initialAllocs: []*drover.Allocation{svc(webA, run, running, true), svc(webB, run, running, false)},
		steps: []drainStep{
			{allocs: []*drover.Allocation{svc(webA, stop, stopped, true), svc(webB, run, running, true)}},
			{node: drainedNode(drover.DrainStatusComplete)},
			{allocs: []*drover.Allocation{svc(webA, stop, stopped, true), svc(webB, stop, stopped, true)}},
		},
	}
	s.install(f)
	args := []string{"node", "drain", "-enable", "-yes", "-deadline", "30m", "3e5f"}
	r := runCLI(context.Background(), t, f, "", args...)
	if r.code != 0 {
		t.Errorf("exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	checkGolden(t, "node_drain_monitor_marked_first", f, args, r)
	if !strings.Contains(r.stdout, `Alloc "`+webA+`" marked for migration`) {
		t.Errorf("the allocation marked before the first read is not mentioned:\n%s", r.stdout)
	}
}

// TestNodeDrainMonitorAttach: -monitor follows a running drain that leaves
// system jobs alone, so a running system allocation does not hold it up;
// it writes nothing.
func TestNodeDrainMonitorAttach(t *testing.T) {
	f := newFakeAgent(t)
	drainCluster(f)
	d := &drover.DrainStrategy{Deadline: -1, IgnoreSystemJobs: true, StartedAt: t0}
	sys := drainAlloc(sysC, drover.JobTypeSystem, run, running, false)
	s := &drainScript{
		initialNode:   drainingNode(d),
		initialAllocs: []*drover.Allocation{svc(webA, stop, running, true), sys},
		steps: []drainStep{
			{allocs: []*drover.Allocation{svc(webA, stop, stopped, true), sys}},
			{node: drainedNode(drover.DrainStatusComplete)},
		},
	}
	s.install(f)
	args := []string{"node", "drain", "-monitor", nodeID}
	r := runCLI(context.Background(), t, f, "", args...)
	if r.code != 0 {
		t.Errorf("exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	checkGolden(t, "node_drain_monitor_attach", f, args, r)
	for _, req := range f.requested() {
		if !strings.HasPrefix(req, "GET ") {
			t.Errorf("-monitor sent %s", req)
		}
	}
}

// TestNodeDrainMonitorCanceled: a drain ended by someone else before it
// completed ends the monitor with exit 1.
func TestNodeDrainMonitorCanceled(t *testing.T) {
	f := newFakeAgent(t)
	drainCluster(f)
	s := &drainScript{
		initialNode:   drainingNode(&drover.DrainStrategy{}),
		initialAllocs: []*drover.Allocation{svc(webA, run, running, false)},
		steps: []drainStep{
			{allocs: []*drover.Allocation{svc(webA, run, running, true)}},
			{node: drainedNode(drover.DrainStatusCanceled)},
		},
	}
	s.install(f)
	args := []string{"node", "drain", "-monitor", nodeID}
	r := runCLI(context.Background(), t, f, "", args...)
	if r.code != 1 {
		t.Errorf("exit code %d, want 1; stderr:\n%s", r.code, r.stderr)
	}
	checkGolden(t, "node_drain_monitor_canceled", f, args, r)
}

// TestNodeDrainMonitorNotDraining: -monitor on a node that is not draining
// says so and exits 0.
func TestNodeDrainMonitorNotDraining(t *testing.T) {
	f := newFakeAgent(t)
	drainCluster(f)
	args := []string{"node", "drain", "-monitor", "3e5f"}
	r := runCLI(context.Background(), t, f, "", args...)
	if r.code != 0 {
		t.Errorf("exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	checkGolden(t, "node_drain_monitor_not_draining", f, args, r)
	if got := f.find("GET /v1/node/" + nodeID + "/allocations"); len(got) != 0 {
		t.Errorf("read the allocations of a node that is not draining")
	}
}

// TestNodeDrainMonitorInterrupted: Ctrl-C while the monitor waits ends it
// with exit 0, saying the drain goes on.
func TestNodeDrainMonitorInterrupted(t *testing.T) {
	f := newFakeAgent(t)
	drainCluster(f)
	// No steps: both watchers block after their first answers.
	s := &drainScript{
		initialNode:   drainingNode(&drover.DrainStrategy{}),
		initialAllocs: []*drover.Allocation{svc(webA, run, running, false)},
	}
	s.waiting = make(chan string, 4)
	s.install(f)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Ctrl-C once both watchers wait for a change.
		seen := map[string]bool{}
		for len(seen) < 2 {
			seen[<-s.waiting] = true
		}
		cancel()
	}()
	args := []string{"node", "drain", "-enable", "-yes", nodeID}
	r := runCLI(ctx, t, f, "", args...)
	if r.code != 0 {
		t.Errorf("exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	checkGolden(t, "node_drain_monitor_interrupted", f, args, r)
}

// TestNodeDrainMonitorReadError: a failing read ends the monitor with the
// error.
func TestNodeDrainMonitorReadError(t *testing.T) {
	f := newFakeAgent(t)
	drainCluster(f)
	(&drainScript{initialNode: drainingNode(&drover.DrainStrategy{})}).install(f)
	f.handle("GET /v1/node/"+nodeID+"/allocations", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"Error": "state store unavailable"}`))
	}))
	r := runCLI(context.Background(), t, f, "", "node", "drain", "-enable", "-yes", nodeID)
	if r.code != 1 || !strings.Contains(r.stderr, "reading allocations of node") || !strings.Contains(r.stderr, "state store unavailable") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
