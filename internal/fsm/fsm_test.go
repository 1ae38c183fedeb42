package fsm

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/state"
)

// recorder records hook calls.
type recorder struct {
	evals  []string
	allocs []*drover.Allocation
	nodes  []string
}

func (r *recorder) hooks() Hooks {
	return Hooks{
		EvalsUpserted: func(es []*drover.Evaluation) {
			for _, e := range es {
				r.evals = append(r.evals, e.ID)
			}
		},
		AllocsClientUpdated: func(as []*drover.Allocation) { r.allocs = append(r.allocs, as...) },
		NodeUpserted:        func(n *drover.Node) { r.nodes = append(r.nodes, n.ID+"="+n.Status) },
	}
}

func newFSM(t *testing.T, hooks Hooks) *FSM {
	t.Helper()
	return New(nil, slog.New(slog.DiscardHandler), hooks)
}

// apply encodes and applies msg at index, as raft would.
func apply(t *testing.T, f *FSM, index uint64, mt MessageType, msg any) any {
	t.Helper()
	data, err := Encode(mt, msg)
	if err != nil {
		t.Fatal(err)
	}
	return f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: data})
}

func mustApply(t *testing.T, f *FSM, index uint64, mt MessageType, msg any) {
	t.Helper()
	if resp := apply(t, f, index, mt, msg); resp != nil {
		t.Fatalf("apply %s at %d: %v", mt, index, resp)
	}
}

func testJob(id string) *drover.Job {
	j := &drover.Job{ID: id, TaskGroups: []*drover.TaskGroup{{Name: "web", Count: 1,
		Tasks: []*drover.Task{{Name: "srv", Driver: "raw_exec", Config: map[string]any{"command": "sleep"}}}}}}
	j.Canonicalize()
	return j
}

func eval(id, jobID, status string) *drover.Evaluation {
	return &drover.Evaluation{ID: id, Namespace: "default", JobID: jobID, Status: status}
}

// seed applies one of each message type and returns the last index.
func seed(t *testing.T, f *FSM) uint64 {
	t.Helper()
	mustApply(t, f, 1, NodeRegisterRequestType, &NodeRegisterRequest{Node: &drover.Node{ID: "n1", SecretID: "s1", Status: drover.NodeStatusInit}})
	mustApply(t, f, 2, NodeUpdateStatusRequestType, &NodeUpdateStatusRequest{NodeID: "n1", Status: drover.NodeStatusReady, UpdatedAt: 99})
	mustApply(t, f, 3, NodeRegisterRequestType, &NodeRegisterRequest{Node: &drover.Node{ID: "n2", Status: drover.NodeStatusReady}})
	mustApply(t, f, 4, NodeDeregisterRequestType, &NodeDeregisterRequest{NodeID: "n2"})
	mustApply(t, f, 5, JobRegisterRequestType, &JobRegisterRequest{Job: testJob("web"), Eval: eval("e1", "web", "pending")})
	job, _ := f.State().JobByID(nil, "default", "web")
	mustApply(t, f, 6, ApplyPlanResultsRequestType, &ApplyPlanResultsRequest{
		Job: job, EvalID: "e1",
		AllocsUpdated: []*drover.Allocation{{ID: "a1", Namespace: "default", JobID: "web", TaskGroup: "web", NodeID: "n1", DesiredStatus: "run"}},
		Evals:         []*drover.Evaluation{eval("e1", "web", "complete")},
	})
	mustApply(t, f, 7, AllocClientUpdateRequestType, &AllocClientUpdateRequest{
		Allocs: []*drover.Allocation{{ID: "a1", ClientStatus: drover.AllocClientStatusRunning,
			TaskStates: map[string]*drover.TaskState{"srv": {State: drover.TaskStateRunning}}}},
		Evals: []*drover.Evaluation{eval("e2", "web", "pending")},
	})
	mustApply(t, f, 8, EvalUpdateRequestType, &EvalUpdateRequest{Evals: []*drover.Evaluation{eval("e2", "web", "complete"), eval("e3", "api", "pending")}})
	mustApply(t, f, 9, JobRegisterRequestType, &JobRegisterRequest{Job: testJob("api")})
	mustApply(t, f, 10, JobDeregisterRequestType, &JobDeregisterRequest{Namespace: "default", JobID: "api", Purge: true})
	mustApply(t, f, 11, EvalDeleteRequestType, &EvalDeleteRequest{Evals: []string{"e3"}})
	return 11
}

func TestApplyEachMessageType(t *testing.T) {
	var rec recorder
	f := newFSM(t, rec.hooks())
	seed(t, f)
	st := f.State()

	if n, _ := st.NodeByID(nil, "n1"); n == nil || n.Status != drover.NodeStatusReady || n.StatusUpdatedAt != 99 || n.ModifyIndex != 2 {
		t.Fatalf("node n1 = %+v", n)
	}
	if n, _ := st.NodeByID(nil, "n2"); n != nil {
		t.Fatal("deregistered node n2 still there")
	}
	j, _ := st.JobByID(nil, "default", "web")
	if j == nil || j.CreateIndex != 5 || j.Status != drover.JobStatusRunning {
		t.Fatalf("job web = %+v", j)
	}
	a, _ := st.AllocByID(nil, "a1")
	if a == nil || a.CreateIndex != 6 || a.ModifyIndex != 7 || a.ClientStatus != "running" || a.Job == nil {
		t.Fatalf("alloc a1 = %+v", a)
	}
	if e, _ := st.EvalByID(nil, "e2"); e == nil || e.Status != "complete" || e.CreateIndex != 7 || e.ModifyIndex != 8 {
		t.Fatalf("eval e2 = %+v", e)
	}
	if j, _ := st.JobByID(nil, "default", "api"); j != nil {
		t.Fatal("purged job api still there")
	}
	if e, _ := st.EvalByID(nil, "e3"); e != nil {
		t.Fatal("deleted eval e3 still there")
	}
	if idx, _ := st.LatestIndex(); idx != 11 {
		t.Fatalf("latest index %d, want 11", idx)
	}

	wantEvals := []string{"e1", "e1", "e2", "e2", "e3"}
	if !reflect.DeepEqual(rec.evals, wantEvals) {
		t.Errorf("EvalsUpserted got %v, want %v", rec.evals, wantEvals)
	}
	if len(rec.allocs) != 1 || rec.allocs[0].ID != "a1" || rec.allocs[0].NodeID != "n1" {
		t.Errorf("AllocsClientUpdated got %+v, want the stored a1", rec.allocs)
	}
	if want := []string{"n1=initializing", "n1=ready", "n2=ready"}; !reflect.DeepEqual(rec.nodes, want) {
		t.Errorf("NodeUpserted got %v, want %v", rec.nodes, want)
	}
}

func TestApplyReturnsWriteErrors(t *testing.T) {
	f := newFSM(t, Hooks{})
	resp := apply(t, f, 1, JobDeregisterRequestType, &JobDeregisterRequest{Namespace: "default", JobID: "nope"})
	err, ok := resp.(error)
	if !ok || !errors.Is(err, drover.ErrNotFound) {
		t.Fatalf("response %v, want an ErrNotFound error", resp)
	}
	if resp := f.Apply(&raft.Log{Index: 2, Data: []byte{byte(JobRegisterRequestType), 0xc1}}); resp == nil {
		t.Fatal("undecodable entry applied without error")
	}
	if resp := f.Apply(&raft.Log{Index: 3}); resp == nil {
		t.Fatal("empty entry applied without error")
	}
}

func TestUnknownMessageType(t *testing.T) {
	f := newFSM(t, Hooks{})
	unknown := MessageType(100)

	// With the flag: skipped.
	if resp := apply(t, f, 1, unknown|IgnoreUnknownTypeFlag, struct{ X int }{1}); resp != nil {
		t.Fatalf("ignorable unknown entry: %v, want nil", resp)
	}
	// The flag on a known type changes nothing.
	mustApply(t, f, 2, NodeRegisterRequestType|IgnoreUnknownTypeFlag, &NodeRegisterRequest{Node: &drover.Node{ID: "n1"}})
	if n, _ := f.State().NodeByID(nil, "n1"); n == nil {
		t.Fatal("known type with the ignore flag was not applied")
	}
	// Without the flag: a panic.
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), "unknown type 100") {
			t.Fatalf("recovered %v, want a panic naming type 100", r)
		}
	}()
	apply(t, f, 3, unknown, struct{ X int }{1})
	t.Fatal("unknown entry without the flag did not panic")
}

func TestEncodeLayout(t *testing.T) {
	data, err := Encode(EvalDeleteRequestType, &EvalDeleteRequest{Evals: []string{"e"}})
	if err != nil {
		t.Fatal(err)
	}
	if MessageType(data[0]) != EvalDeleteRequestType {
		t.Fatalf("type byte %d, want %d", data[0], EvalDeleteRequestType)
	}
	var req EvalDeleteRequest
	if err := decodeMsgpack(data[1:], &req); err != nil || req.Evals[0] != "e" {
		t.Fatalf("payload decodes to %+v, %v", req, err)
	}
	// The enum is append-only: these values are on disk in Raft logs.
	pinned := map[MessageType]uint8{NodeRegisterRequestType: 0, JobRegisterRequestType: 3, ApplyPlanResultsRequestType: 8, IgnoreUnknownTypeFlag: 128}
	for mt, v := range pinned {
		if uint8(mt) != v {
			t.Errorf("%s = %d, want %d", mt, uint8(mt), v)
		}
	}
}

// sink is an in-memory raft.SnapshotSink.
type sink struct {
	bytes.Buffer
	cancelled bool
}

func (s *sink) ID() string    { return "test" }
func (s *sink) Cancel() error { s.cancelled = true; return nil }
func (s *sink) Close() error  { return nil }

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	src := newFSM(t, Hooks{})
	last := seed(t, src)
	snap, err := src.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	want := dump(t, src.State())
	// A write after Snapshot is not in it.
	mustApply(t, src, last+1, NodeRegisterRequestType, &NodeRegisterRequest{Node: &drover.Node{ID: "late"}})
	var out sink
	if err := snap.Persist(&out); err != nil {
		t.Fatal(err)
	}
	snap.Release()

	dst := newFSM(t, Hooks{})
	old := dst.State()
	if err := dst.Restore(io.NopCloser(bytes.NewReader(out.Bytes()))); err != nil {
		t.Fatal(err)
	}
	select {
	case <-old.AbandonCh():
	default:
		t.Fatal("the replaced store's AbandonCh is open")
	}
	if dst.State() == old {
		t.Fatal("State() still returns the replaced store")
	}

	got := dump(t, dst.State())
	if n, _ := dst.State().NodeByID(nil, "late"); n != nil {
		t.Fatal("a write made after Snapshot was restored")
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("restored state differs:\n got %v\nwant %v", got, want)
	}
	if idx, _ := dst.State().LatestIndex(); idx != last {
		t.Fatalf("restored latest index %d, want %d", idx, last)
	}
}

// dump renders every object of a store, keyed by table and ID, as its
// msgpack encoding (a stable form that includes every index).
func dump(t *testing.T, st *state.StateStore) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := st.ForEach(func(table string, obj any) error {
		b, err := encodeMsgpack(obj)
		if err != nil {
			return err
		}
		out[table+"/"+key(obj)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func key(obj any) string {
	switch o := obj.(type) {
	case *drover.Job:
		return o.Namespace + "/" + o.ID + "/" + string(rune('0'+o.Version))
	case *drover.JobSummary:
		return o.Namespace + "/" + o.JobID
	case *drover.Allocation:
		return o.ID
	case *drover.Evaluation:
		return o.ID
	case *drover.Node:
		return o.ID
	case *state.IndexEntry:
		return o.Key
	}
	return "?"
}

func TestNodeSecretIDSurvivesEncoding(t *testing.T) {
	f := newFSM(t, Hooks{})
	mustApply(t, f, 1, NodeRegisterRequestType, &NodeRegisterRequest{Node: &drover.Node{ID: "n1", SecretID: "s3cr3t"}})
	if n, _ := f.State().NodeByID(nil, "n1"); n.SecretID != "s3cr3t" {
		t.Fatalf("SecretID %q after a trip through the log", n.SecretID)
	}
}
