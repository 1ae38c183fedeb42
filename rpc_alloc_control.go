package drover

// AllocStopRequest stops one allocation and has it replaced
// (MethodAllocStop), as `drover alloc stop` asks. The allocation is marked
// DesiredTransition.Reschedule and an evaluation triggered by
// EvalTriggerAllocStop is written with the mark, in one Raft command; the
// scheduler then stops the allocation and places its replacement at once.
// NoShutdownDelay is accepted for Nomad's clients and has no effect yet.
type AllocStopRequest struct {
	AllocID         string
	NoShutdownDelay bool
	WriteRequest
}

// AllocStopResponse answers an alloc stop: the evaluation that replaces the
// allocation. Its JSON shape is Nomad's ({"EvalID": ..., "Index": ...}).
type AllocStopResponse struct {
	EvalID string
	WriteMeta
}
