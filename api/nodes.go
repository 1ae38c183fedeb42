package api

import "github.com/drover-sh/drover"

// Nodes reads client nodes.
type Nodes struct{ c *Client }

// Nodes returns the node endpoints.
func (c *Client) Nodes() *Nodes { return &Nodes{c: c} }

// List lists nodes; q.Prefix filters by ID prefix.
func (n *Nodes) List(q *QueryOptions) ([]*drover.NodeListStub, *QueryMeta, error) {
	var out []*drover.NodeListStub
	qm, err := n.c.query("/v1/nodes", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Info reads a node by its full ID; a missing one is an error matching
// drover.ErrNotFound.
func (n *Nodes) Info(nodeID string, q *QueryOptions) (*drover.Node, *QueryMeta, error) {
	var out drover.Node
	qm, err := n.c.query("/v1/node/"+pathEscape(nodeID), nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Allocations lists the allocations placed on a node.
func (n *Nodes) Allocations(nodeID string, q *QueryOptions) ([]*drover.Allocation, *QueryMeta, error) {
	var out []*drover.Allocation
	qm, err := n.c.query("/v1/node/"+pathEscape(nodeID)+"/allocations", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	normalizeAllocs(out...)
	return out, qm, nil
}
