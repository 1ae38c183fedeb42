package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/fsm"
)

// errLaunched says a periodic child for a launch time exists already: a
// launch of that time was made (perhaps by a previous leader).
var errLaunched = errors.New("periodic child already launched")

// periodicForce launches a periodic job's child now, whatever its schedule
// and prohibit_overlap say. A second force within the same second derives
// the same child: as in Nomad, it is registered again with a new
// evaluation, and the call succeeds.
func (s *Server) periodicForce(ctx context.Context, args *drover.PeriodicForceRequest, reply *drover.PeriodicForceResponse) error {
	if done, err := s.forward(ctx, drover.MethodPeriodicForce, args, reply); done {
		return err
	}
	ns := namespaceOf(args.Namespace)
	job, err := s.State().JobByID(nil, ns, args.JobID)
	if err != nil {
		return fmt.Errorf("periodic force: %w", err)
	}
	switch {
	case job == nil:
		return drover.Errorf(drover.ErrNotFound, "job %q not found", args.JobID)
	case !job.IsPeriodic() || job.IsParameterized():
		return drover.Errorf(drover.ErrInvalid, "job %q is not periodic: only a periodic job can be forced to launch", args.JobID)
	case job.Stop:
		return drover.Errorf(drover.ErrInvalid, "periodic job %q is stopped: register it again to launch it", args.JobID)
	case !job.Periodic.Enabled:
		return drover.Errorf(drover.ErrInvalid, "periodic job %q is disabled: enable its periodic block to launch it", args.JobID)
	}
	evalID, index, err := s.registerPeriodicChild(ctx, job, s.now())
	if err != nil {
		return err
	}
	reply.EvalID, reply.EvalCreateIndex, reply.Index = evalID, index, index
	return nil
}

// launchPeriodic is the dispatcher's launch of parent's child for launch
// time at. A child of that time that exists already is errLaunched: a
// launch of that time was made (by a previous leader, or forced). Its
// launch record is written then if it is missing, as a log written before
// launches were one command may hold a child without one.
func (s *Server) launchPeriodic(ctx context.Context, parent *drover.Job, at time.Time) (evalID string, index uint64, err error) {
	child := parent.PeriodicChild(at)
	st := s.State()
	existing, err := st.JobByID(nil, child.Namespace, child.ID)
	if err != nil {
		return "", 0, fmt.Errorf("periodic launch of %q: %w", parent.ID, err)
	}
	if existing == nil {
		return s.registerPeriodicChild(ctx, parent, at)
	}
	recorded, err := st.PeriodicLaunchByID(nil, parent.Namespace, parent.ID)
	if err != nil {
		return "", 0, fmt.Errorf("periodic launch of %q: %w", parent.ID, err)
	}
	if recorded == nil || recorded.Launch.Before(at) {
		launch := drover.PeriodicLaunch{ID: parent.ID, Namespace: parent.Namespace, Launch: at}
		if _, err := s.raftApply(ctx, fsm.PeriodicLaunchRequestType, &fsm.PeriodicLaunchRequest{Launch: launch}); err != nil {
			return "", 0, fmt.Errorf("recording periodic launch of %q: %w", parent.ID, err)
		}
	}
	return "", 0, errLaunched
}

// registerPeriodicChild registers parent's child for launch time at, its
// evaluation and parent's launch record in one Raft command, so a crash or
// a lost leadership never leaves a child without its launch recorded (a
// new leader would launch it again) nor a launch without its child (it
// would be skipped).
func (s *Server) registerPeriodicChild(ctx context.Context, parent *drover.Job, at time.Time) (evalID string, index uint64, err error) {
	child := parent.PeriodicChild(at)
	eval := childEval(child, drover.EvalTriggerPeriodicJob, s.now())
	req := &fsm.PeriodicChildRegisterRequest{
		Job: child, Eval: eval,
		Launch: drover.PeriodicLaunch{ID: parent.ID, Namespace: parent.Namespace, Launch: at},
	}
	index, err = s.raftApply(ctx, fsm.PeriodicChildRegisterRequestType, req)
	if err != nil {
		return "", 0, fmt.Errorf("periodic launch of %q: %w", parent.ID, err)
	}
	if eval != nil {
		evalID = eval.ID
	}
	return evalID, index, nil
}

// childEval stamps child's SubmitTime with now and returns the evaluation
// that schedules it (triggered by trigger); a child that is itself a
// parent (a dispatched periodic job) gets none. The child's ID holds a
// '/', which user registrations refuse, so it does not pass through
// jobRegister's validation: it is a copy of a parent that did.
func childEval(child *drover.Job, trigger string, now time.Time) *drover.Evaluation {
	child.SubmitTime = now.UnixNano()
	if child.IsParent() {
		return nil
	}
	return &drover.Evaluation{
		ID: drover.GenerateID(), Namespace: child.Namespace, Priority: child.Priority, Type: child.Type,
		TriggeredBy: trigger, JobID: child.ID,
		Status: drover.EvalStatusPending, CreateTime: child.SubmitTime, ModifyTime: child.SubmitTime,
	}
}

// jobDispatch registers a child of a parameterized job with the request's
// payload and meta, and the evaluation that schedules it.
func (s *Server) jobDispatch(ctx context.Context, args *drover.JobDispatchRequest, reply *drover.JobDispatchResponse) error {
	if done, err := s.forward(ctx, drover.MethodJobDispatch, args, reply); done {
		return err
	}
	if err := s.registrationAllowed(); err != nil {
		return err
	}
	ns := namespaceOf(args.Namespace)
	parent, err := s.State().JobByID(nil, ns, args.JobID)
	if err != nil {
		return fmt.Errorf("job dispatch: %w", err)
	}
	if parent == nil {
		return drover.Errorf(drover.ErrNotFound, "job %q not found", args.JobID)
	}
	if err := parent.ValidateDispatch(args.Payload, args.Meta, args.IdPrefixTemplate); err != nil {
		return err
	}
	var suffix [4]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return fmt.Errorf("job dispatch: %w", err)
	}
	child := parent.DispatchChild(args.Payload, args.Meta, args.IdPrefixTemplate, s.now(), hex.EncodeToString(suffix[:]))
	eval := childEval(child, drover.EvalTriggerJobDispatch, s.now())
	index, err := s.raftApply(ctx, fsm.JobRegisterRequestType, &fsm.JobRegisterRequest{Job: child, Eval: eval})
	if err != nil {
		return fmt.Errorf("job dispatch of %q: %w", args.JobID, err)
	}
	reply.DispatchedJobID, reply.JobCreateIndex, reply.Index = child.ID, index, index
	if eval != nil {
		reply.EvalID, reply.EvalCreateIndex = eval.ID, index
	}
	return nil
}
