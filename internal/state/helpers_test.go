package state

import (
	"testing"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
)

func newStore(t *testing.T) *StateStore {
	t.Helper()
	s, err := NewStateStore()
	if err != nil {
		t.Fatalf("NewStateStore: %v", err)
	}
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testJob(id string) *drover.Job {
	j := &drover.Job{
		ID:   id,
		Type: drover.JobTypeService,
		TaskGroups: []*drover.TaskGroup{{
			Name:  "web",
			Count: 2,
			Tasks: []*drover.Task{{Name: "srv", Driver: "raw_exec", Config: map[string]any{"command": "/bin/sleep", "args": []any{"100"}}, Env: map[string]string{"A": "1", "B": "2", "C": "3"}}},
		}},
		Meta: map[string]string{"x": "1", "y": "2", "z": "3"},
	}
	j.Canonicalize()
	return j
}

func testNode(id string) *drover.Node {
	return &drover.Node{ID: id, Name: "node-" + id, Datacenter: "dc1", Status: drover.NodeStatusReady}
}

func testEval(id, jobID, status string) *drover.Evaluation {
	return &drover.Evaluation{ID: id, Namespace: drover.DefaultNamespace, JobID: jobID, Status: status, Type: drover.JobTypeService}
}

func testAlloc(id string, job *drover.Job, nodeID, evalID string) *drover.Allocation {
	return &drover.Allocation{
		ID: id, Namespace: job.Namespace, JobID: job.ID, Job: job, TaskGroup: "web",
		NodeID: nodeID, EvalID: evalID, Name: drover.AllocName(job.ID, "web", 0),
		DesiredStatus: drover.AllocDesiredStatusRun,
	}
}

// fired reports whether any channel of ws is closed, without waiting:
// memdb closes watch channels when the write commits.
func fired(ws memdb.WatchSet) bool {
	for ch := range ws {
		select {
		case <-ch:
			return true
		default:
		}
	}
	return false
}

func ids[T any](objs []*T, id func(*T) string) []string {
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		out = append(out, id(o))
	}
	return out
}

func allocIDs(as []*drover.Allocation) []string {
	return ids(as, func(a *drover.Allocation) string { return a.ID })
}
