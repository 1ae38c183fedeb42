package httpapi

import (
	"net/http"

	"github.com/drover-sh/drover"
)

// errNoDeployments is the answer of every deployment endpoint: drover does
// not create deployments yet (a job's update block is stored and shown,
// not acted on), so there is nothing to list, read, promote, pause or fail.
// It is a 501, not an empty list, so a tool waiting on a deployment learns
// why at once instead of waiting forever.
var errNoDeployments = drover.Errorf(drover.ErrNotSupported,
	"deployments are not supported yet: drover does not create deployments (a job's update block is stored, not acted on)")

// handleDeploymentsUnsupported answers every /v1/deployment(s) path with
// errNoDeployments, after checking the common query options so a malformed
// request still gets its 400.
func handleDeploymentsUnsupported(region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		writeError(w, errNoDeployments)
	})
}
