package httpapi

import (
	"net/http"
	"time"

	"github.com/drover-sh/drover"
)

// nodeDrainBody is the body of PUT /v1/node/<id>/drain, as Nomad's api
// client sends it. A null or missing DrainSpec ends the drain. The node is
// the path's; a NodeID in the body is ignored, as Nomad does.
type nodeDrainBody struct {
	DrainSpec    *drainSpec
	MarkEligible bool
	Meta         map[string]string
}

// drainSpec is what a caller chooses of a drain: Deadline in nanoseconds (0:
// none, negative: stop everything now) and whether system jobs stay.
type drainSpec struct {
	Deadline         time.Duration
	IgnoreSystemJobs bool
}

// nodeEligibilityBody is the body of PUT /v1/node/<id>/eligibility.
type nodeEligibilityBody struct {
	Eligibility string
}

// handleNodeDrain starts, updates or ends a node's drain.
func handleNodeDrain(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		var body nodeDrainBody
		if err := decodeBody(r, &body); err != nil {
			writeError(w, err)
			return
		}
		args := &drover.NodeUpdateDrainRequest{
			NodeID: r.PathValue("id"), MarkEligible: body.MarkEligible, Meta: body.Meta,
			WriteRequest: drover.WriteRequest{Region: q.Region, Namespace: q.Namespace},
		}
		if s := body.DrainSpec; s != nil {
			args.DrainStrategy = &drover.DrainStrategy{Deadline: s.Deadline, IgnoreSystemJobs: s.IgnoreSystemJobs}
		}
		var reply drover.NodeDrainUpdateResponse
		callWrite(w, r, rpc, drover.MethodNodeUpdateDrain, args, &reply, &reply.WriteMeta)
	})
}

// handleNodeEligibility sets a node's scheduling eligibility.
func handleNodeEligibility(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		var body nodeEligibilityBody
		if err := decodeBody(r, &body); err != nil {
			writeError(w, err)
			return
		}
		switch body.Eligibility {
		case drover.NodeEligible, drover.NodeIneligible:
		default:
			writeError(w, drover.Errorf(drover.ErrInvalid, "Eligibility %q is not %q or %q",
				body.Eligibility, drover.NodeEligible, drover.NodeIneligible))
			return
		}
		args := &drover.NodeUpdateEligibilityRequest{
			NodeID: r.PathValue("id"), Eligibility: body.Eligibility,
			WriteRequest: drover.WriteRequest{Region: q.Region, Namespace: q.Namespace},
		}
		var reply drover.NodeEligibilityUpdateResponse
		callWrite(w, r, rpc, drover.MethodNodeUpdateEligibility, args, &reply, &reply.WriteMeta)
	})
}
