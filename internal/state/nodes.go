package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
)

// NodeByID returns the node, or nil (and no error) when it is absent.
func (r *reader) NodeByID(ws memdb.WatchSet, id string) (*drover.Node, error) {
	obj, err := first(r.db.Txn(false), ws, TableNodes, "id", id)
	if err != nil || obj == nil {
		return nil, err
	}
	return obj.(*drover.Node), nil
}

// NodesByIDPrefix returns the nodes whose ID starts with prefix, sorted by
// ID; "" returns every node.
func (r *reader) NodesByIDPrefix(ws memdb.WatchSet, prefix string) ([]*drover.Node, error) {
	return list[drover.Node](r.db.Txn(false), ws, TableNodes, "id_prefix", prefix)
}

// Nodes returns every node, sorted by ID.
func (r *reader) Nodes(ws memdb.WatchSet) ([]*drover.Node, error) {
	return r.NodesByIDPrefix(ws, "")
}

// UpsertNode registers or updates a node at index. A re-registration keeps
// the stored CreateIndex, scheduling eligibility, drain flag, drain strategy
// and last drain, which are the operator's, not the client's. A new node without an eligibility is
// eligible.
func (s *StateStore) UpsertNode(index uint64, node *drover.Node) error {
	return s.write(func(txn *memdb.Txn) error { return upsertNodeTxn(txn, index, node) })
}

func upsertNodeTxn(txn *memdb.Txn, index uint64, node *drover.Node) error {
	if node == nil || node.ID == "" {
		return drover.Errorf(drover.ErrInvalid, "state: upsert node: missing node ID")
	}
	raw, err := txn.First(TableNodes, "id", node.ID)
	if err != nil {
		return fmt.Errorf("state: upsert node %s: %w", node.ID, err)
	}
	if raw != nil {
		old := raw.(*drover.Node)
		node.CreateIndex = old.CreateIndex
		node.SchedulingEligibility = old.SchedulingEligibility
		node.Drain = old.Drain
		node.DrainStrategy = old.DrainStrategy
		node.LastDrain = old.LastDrain
	} else {
		node.CreateIndex = index
	}
	if node.SchedulingEligibility == "" {
		node.SchedulingEligibility = drover.NodeEligible
	}
	node.ModifyIndex = index
	if err := txn.Insert(TableNodes, node); err != nil {
		return fmt.Errorf("state: upsert node %s: %w", node.ID, err)
	}
	return setIndexTxn(txn, index, TableNodes)
}

// UpdateNodeStatus sets a node's Status and StatusUpdatedAt (unix seconds)
// at index. An unknown node is an ErrNotFound error.
func (s *StateStore) UpdateNodeStatus(index uint64, nodeID, status string, updatedAt int64) error {
	return s.write(func(txn *memdb.Txn) error {
		raw, err := txn.First(TableNodes, "id", nodeID)
		if err != nil {
			return fmt.Errorf("state: update node %s status: %w", nodeID, err)
		}
		if raw == nil {
			return drover.Errorf(drover.ErrNotFound, "node %s not found", nodeID)
		}
		n := *raw.(*drover.Node) // shallow copy: only scalar fields change
		n.Status = status
		n.StatusUpdatedAt = updatedAt
		n.ModifyIndex = index
		if err := txn.Insert(TableNodes, &n); err != nil {
			return fmt.Errorf("state: update node %s status: %w", nodeID, err)
		}
		return setIndexTxn(txn, index, TableNodes)
	})
}

// DeleteNode removes a node at index. Its allocations stay (the servers mark
// them lost through plans). An unknown node is an ErrNotFound error.
func (s *StateStore) DeleteNode(index uint64, nodeID string) error {
	return s.write(func(txn *memdb.Txn) error {
		raw, err := txn.First(TableNodes, "id", nodeID)
		if err != nil {
			return fmt.Errorf("state: delete node %s: %w", nodeID, err)
		}
		if raw == nil {
			return drover.Errorf(drover.ErrNotFound, "node %s not found", nodeID)
		}
		if err := txn.Delete(TableNodes, raw); err != nil {
			return fmt.Errorf("state: delete node %s: %w", nodeID, err)
		}
		return setIndexTxn(txn, index, TableNodes)
	})
}
