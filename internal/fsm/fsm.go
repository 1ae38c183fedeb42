// Package fsm applies committed Raft log entries to the state store.
//
// A log entry's data is one MessageType byte followed by a msgpack request
// (see Encode). The enum is append-only. An entry whose type this version
// does not know fails loudly — Apply panics, stopping the server rather than
// letting its state silently diverge from its peers' — unless the type
// carries IgnoreUnknownTypeFlag, in which case it is skipped with a warning.
//
// The FSM also writes and restores Raft snapshots of the whole store; a
// restore builds a fresh store and swaps it in, closing the old store's
// AbandonCh so blocking queries re-read from the new one.
package fsm

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/hashicorp/raft"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/state"
)

// Hooks are told about committed changes the server reacts to. Each is
// optional. They run on Raft's apply goroutine after the write committed,
// with no FSM lock held: they must be quick (hand off, don't block) and must
// not modify the objects they get, which are shared with the store.
type Hooks struct {
	// EvalsUpserted gets every evaluation written: the server enqueues
	// pending ones and tracks blocked ones.
	EvalsUpserted func(evals []*drover.Evaluation)
	// AllocsClientUpdated gets the stored allocations a client update
	// changed: capacity may have freed.
	AllocsClientUpdated func(allocs []*drover.Allocation)
	// NodeUpserted gets a node registered or whose status changed: capacity
	// may have appeared.
	NodeUpserted func(node *drover.Node)
	// JobChanged names a job registered, stopped or purged: the periodic
	// dispatcher tracks periodic jobs.
	JobChanged func(namespace, id string)
	// SchedulerConfigChanged gets the scheduler configuration as stored
	// after each write of it, in log order: the broker follows its
	// PauseEvalBroker.
	SchedulerConfigChanged func(cfg *drover.SchedulerConfiguration)
}

// FSM is drover's raft.FSM.
type FSM struct {
	logger *slog.Logger
	hooks  Hooks

	mu    sync.RWMutex // guards state, swapped by Restore
	state *state.StateStore
}

var _ raft.FSM = (*FSM)(nil)

// New returns an FSM applying to st (a fresh store when st is nil).
func New(st *state.StateStore, logger *slog.Logger, hooks Hooks) *FSM {
	if st == nil {
		var err error
		if st, err = state.NewStateStore(); err != nil {
			panic(fmt.Sprintf("fsm: new state store: %v", err)) // only on a schema bug
		}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &FSM{logger: logger, hooks: hooks, state: st}
}

// State returns the current store. After a snapshot restore it is a new
// one; callers holding the old one learn it from its AbandonCh.
func (f *FSM) State() *state.StateStore {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.state
}

// Apply applies a committed log entry at its index. It returns nil or an
// error (the write was rejected, e.g. an unknown job), which raft hands to
// the caller of raft.Apply as the response. It panics on an entry of an
// unknown type without IgnoreUnknownTypeFlag.
func (f *FSM) Apply(log *raft.Log) any {
	if len(log.Data) == 0 {
		return fmt.Errorf("fsm: empty log entry at index %d", log.Index)
	}
	t, body := MessageType(log.Data[0]), log.Data[1:]
	apply, ok := appliers[t&^IgnoreUnknownTypeFlag]
	if !ok {
		if t&IgnoreUnknownTypeFlag != 0 {
			f.logger.Warn("skipping log entry of unknown type", "type", uint8(t), "index", log.Index)
			return nil
		}
		panic(fmt.Sprintf("fsm: log entry at index %d has unknown type %d and no ignore flag: this server is older than the cluster's log", log.Index, uint8(t)))
	}
	if err := apply(f, log.Index, body); err != nil {
		f.logger.Debug("log entry rejected", "type", t.String(), "index", log.Index, "error", err)
		return err
	}
	return nil
}

// appliers decode and apply each message type.
var appliers = map[MessageType]func(f *FSM, index uint64, body []byte) error{
	NodeRegisterRequestType:      (*FSM).applyNodeRegister,
	NodeUpdateStatusRequestType:  (*FSM).applyNodeUpdateStatus,
	NodeDeregisterRequestType:    (*FSM).applyNodeDeregister,
	JobRegisterRequestType:       (*FSM).applyJobRegister,
	JobDeregisterRequestType:     (*FSM).applyJobDeregister,
	EvalUpdateRequestType:        (*FSM).applyEvalUpdate,
	EvalDeleteRequestType:        (*FSM).applyEvalDelete,
	AllocClientUpdateRequestType: (*FSM).applyAllocClientUpdate,
	ApplyPlanResultsRequestType:  (*FSM).applyPlanResults,
	SchedulerConfigRequestType:   (*FSM).applySchedulerConfig,
	PeriodicLaunchRequestType:    (*FSM).applyPeriodicLaunch,

	PeriodicChildRegisterRequestType: (*FSM).applyPeriodicChildRegister,

	NodeUpdateDrainRequestType:              (*FSM).applyNodeUpdateDrain,
	NodeUpdateEligibilityRequestType:        (*FSM).applyNodeUpdateEligibility,
	AllocUpdateDesiredTransitionRequestType: (*FSM).applyAllocUpdateDesiredTransition,
}

func decode(t MessageType, body []byte, v any) error {
	if err := decodeMsgpack(body, v); err != nil {
		return fmt.Errorf("fsm: decode %s: %w", t, err)
	}
	return nil
}

func (f *FSM) applyNodeRegister(index uint64, body []byte) error {
	var req NodeRegisterRequest
	if err := decode(NodeRegisterRequestType, body, &req); err != nil {
		return err
	}
	if req.Node == nil {
		return drover.Errorf(drover.ErrInvalid, "fsm: node register without a node")
	}
	if err := f.State().UpsertNode(index, req.Node); err != nil {
		return err
	}
	if f.hooks.NodeUpserted != nil {
		f.hooks.NodeUpserted(req.Node)
	}
	return nil
}

func (f *FSM) applyNodeUpdateStatus(index uint64, body []byte) error {
	var req NodeUpdateStatusRequest
	if err := decode(NodeUpdateStatusRequestType, body, &req); err != nil {
		return err
	}
	st := f.State()
	if err := st.UpdateNodeStatus(index, req.NodeID, req.Status, req.UpdatedAt); err != nil {
		return err
	}
	if f.hooks.NodeUpserted != nil {
		node, err := st.NodeByID(nil, req.NodeID)
		if err != nil {
			return err
		}
		if node != nil {
			f.hooks.NodeUpserted(node)
		}
	}
	return nil
}

func (f *FSM) applyNodeDeregister(index uint64, body []byte) error {
	var req NodeDeregisterRequest
	if err := decode(NodeDeregisterRequestType, body, &req); err != nil {
		return err
	}
	return f.State().DeleteNode(index, req.NodeID)
}

func (f *FSM) applyJobRegister(index uint64, body []byte) error {
	var req JobRegisterRequest
	if err := decode(JobRegisterRequestType, body, &req); err != nil {
		return err
	}
	if req.Job == nil {
		return drover.Errorf(drover.ErrInvalid, "fsm: job register without a job")
	}
	if err := f.State().UpsertJobWithEval(index, req.Job, req.Eval); err != nil {
		return err
	}
	f.evalsUpserted(req.Eval)
	f.jobChanged(req.Job.Namespace, req.Job.ID)
	return nil
}

func (f *FSM) applyJobDeregister(index uint64, body []byte) error {
	var req JobDeregisterRequest
	if err := decode(JobDeregisterRequestType, body, &req); err != nil {
		return err
	}
	if err := f.State().DeregisterJob(index, req.Namespace, req.JobID, req.Purge, req.Eval); err != nil {
		return err
	}
	f.evalsUpserted(req.Eval)
	f.jobChanged(req.Namespace, req.JobID)
	return nil
}

func (f *FSM) applyEvalUpdate(index uint64, body []byte) error {
	var req EvalUpdateRequest
	if err := decode(EvalUpdateRequestType, body, &req); err != nil {
		return err
	}
	if err := f.State().UpsertEvals(index, req.Evals); err != nil {
		return err
	}
	f.evalsUpserted(req.Evals...)
	return nil
}

func (f *FSM) applyEvalDelete(index uint64, body []byte) error {
	var req EvalDeleteRequest
	if err := decode(EvalDeleteRequestType, body, &req); err != nil {
		return err
	}
	return f.State().DeleteEvals(index, req.Evals, req.Allocs)
}

func (f *FSM) applyAllocClientUpdate(index uint64, body []byte) error {
	var req AllocClientUpdateRequest
	if err := decode(AllocClientUpdateRequestType, body, &req); err != nil {
		return err
	}
	st := f.State()
	if err := st.UpdateAllocsFromClientWithEvals(index, req.Allocs, req.Evals); err != nil {
		return err
	}
	if f.hooks.AllocsClientUpdated != nil && len(req.Allocs) > 0 {
		stored := make([]*drover.Allocation, 0, len(req.Allocs))
		for _, a := range req.Allocs {
			s, err := st.AllocByID(nil, a.ID)
			if err != nil {
				return err
			}
			if s != nil {
				stored = append(stored, s)
			}
		}
		f.hooks.AllocsClientUpdated(stored)
	}
	f.evalsUpserted(req.Evals...)
	return nil
}

func (f *FSM) applyPlanResults(index uint64, body []byte) error {
	var req ApplyPlanResultsRequest
	if err := decode(ApplyPlanResultsRequestType, body, &req); err != nil {
		return err
	}
	if err := f.State().UpsertPlanResults(index, &req); err != nil {
		return err
	}
	f.evalsUpserted(req.Evals...)
	return nil
}

// evalsUpserted calls the hook with the non-nil evals, if any.
func (f *FSM) evalsUpserted(evals ...*drover.Evaluation) {
	if f.hooks.EvalsUpserted == nil {
		return
	}
	out := evals[:0:0]
	for _, e := range evals {
		if e != nil {
			out = append(out, e)
		}
	}
	if len(out) > 0 {
		f.hooks.EvalsUpserted(out)
	}
}

func (f *FSM) jobChanged(namespace, id string) {
	if f.hooks.JobChanged != nil {
		f.hooks.JobChanged(namespace, id)
	}
}
