package httpapi

import (
	"net/http"

	"github.com/drover-sh/drover"
)

// jobDispatchBody is the body of PUT /v1/job/<id>/dispatch, as Nomad's:
// Payload is base64 in JSON.
type jobDispatchBody struct {
	JobID            string
	Payload          []byte
	Meta             map[string]string
	IdPrefixTemplate string
}

// handleJobDispatch dispatches a parameterized job with the body's payload
// and meta.
func handleJobDispatch(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		var body jobDispatchBody
		if err := decodeBody(r, &body); err != nil {
			writeError(w, err)
			return
		}
		id := r.PathValue("id")
		if body.JobID != "" && body.JobID != id {
			writeError(w, drover.Errorf(drover.ErrInvalid, "job ID %q in the body does not match %q in the path", body.JobID, id))
			return
		}
		args := &drover.JobDispatchRequest{
			JobID: id, Payload: body.Payload, Meta: body.Meta, IdPrefixTemplate: body.IdPrefixTemplate,
			WriteRequest: drover.WriteRequest{Region: q.Region, Namespace: q.Namespace},
		}
		var reply drover.JobDispatchResponse
		callWrite(w, r, rpc, drover.MethodJobDispatch, args, &reply, &reply.WriteMeta)
	})
}

// handleJobPeriodicForce launches a periodic job's child now.
func handleJobPeriodicForce(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		args := &drover.PeriodicForceRequest{
			JobID:        r.PathValue("id"),
			WriteRequest: drover.WriteRequest{Region: q.Region, Namespace: q.Namespace},
		}
		var reply drover.PeriodicForceResponse
		callWrite(w, r, rpc, drover.MethodPeriodicForce, args, &reply, &reply.WriteMeta)
	})
}
