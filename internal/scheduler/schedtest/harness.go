// Package schedtest is a test harness for the scheduler: an in-memory State
// and Planner over plain maps. Its SubmitPlan commits every plan in full
// unless a test injects a partial commit, and it records every plan and
// evaluation it is handed, so tests can check what the scheduler decided.
package schedtest

import (
	"fmt"
	"sort"
	"sync"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler"
)

// Harness is an in-memory cluster. It implements scheduler.State and
// scheduler.Planner. Objects handed to it are stored as they are; do not
// modify them afterwards. Safe for concurrent use.
type Harness struct {
	mu      sync.Mutex
	index   uint64
	nodes   map[string]*drover.Node
	jobs    map[string]*drover.Job
	allocs  map[string]*drover.Allocation
	byJob   map[string][]*drover.Allocation
	byNode  map[string][]*drover.Allocation
	evals   map[string]*drover.Evaluation
	config  *drover.SchedulerConfiguration
	partial func(plan *drover.Plan, attempt int) *drover.PlanResult
	submits int

	// Plans are the plans submitted, in order.
	Plans []*drover.Plan
	// CreatedEvals and UpdatedEvals are the evaluations the scheduler
	// created and updated, in order.
	CreatedEvals []*drover.Evaluation
	UpdatedEvals []*drover.Evaluation
}

var (
	_ scheduler.State   = (*Harness)(nil)
	_ scheduler.Planner = (*Harness)(nil)
)

// New returns an empty harness.
func New() *Harness {
	return &Harness{
		nodes: map[string]*drover.Node{}, jobs: map[string]*drover.Job{},
		allocs: map[string]*drover.Allocation{}, byJob: map[string][]*drover.Allocation{},
		byNode: map[string][]*drover.Allocation{}, evals: map[string]*drover.Evaluation{},
	}
}

func jobKey(ns, id string) string { return ns + "\x00" + id }

func (h *Harness) next() uint64 { h.index++; return h.index }

// UpsertNode stores a node.
func (h *Harness) UpsertNode(n *drover.Node) {
	h.mu.Lock()
	defer h.mu.Unlock()
	idx := h.next()
	if n.CreateIndex == 0 {
		n.CreateIndex = idx
	}
	n.ModifyIndex = idx
	h.nodes[n.ID] = n
}

// DeleteNode removes a node.
func (h *Harness) DeleteNode(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next()
	delete(h.nodes, id)
}

// UpsertJob stores a job, setting its indexes (JobModifyIndex is set on every
// upsert, so an upsert of a changed copy is a new version to the scheduler;
// Version is kept as the caller set it).
func (h *Harness) UpsertJob(j *drover.Job) {
	h.mu.Lock()
	defer h.mu.Unlock()
	idx := h.next()
	if j.CreateIndex == 0 {
		j.CreateIndex = idx
	}
	j.ModifyIndex, j.JobModifyIndex = idx, idx
	h.jobs[jobKey(j.Namespace, j.ID)] = j
}

// UpsertAllocs stores allocations (replacing ones with the same ID).
func (h *Harness) UpsertAllocs(allocs ...*drover.Allocation) {
	h.mu.Lock()
	defer h.mu.Unlock()
	idx := h.next()
	for _, a := range allocs {
		if a.CreateIndex == 0 {
			a.CreateIndex = idx
		}
		a.ModifyIndex = idx
		h.putAlloc(a)
	}
}

func (h *Harness) putAlloc(a *drover.Allocation) {
	old, existed := h.allocs[a.ID]
	h.allocs[a.ID] = a
	if existed {
		replace(h.byJob[jobKey(old.Namespace, old.JobID)], old, a)
		replace(h.byNode[old.NodeID], old, a)
		return
	}
	k := jobKey(a.Namespace, a.JobID)
	h.byJob[k] = append(h.byJob[k], a)
	h.byNode[a.NodeID] = append(h.byNode[a.NodeID], a)
}

func replace(list []*drover.Allocation, old, a *drover.Allocation) {
	for i := range list {
		if list[i] == old {
			list[i] = a
			return
		}
	}
}

// InjectPartialCommit makes SubmitPlan commit only what fn returns for the
// attempt-th submitted plan (1-based); a nil return commits in full.
func (h *Harness) InjectPartialCommit(fn func(plan *drover.Plan, attempt int) *drover.PlanResult) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.partial = fn
}

// Nodes implements scheduler.State, sorted by ID.
func (h *Harness) Nodes() ([]*drover.Node, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*drover.Node, 0, len(h.nodes))
	for _, n := range h.nodes {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// NodeByID implements scheduler.State.
func (h *Harness) NodeByID(id string) (*drover.Node, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.nodes[id], nil
}

// JobByID implements scheduler.State.
func (h *Harness) JobByID(ns, id string) (*drover.Job, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.jobs[jobKey(ns, id)], nil
}

// AllocsByJob implements scheduler.State.
func (h *Harness) AllocsByJob(ns, jobID string) ([]*drover.Allocation, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*drover.Allocation(nil), h.byJob[jobKey(ns, jobID)]...), nil
}

// AllocsByNode implements scheduler.State.
func (h *Harness) AllocsByNode(nodeID string) ([]*drover.Allocation, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*drover.Allocation(nil), h.byNode[nodeID]...), nil
}

// SetSchedulerConfig sets the configuration SchedulerConfig returns (nil:
// the default).
func (h *Harness) SetSchedulerConfig(c *drover.SchedulerConfiguration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next()
	h.config = c
}

// SchedulerConfig implements scheduler.State.
func (h *Harness) SchedulerConfig() (*drover.SchedulerConfiguration, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.config == nil {
		return drover.DefaultSchedulerConfiguration(), nil
	}
	return h.config, nil
}

// LatestIndex implements scheduler.State.
func (h *Harness) LatestIndex() (uint64, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.index, nil
}

// SubmitPlan implements scheduler.Planner: it commits the plan (or the part
// an injected partial commit chooses) and returns the harness as the fresh
// state.
func (h *Harness) SubmitPlan(plan *drover.Plan) (*drover.PlanResult, scheduler.State, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Plans = append(h.Plans, plan)
	h.submits++
	result := &drover.PlanResult{NodeUpdate: plan.NodeUpdate, NodeAllocation: plan.NodeAllocation,
		NodePreemptions: plan.NodePreemptions}
	if h.partial != nil {
		if r := h.partial(plan, h.submits); r != nil {
			result = r
		}
	}
	idx := h.next()
	for _, as := range result.NodeUpdate {
		for _, a := range as {
			a.ModifyIndex = idx
			h.putAlloc(a)
		}
	}
	for _, as := range result.NodeAllocation {
		for _, a := range as {
			if a.CreateIndex == 0 {
				a.CreateIndex = idx
			}
			a.ModifyIndex, a.AllocModifyIndex = idx, idx
			h.putAlloc(a)
		}
	}
	h.evictPreempted(result.NodePreemptions, idx)
	result.AllocIndex = idx
	if full, _, _ := result.FullCommit(plan); !full {
		result.RefreshIndex = idx
	}
	return result, h, nil
}

// UpdateEval implements scheduler.Planner.
func (h *Harness) UpdateEval(e *drover.Evaluation) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e == nil {
		return fmt.Errorf("update eval: nil")
	}
	e.ModifyIndex = h.next()
	h.evals[e.ID] = e
	h.UpdatedEvals = append(h.UpdatedEvals, e)
	return nil
}

// CreateEval implements scheduler.Planner.
func (h *Harness) CreateEval(e *drover.Evaluation) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	idx := h.next()
	e.CreateIndex, e.ModifyIndex = idx, idx
	h.evals[e.ID] = e
	h.CreatedEvals = append(h.CreatedEvals, e)
	return nil
}

// Eval returns a stored evaluation, or nil.
func (h *Harness) Eval(id string) *drover.Evaluation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.evals[id]
}

// LiveAllocs returns the job's allocations the servers still want running
// (DesiredStatus run), sorted by name.
func (h *Harness) LiveAllocs(ns, jobID string) []*drover.Allocation {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*drover.Allocation
	for _, a := range h.byJob[jobKey(ns, jobID)] {
		if !a.ServerTerminal() {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Index() != out[j].Index() {
			return out[i].Index() < out[j].Index()
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// evictPreempted commits preemptions: the stored allocations take the
// plan's DesiredStatus, DesiredDescription and PreemptedByAllocation (the
// plan's copies lack the job). Unknown allocations are ignored.
func (h *Harness) evictPreempted(byNode map[string][]*drover.Allocation, idx uint64) {
	for _, as := range byNode {
		for _, a := range as {
			old := h.allocs[a.ID]
			if old == nil {
				continue
			}
			c := *old
			c.DesiredStatus, c.DesiredDescription = a.DesiredStatus, a.DesiredDescription
			c.PreemptedByAllocation = a.PreemptedByAllocation
			c.ModifyIndex, c.AllocModifyIndex = idx, idx
			h.putAlloc(&c)
		}
	}
}
