package api

import "github.com/drover-sh/drover"

// Evaluations reads evaluations.
type Evaluations struct{ c *Client }

// Evaluations returns the evaluation endpoints.
func (c *Client) Evaluations() *Evaluations { return &Evaluations{c: c} }

// List lists evaluations; q.Prefix filters by ID prefix.
func (e *Evaluations) List(q *QueryOptions) ([]*drover.Evaluation, *QueryMeta, error) {
	var out []*drover.Evaluation
	qm, err := e.c.query("/v1/evaluations", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Info reads an evaluation by its full ID; a missing one is an error
// matching drover.ErrNotFound.
func (e *Evaluations) Info(evalID string, q *QueryOptions) (*drover.Evaluation, *QueryMeta, error) {
	var out drover.Evaluation
	qm, err := e.c.query("/v1/evaluation/"+pathEscape(evalID), nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Allocations lists the allocations an evaluation placed.
func (e *Evaluations) Allocations(evalID string, q *QueryOptions) ([]*drover.AllocListStub, *QueryMeta, error) {
	var out []*drover.AllocListStub
	qm, err := e.c.query("/v1/evaluation/"+pathEscape(evalID)+"/allocations", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}
