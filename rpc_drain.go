package drover

// NodeUpdateDrainRequest starts, updates or ends the drain of a node
// (MethodNodeUpdateDrain). A nil DrainStrategy ends the drain; the caller
// sets only Deadline and IgnoreSystemJobs: the server fills StartedAt and
// ForceDeadline. Ending a drain with MarkEligible makes the node eligible
// for scheduling again; without it the node stays ineligible. Meta is
// recorded in the node's LastDrain.
type NodeUpdateDrainRequest struct {
	NodeID        string
	DrainStrategy *DrainStrategy
	MarkEligible  bool
	Meta          map[string]string
	WriteRequest
}

// NodeDrainUpdateResponse answers a drain update. EvalIDs are the
// evaluations the update created (system jobs returning to a node made
// eligible), written at EvalCreateIndex; NodeModifyIndex is the node's
// index after the write. Its JSON shape is Nomad's.
type NodeDrainUpdateResponse struct {
	NodeModifyIndex uint64
	EvalIDs         []string
	EvalCreateIndex uint64
	WriteMeta
}

// NodeUpdateEligibilityRequest sets a node's scheduling eligibility
// (MethodNodeUpdateEligibility): NodeEligible or NodeIneligible. A draining
// node cannot be made eligible; its drain must end first.
type NodeUpdateEligibilityRequest struct {
	NodeID      string
	Eligibility string
	WriteRequest
}

// NodeEligibilityUpdateResponse answers an eligibility update, with the
// fields of NodeDrainUpdateResponse. Its JSON shape is Nomad's.
type NodeEligibilityUpdateResponse struct {
	NodeModifyIndex uint64
	EvalIDs         []string
	EvalCreateIndex uint64
	WriteMeta
}
