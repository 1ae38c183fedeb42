package api

import (
	"net/http"
	"time"

	"github.com/drover-sh/drover"
)

// DrainSpec is what a caller chooses of a drain, as Nomad's api.DrainSpec.
type DrainSpec struct {
	// Deadline is how long the drain may take before what is left on the
	// node is stopped: 0 means no deadline, a negative value stops every
	// allocation at once (a forced drain).
	Deadline time.Duration
	// IgnoreSystemJobs leaves system jobs' allocations running.
	IgnoreSystemJobs bool
}

// DrainOptions is a whole drain update, as Nomad's api.DrainOptions: a nil
// DrainSpec ends the node's drain, and then MarkEligible makes the node
// eligible for scheduling again. Meta is recorded in the node's LastDrain.
type DrainOptions struct {
	DrainSpec    *DrainSpec
	MarkEligible bool
	Meta         map[string]string
}

// nodeDrainBody is the body of PUT /v1/node/<id>/drain.
type nodeDrainBody struct {
	NodeID       string
	DrainSpec    *DrainSpec
	MarkEligible bool
	Meta         map[string]string
}

// UpdateDrain starts or updates the drain of the node (full ID) with spec,
// or ends it when spec is nil; ending it with markEligible makes the node
// eligible again. An unknown node is an error matching drover.ErrNotFound.
func (n *Nodes) UpdateDrain(nodeID string, spec *DrainSpec, markEligible bool) (*drover.NodeDrainUpdateResponse, *WriteMeta, error) {
	return n.UpdateDrainOpts(nodeID, &DrainOptions{DrainSpec: spec, MarkEligible: markEligible})
}

// UpdateDrainOpts is UpdateDrain with the drain's meta (nil opts: end the
// drain, leaving the node ineligible).
func (n *Nodes) UpdateDrainOpts(nodeID string, opts *DrainOptions) (*drover.NodeDrainUpdateResponse, *WriteMeta, error) {
	if opts == nil {
		opts = &DrainOptions{}
	}
	body := nodeDrainBody{NodeID: nodeID, DrainSpec: opts.DrainSpec, MarkEligible: opts.MarkEligible, Meta: opts.Meta}
	var out drover.NodeDrainUpdateResponse
	wm, err := n.c.write(http.MethodPut, "/v1/node/"+pathEscape(nodeID)+"/drain", nil, &body, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// ToggleEligibility makes the node (full ID) eligible or ineligible for
// new allocations. A draining node cannot be made eligible: that is an
// error matching drover.ErrInvalid.
func (n *Nodes) ToggleEligibility(nodeID string, eligible bool) (*drover.NodeEligibilityUpdateResponse, *WriteMeta, error) {
	body := struct{ NodeID, Eligibility string }{NodeID: nodeID, Eligibility: drover.NodeIneligible}
	if eligible {
		body.Eligibility = drover.NodeEligible
	}
	var out drover.NodeEligibilityUpdateResponse
	wm, err := n.c.write(http.MethodPut, "/v1/node/"+pathEscape(nodeID)+"/eligibility", nil, &body, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}
