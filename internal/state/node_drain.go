package state

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
)

// DrainingNodes returns the nodes being drained (DrainStrategy set), sorted
// by ID. Its watch fires only when a draining node is written or a drain
// starts or ends: writes of other nodes leave it alone, so a drainer
// watching it costs nothing while nothing drains.
func (r *reader) DrainingNodes(ws memdb.WatchSet) ([]*drover.Node, error) {
	return list[drover.Node](r.db.Txn(false), ws, TableNodes, "draining")
}

// drainingIndexer indexes only the nodes being drained, all under one
// key: the others are missing from the index, so their writes never touch
// it (nor close its watch channels).
type drainingIndexer struct{}

func (drainingIndexer) FromObject(obj any) (bool, []byte, error) {
	n, ok := obj.(*drover.Node)
	if !ok {
		return false, nil, fmt.Errorf("draining index: %T is not a node", obj)
	}
	if n.DrainStrategy == nil {
		return false, nil, nil
	}
	return true, []byte{1}, nil
}

func (drainingIndexer) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 0 {
		return nil, fmt.Errorf("draining index: takes no arguments, got %d", len(args))
	}
	return []byte{1}, nil
}

// UpdateNodeDrain starts, updates or ends a node's drain at index, and
// writes evals in the same transaction.
//
// With strategy set the node is draining: Drain is set, its eligibility
// becomes ineligible, and LastDrain records the drain (status "draining",
// meta). With strategy nil the drain ends: Drain is cleared, the node stays
// ineligible unless markEligible, and LastDrain's status becomes "complete"
// (the drainer finished it: complete is true) or "canceled". A completion
// of a node that is no longer draining changes nothing: the drainer
// decided it before the operator ended the drain, whose record stands.
// updatedAt is unix nanoseconds. An unknown node is drover.ErrNotFound.
func (s *StateStore) UpdateNodeDrain(index uint64, nodeID string, strategy *drover.DrainStrategy, markEligible, complete bool, meta map[string]string, updatedAt int64, evals []*drover.Evaluation) error {
	return s.write(func(txn *memdb.Txn) error {
		n, err := nodeForUpdateTxn(txn, nodeID, "drain")
		if err != nil {
			return err
		}
		if strategy == nil && complete && n.DrainStrategy == nil {
			return nil
		}
		now := time.Unix(0, updatedAt).UTC()
		switch {
		case strategy != nil:
			d := *strategy
			n.DrainStrategy, n.Drain = &d, true
			n.SchedulingEligibility = drover.NodeIneligible
			started := d.StartedAt
			if n.LastDrain != nil && n.LastDrain.Status == drover.DrainStatusDraining {
				started = n.LastDrain.StartedAt // an update of a running drain
				if meta == nil {
					meta = n.LastDrain.Meta
				}
			}
			n.LastDrain = &drover.DrainMetadata{StartedAt: started, UpdatedAt: now, Status: drover.DrainStatusDraining, Meta: meta}
		default:
			n.DrainStrategy, n.Drain = nil, false
			if markEligible {
				n.SchedulingEligibility = drover.NodeEligible
			}
			if n.LastDrain != nil {
				ld := *n.LastDrain
				ld.UpdatedAt, ld.Status = now, drover.DrainStatusCanceled
				if complete {
					ld.Status = drover.DrainStatusComplete
				}
				if meta != nil {
					ld.Meta = meta
				}
				n.LastDrain = &ld
			}
		}
		return writeNodeWithEvalsTxn(txn, index, n, "drain", evals)
	})
}

// UpdateNodeEligibility sets a node's scheduling eligibility at index and
// writes evals in the same transaction. A draining node cannot be made
// eligible (drover.ErrInvalid): its drain must end first. An unknown node is
// drover.ErrNotFound.
func (s *StateStore) UpdateNodeEligibility(index uint64, nodeID, eligibility string, updatedAt int64, evals []*drover.Evaluation) error {
	switch eligibility {
	case drover.NodeEligible, drover.NodeIneligible:
	default:
		return drover.Errorf(drover.ErrInvalid, "node %s: unknown scheduling eligibility %q: must be %q or %q",
			nodeID, eligibility, drover.NodeEligible, drover.NodeIneligible)
	}
	return s.write(func(txn *memdb.Txn) error {
		n, err := nodeForUpdateTxn(txn, nodeID, "eligibility")
		if err != nil {
			return err
		}
		if eligibility == drover.NodeEligible && n.DrainStrategy != nil {
			return drover.Errorf(drover.ErrInvalid, "node %s is draining: it cannot be made eligible until the drain ends", nodeID)
		}
		n.SchedulingEligibility = eligibility
		return writeNodeWithEvalsTxn(txn, index, n, "eligibility", evals)
	})
}

// writeNodeWithEvalsTxn stores the changed node n at index (what names the
// change in errors) and writes evals with it.
func writeNodeWithEvalsTxn(txn *memdb.Txn, index uint64, n *drover.Node, what string, evals []*drover.Evaluation) error {
	n.ModifyIndex = index
	if err := txn.Insert(TableNodes, n); err != nil {
		return fmt.Errorf("state: update node %s %s: %w", n.ID, what, err)
	}
	if err := setIndexTxn(txn, index, TableNodes); err != nil {
		return err
	}
	touched := jobSet{}
	if err := upsertEvalsTxn(txn, index, evals, touched); err != nil {
		return err
	}
	return refreshJobsTxn(txn, index, touched, false)
}

// nodeForUpdateTxn returns a copy of the stored node to change.
func nodeForUpdateTxn(txn *memdb.Txn, nodeID, what string) (*drover.Node, error) {
	raw, err := txn.First(TableNodes, "id", nodeID)
	if err != nil {
		return nil, fmt.Errorf("state: update node %s %s: %w", nodeID, what, err)
	}
	if raw == nil {
		return nil, drover.Errorf(drover.ErrNotFound, "node %s not found", nodeID)
	}
	return raw.(*drover.Node).Copy(), nil
}

// UpdateAllocsDesiredTransitions merges transitions (by allocation ID) into
// the allocations' DesiredTransition at index and writes evals in the same
// transaction. Unknown allocations are ignored (they may have been
// garbage-collected). A changed allocation's ModifyIndex and
// AllocModifyIndex become index.
func (s *StateStore) UpdateAllocsDesiredTransitions(index uint64, transitions map[string]*drover.DesiredTransition, evals []*drover.Evaluation) error {
	return s.write(func(txn *memdb.Txn) error {
		touched := jobSet{}
		n := 0
		for id, t := range transitions {
			raw, err := txn.First(TableAllocs, "id", id)
			if err != nil {
				return fmt.Errorf("state: update alloc %s desired transition: %w", id, err)
			}
			if raw == nil || t == nil {
				continue
			}
			old := raw.(*drover.Allocation)
			a := old.CopySkipJob()
			a.DesiredTransition.Merge(t)
			a.ModifyIndex, a.AllocModifyIndex = index, index
			if err := txn.Insert(TableAllocs, a); err != nil {
				return fmt.Errorf("state: update alloc %s desired transition: %w", id, err)
			}
			touched.alloc(old, a)
			n++
		}
		if n > 0 {
			if err := setIndexTxn(txn, index, TableAllocs); err != nil {
				return err
			}
		}
		if err := upsertEvalsTxn(txn, index, evals, touched); err != nil {
			return err
		}
		return refreshJobsTxn(txn, index, touched, false)
	})
}
