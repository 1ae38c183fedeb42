package api

import "github.com/drover-sh/drover"

// Stats reads the resource usage of a running allocation (by its full ID),
// as the client that runs it last sampled; the agent asked forwards to that
// client's agent. An unknown allocation is an error matching
// drover.ErrNotFound; one whose tasks have finished, drover.ErrConflict.
func (a *Allocations) Stats(allocID string, q *QueryOptions) (*drover.AllocResourceUsage, error) {
	var out drover.AllocResourceUsage
	if _, err := a.c.query("/v1/client/allocation/"+pathEscape(allocID)+"/stats", nil, q, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
