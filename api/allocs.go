package api

import "github.com/drover-sh/drover"

// Allocations reads allocations.
type Allocations struct{ c *Client }

// Allocations returns the allocation endpoints.
func (c *Client) Allocations() *Allocations { return &Allocations{c: c} }

// List lists allocations; q.Prefix filters by ID prefix.
func (a *Allocations) List(q *QueryOptions) ([]*drover.AllocListStub, *QueryMeta, error) {
	var out []*drover.AllocListStub
	qm, err := a.c.query("/v1/allocations", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Info reads an allocation by its full ID; a missing one is an error
// matching drover.ErrNotFound.
func (a *Allocations) Info(allocID string, q *QueryOptions) (*drover.Allocation, *QueryMeta, error) {
	var out drover.Allocation
	qm, err := a.c.query("/v1/allocation/"+pathEscape(allocID), nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	normalizeAllocs(&out)
	return &out, qm, nil
}
