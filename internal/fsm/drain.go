package fsm

func (f *FSM) applyNodeUpdateDrain(index uint64, body []byte) error {
	var req NodeUpdateDrainRequest
	if err := decode(NodeUpdateDrainRequestType, body, &req); err != nil {
		return err
	}
	st := f.State()
	if err := st.UpdateNodeDrain(index, req.NodeID, req.DrainStrategy, req.MarkEligible, req.Complete, req.Meta, req.UpdatedAt, req.Evals); err != nil {
		return err
	}
	f.nodeChanged(req.NodeID)
	f.evalsUpserted(req.Evals...)
	return nil
}

func (f *FSM) applyNodeUpdateEligibility(index uint64, body []byte) error {
	var req NodeUpdateEligibilityRequest
	if err := decode(NodeUpdateEligibilityRequestType, body, &req); err != nil {
		return err
	}
	if err := f.State().UpdateNodeEligibility(index, req.NodeID, req.Eligibility, req.UpdatedAt, req.Evals); err != nil {
		return err
	}
	f.nodeChanged(req.NodeID)
	f.evalsUpserted(req.Evals...)
	return nil
}

func (f *FSM) applyAllocUpdateDesiredTransition(index uint64, body []byte) error {
	var req AllocUpdateDesiredTransitionRequest
	if err := decode(AllocUpdateDesiredTransitionRequestType, body, &req); err != nil {
		return err
	}
	if err := f.State().UpdateAllocsDesiredTransitions(index, req.Allocs, req.Evals); err != nil {
		return err
	}
	f.evalsUpserted(req.Evals...)
	return nil
}

// nodeChanged calls the NodeUpserted hook with the node as stored, if it
// exists. A read error is not the write's: the write is committed, so it is
// only logged.
func (f *FSM) nodeChanged(nodeID string) {
	if f.hooks.NodeUpserted == nil {
		return
	}
	node, err := f.State().NodeByID(nil, nodeID)
	if err != nil {
		f.logger.Warn("reading node after update", "node_id", nodeID, "error", err)
		return
	}
	if node != nil {
		f.hooks.NodeUpserted(node)
	}
}
