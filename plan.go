package drover

// Plan is what the scheduler wants changed for one evaluation: allocations to
// stop (NodeUpdate) and to place or update (NodeAllocation), keyed by node ID.
// The leader's plan applier re-checks it against the newest state and commits
// what still fits.
type Plan struct {
	EvalID    string
	Priority  int
	Job       *Job
	AllAtOnce bool
	// NodeUpdate holds allocations to stop, with DesiredStatus and
	// DesiredDescription set.
	NodeUpdate map[string][]*Allocation
	// NodeAllocation holds new allocations and in-place updates.
	NodeAllocation map[string][]*Allocation
	// NodePreemptions holds allocations of lower-priority jobs that the
	// plan's placements evict, keyed by node ID, with DesiredStatus
	// "evict", DesiredDescription and PreemptedByAllocation set. The plan
	// applier commits a node's placements only if its preemptions still
	// stand (the preempted allocations are not yet terminal or gone).
	NodePreemptions map[string][]*Allocation
	// SnapshotIndex is the state index the scheduler planned from.
	SnapshotIndex uint64
	// Annotations summarise the plan per group, for `job plan`.
	Annotations *PlanAnnotations
}

// PlanAnnotations summarise a plan for the user.
type PlanAnnotations struct {
	DesiredTGUpdates map[string]*DesiredUpdates
	// PreemptedAllocs are the allocations of other jobs the plan's
	// placements would evict, sorted by ID.
	PreemptedAllocs []*AllocListStub
}

// DesiredUpdates counts, for one group, what the scheduler decided.
type DesiredUpdates struct {
	Ignore            uint64
	Place             uint64
	Migrate           uint64
	Stop              uint64
	InPlaceUpdate     uint64
	DestructiveUpdate uint64
	Canary            uint64
	Preemptions       uint64
}

// AppendStop adds alloc to the plan's stops with the given description.
func (p *Plan) AppendStop(alloc *Allocation, desc string) {
	a := alloc.CopySkipJob()
	a.DesiredStatus = AllocDesiredStatusStop
	a.DesiredDescription = desc
	if p.NodeUpdate == nil {
		p.NodeUpdate = map[string][]*Allocation{}
	}
	p.NodeUpdate[a.NodeID] = append(p.NodeUpdate[a.NodeID], a)
}

// AppendAlloc adds a placement or update to the plan.
func (p *Plan) AppendAlloc(alloc *Allocation) {
	if p.NodeAllocation == nil {
		p.NodeAllocation = map[string][]*Allocation{}
	}
	p.NodeAllocation[alloc.NodeID] = append(p.NodeAllocation[alloc.NodeID], alloc)
}

// AppendPreemptedAlloc adds alloc to the plan's preemptions: it is evicted
// to make room for the allocation preemptingID.
func (p *Plan) AppendPreemptedAlloc(alloc *Allocation, preemptingID string) {
	a := alloc.CopySkipJob()
	a.DesiredStatus = AllocDesiredStatusEvict
	a.DesiredDescription = "Preempted by alloc ID " + preemptingID
	a.PreemptedByAllocation = preemptingID
	if p.NodePreemptions == nil {
		p.NodePreemptions = map[string][]*Allocation{}
	}
	p.NodePreemptions[a.NodeID] = append(p.NodePreemptions[a.NodeID], a)
}

// IsNoOp reports whether the plan changes nothing.
func (p *Plan) IsNoOp() bool {
	return len(p.NodeUpdate) == 0 && len(p.NodeAllocation) == 0 && len(p.NodePreemptions) == 0
}

// PlanResult is what the plan applier committed. A partial commit (some
// nodes no longer fit) sets RefreshIndex: the scheduler must refresh its
// state to at least that index and plan again for what was left out.
type PlanResult struct {
	NodeUpdate      map[string][]*Allocation
	NodeAllocation  map[string][]*Allocation
	NodePreemptions map[string][]*Allocation
	RefreshIndex    uint64
	AllocIndex      uint64
}

// FullCommit reports whether every part of plan was committed, and how many
// allocations were expected and committed.
func (r *PlanResult) FullCommit(plan *Plan) (full bool, expected, actual int) {
	for _, as := range plan.NodeAllocation {
		expected += len(as)
	}
	for _, as := range plan.NodeUpdate {
		expected += len(as)
	}
	for _, as := range r.NodeAllocation {
		actual += len(as)
	}
	for _, as := range r.NodeUpdate {
		actual += len(as)
	}
	return expected == actual, expected, actual
}
