package server

import (
	"context"
	"fmt"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/fsm"
)

// nodeUpdateDrain starts, updates or ends a node's drain. The server stamps
// the strategy on its clock: StartedAt is now (or, for an update of a
// running drain, when that drain started) and ForceDeadline is now +
// Deadline for a positive Deadline. Ending a drain with MarkEligible gives
// system jobs their chance at the node again: their evaluations are
// written in the same Raft command as the drain's end, so neither commits
// without the other. Ending the drain of a node that is not draining
// changes nothing, except that MarkEligible makes an ineligible node
// eligible: its last drain's record stays as it was.
func (s *Server) nodeUpdateDrain(ctx context.Context, args *drover.NodeUpdateDrainRequest, reply *drover.NodeDrainUpdateResponse) error {
	if done, err := s.forward(ctx, drover.MethodNodeUpdateDrain, args, reply); done {
		return err
	}
	node, err := s.nodeForWrite(args.NodeID, "node drain")
	if err != nil {
		return err
	}
	if args.DrainStrategy == nil && node.DrainStrategy == nil {
		if !args.MarkEligible || node.SchedulingEligibility == drover.NodeEligible {
			reply.NodeModifyIndex, reply.Index = node.ModifyIndex, node.ModifyIndex
			return nil
		}
		// Not draining: only the eligibility changes.
		return s.applyEligibility(ctx, node, drover.NodeEligible, (*drover.NodeEligibilityUpdateResponse)(reply))
	}
	now := s.now().UTC()
	req := &fsm.NodeUpdateDrainRequest{
		NodeID: node.ID, MarkEligible: args.MarkEligible, Meta: args.Meta, UpdatedAt: now.UnixNano(),
	}
	if args.DrainStrategy != nil {
		req.DrainStrategy = stampDrain(args.DrainStrategy, node.DrainStrategy, now)
	} else {
		after := node.Copy()
		after.DrainStrategy, after.Drain = nil, false
		if args.MarkEligible {
			after.SchedulingEligibility = drover.NodeEligible
		}
		if req.Evals, err = systemEvalsFor(s.State(), node, after, now); err != nil {
			return fmt.Errorf("node drain %s: %w", node.ID, err)
		}
	}
	index, err := s.raftApply(ctx, fsm.NodeUpdateDrainRequestType, req)
	if err != nil {
		return fmt.Errorf("node drain %s: %w", node.ID, err)
	}
	reply.NodeModifyIndex, reply.Index = index, index
	if len(req.Evals) > 0 {
		reply.EvalIDs, reply.EvalCreateIndex = evalIDs(req.Evals), index
	}
	return nil
}

// stampDrain returns the strategy to store for a drain requested with
// strategy at now, given the node's running drain (nil if none): only
// Deadline and IgnoreSystemJobs come from the caller.
func stampDrain(strategy, running *drover.DrainStrategy, now time.Time) *drover.DrainStrategy {
	d := &drover.DrainStrategy{Deadline: strategy.Deadline, IgnoreSystemJobs: strategy.IgnoreSystemJobs, StartedAt: now}
	if running != nil && !running.StartedAt.IsZero() {
		d.StartedAt = running.StartedAt
	}
	// The deadline counts from the request: an update restarts the clock.
	if d.Deadline > 0 {
		d.ForceDeadline = now.Add(d.Deadline)
	}
	return d
}

// nodeUpdateEligibility sets a node's scheduling eligibility. Making a
// draining node eligible is refused (its drain must end first); setting the
// eligibility the node already has changes nothing. A node made eligible
// gives system jobs their chance at it.
func (s *Server) nodeUpdateEligibility(ctx context.Context, args *drover.NodeUpdateEligibilityRequest, reply *drover.NodeEligibilityUpdateResponse) error {
	if done, err := s.forward(ctx, drover.MethodNodeUpdateEligibility, args, reply); done {
		return err
	}
	switch args.Eligibility {
	case drover.NodeEligible, drover.NodeIneligible:
	default:
		return drover.Errorf(drover.ErrInvalid, "node eligibility: unknown eligibility %q: must be %q or %q",
			args.Eligibility, drover.NodeEligible, drover.NodeIneligible)
	}
	node, err := s.nodeForWrite(args.NodeID, "node eligibility")
	if err != nil {
		return err
	}
	if args.Eligibility == drover.NodeEligible && node.DrainStrategy != nil {
		return drover.Errorf(drover.ErrInvalid,
			"node %s is draining: it cannot be made eligible until its drain ends (drover node drain -disable %s)", node.ID, node.ID)
	}
	if node.SchedulingEligibility == args.Eligibility {
		reply.NodeModifyIndex, reply.Index = node.ModifyIndex, node.ModifyIndex
		return nil
	}
	return s.applyEligibility(ctx, node, args.Eligibility, reply)
}

// applyEligibility writes node's new eligibility and, when it becomes
// eligible, the system jobs' evaluations for it, in one Raft command, and
// fills reply.
func (s *Server) applyEligibility(ctx context.Context, node *drover.Node, eligibility string, reply *drover.NodeEligibilityUpdateResponse) error {
	now := s.now()
	after := node.Copy()
	after.SchedulingEligibility = eligibility
	evals, err := systemEvalsFor(s.State(), node, after, now)
	if err != nil {
		return fmt.Errorf("node eligibility %s: %w", node.ID, err)
	}
	index, err := s.raftApply(ctx, fsm.NodeUpdateEligibilityRequestType, &fsm.NodeUpdateEligibilityRequest{
		NodeID: node.ID, Eligibility: eligibility, UpdatedAt: now.UnixNano(), Evals: evals,
	})
	if err != nil {
		return fmt.Errorf("node eligibility %s: %w", node.ID, err)
	}
	reply.NodeModifyIndex, reply.Index = index, index
	if len(evals) > 0 {
		reply.EvalIDs, reply.EvalCreateIndex = evalIDs(evals), index
	}
	return nil
}

// nodeForWrite returns the stored node a write named by ID (what names the
// write in errors): a missing ID is ErrInvalid, an unknown node ErrNotFound.
func (s *Server) nodeForWrite(nodeID, what string) (*drover.Node, error) {
	if nodeID == "" {
		return nil, drover.Errorf(drover.ErrInvalid, "%s: missing node ID", what)
	}
	node, err := s.State().NodeByID(nil, nodeID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if node == nil {
		return nil, drover.Errorf(drover.ErrNotFound, "%s: node %s not found", what, nodeID)
	}
	return node, nil
}
