package drover

// JobDispatchRequest dispatches a parameterized job: a child job is
// registered with Payload (at most DispatchPayloadSizeLimit bytes) and Meta
// merged over the parent's. IdPrefixTemplate, when set, goes into the
// child's ID after "/dispatch-".
type JobDispatchRequest struct {
	JobID            string
	Payload          []byte
	Meta             map[string]string
	IdPrefixTemplate string
	WriteRequest
}

// JobDispatchResponse names the dispatched child job and the evaluation
// that schedules it (EvalID is empty when the child is itself periodic and
// so never scheduled directly).
type JobDispatchResponse struct {
	DispatchedJobID string
	EvalID          string
	EvalCreateIndex uint64
	JobCreateIndex  uint64
	WriteMeta
}

// PeriodicForceRequest launches a periodic job's child now, whatever its
// schedule and prohibit_overlap say.
type PeriodicForceRequest struct {
	JobID string
	WriteRequest
}

// PeriodicForceResponse names the evaluation of the forced child.
type PeriodicForceResponse struct {
	EvalID          string
	EvalCreateIndex uint64
	WriteMeta
}
