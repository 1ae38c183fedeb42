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
// and prohibit_overlap say.
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
	evalID, index, err := s.launchPeriodic(ctx, job, s.now())
	if errors.Is(err, errLaunched) {
		return drover.Errorf(drover.ErrConflict, "job %q already launched a child this second: try again", args.JobID)
	}
	if err != nil {
		return err
	}
	reply.EvalID, reply.EvalCreateIndex, reply.Index = evalID, index, index
	return nil
}

// launchPeriodic registers parent's child for launch time at (with its
// evaluation) and then records the launch. A child of that time that exists
// already is errLaunched, after the launch is recorded: the previous
// launcher may have stopped between the two writes.
func (s *Server) launchPeriodic(ctx context.Context, parent *drover.Job, at time.Time) (evalID string, index uint64, err error) {
	child := parent.PeriodicChild(at)
	existing, err := s.State().JobByID(nil, child.Namespace, child.ID)
	if err != nil {
		return "", 0, fmt.Errorf("periodic launch of %q: %w", parent.ID, err)
	}
	if existing == nil {
		evalID, index, err = s.registerChild(ctx, child, drover.EvalTriggerPeriodicJob)
		if err != nil {
			return "", 0, fmt.Errorf("periodic launch of %q: %w", parent.ID, err)
		}
	}
	launch := drover.PeriodicLaunch{ID: parent.ID, Namespace: parent.Namespace, Launch: at}
	if _, err := s.raftApply(ctx, fsm.PeriodicLaunchRequestType, &fsm.PeriodicLaunchRequest{Launch: launch}); err != nil {
		return "", 0, fmt.Errorf("recording periodic launch of %q: %w", parent.ID, err)
	}
	if existing != nil {
		return "", 0, errLaunched
	}
	return evalID, index, nil
}

// registerChild writes a child job with the evaluation that schedules it
// (triggered by trigger) in one Raft command, as a registration does. A
// child that is itself a parent (a dispatched periodic job) gets no
// evaluation. The child's ID holds a '/', which user registrations refuse,
// so it does not pass through jobRegister's validation: it is a copy of a
// parent that did.
func (s *Server) registerChild(ctx context.Context, child *drover.Job, trigger string) (evalID string, index uint64, err error) {
	now := s.now().UnixNano()
	child.SubmitTime = now
	var eval *drover.Evaluation
	if !child.IsParent() {
		eval = &drover.Evaluation{
			ID: drover.GenerateID(), Namespace: child.Namespace, Priority: child.Priority, Type: child.Type,
			TriggeredBy: trigger, JobID: child.ID,
			Status: drover.EvalStatusPending, CreateTime: now, ModifyTime: now,
		}
	}
	index, err = s.raftApply(ctx, fsm.JobRegisterRequestType, &fsm.JobRegisterRequest{Job: child, Eval: eval})
	if err != nil {
		return "", 0, err
	}
	if eval != nil {
		evalID = eval.ID
	}
	return evalID, index, nil
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
	evalID, index, err := s.registerChild(ctx, child, drover.EvalTriggerJobDispatch)
	if err != nil {
		return fmt.Errorf("job dispatch of %q: %w", args.JobID, err)
	}
	reply.DispatchedJobID, reply.JobCreateIndex, reply.Index = child.ID, index, index
	if evalID != "" {
		reply.EvalID, reply.EvalCreateIndex = evalID, index
	}
	return nil
}
