package httpapi

import (
	"net/http"

	"github.com/drover-sh/drover"
)

// handleAgentSelf describes this agent; self may be nil.
func handleAgentSelf(self func() AgentSelf) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var out AgentSelf
		if self != nil {
			out = self()
		}
		if out.Config == nil {
			out.Config = map[string]any{}
		}
		if out.Stats == nil {
			out.Stats = map[string]map[string]string{}
		}
		if out.Member.Tags == nil {
			out.Member.Tags = map[string]string{}
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// handleStatusLeader answers the leader's RPC address as a JSON string.
// handleRegions answers GET /v1/regions: the agent's own region, the only
// one it knows (drover does not federate regions).
func handleRegions(region string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, []string{region})
	})
}

func handleStatusLeader(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		var leader string
		if err := rpc.RPC(r.Context(), drover.MethodStatusLeader, &drover.GenericRequest{QueryOptions: q}, &leader); err != nil {
			writeError(w, err)
			return
		}
		setMeta(w, drover.QueryMeta{KnownLeader: leader != ""})
		writeJSON(w, http.StatusOK, leader)
	})
}
