package httpapi

import (
	"net/http"
	"strconv"

	"github.com/drover-sh/drover"
)

// handleSchedulerConfigGet answers GET /v1/operator/scheduler/configuration
// as Nomad's: {"SchedulerConfig": {...}, "Index", "KnownLeader",
// "LastContact"}.
func handleSchedulerConfigGet(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		var reply drover.SchedulerConfigurationResponse
		if callRead(w, r, rpc, drover.MethodOperatorSchedulerGetConfiguration, &drover.GenericRequest{QueryOptions: q}, &reply, &reply.QueryMeta) {
			writeJSON(w, http.StatusOK, reply)
		}
	})
}

// handleSchedulerConfigSet answers PUT/POST
// /v1/operator/scheduler/configuration[?cas=<index>]: the body is the whole
// configuration; the answer is {"Updated": bool, "Index"}. With cas, the
// write happens only if the stored configuration's ModifyIndex is that
// index (0: never set); otherwise Updated is false.
func handleSchedulerConfigSet(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		var cfg drover.SchedulerConfiguration
		if err := decodeBody(r, &cfg); err != nil {
			writeError(w, err)
			return
		}
		args := &drover.SchedulerSetConfigRequest{Config: cfg, WriteRequest: drover.WriteRequest{Region: q.Region, Namespace: q.Namespace}}
		if v := r.URL.Query().Get("cas"); v != "" {
			idx, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				writeError(w, drover.Errorf(drover.ErrInvalid, "query parameter cas=%q: must be a non-negative integer index", v))
				return
			}
			args.CAS, args.Config.ModifyIndex = true, idx
		}
		var reply drover.SchedulerSetConfigurationResponse
		callWrite(w, r, rpc, drover.MethodOperatorSchedulerSetConfiguration, args, &reply, &reply.WriteMeta)
	})
}

// raftServer is one server of GET /v1/operator/raft/configuration, in
// Nomad's shape.
type raftServer struct {
	ID           string
	Node         string
	Address      string
	Leader       bool
	Voter        bool
	RaftProtocol string
}

// handleRaftConfiguration answers GET /v1/operator/raft/configuration:
// {"Servers": [...], "Index"}: the servers of the Raft configuration by
// their RPC addresses, as /v1/status/peers lists them. Index is 0: the Raft
// library does not tell the configuration's index.
func handleRaftConfiguration(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		var reply drover.StatusPeersResponse
		if err := rpc.RPC(r.Context(), drover.MethodStatusPeers, &drover.GenericRequest{QueryOptions: q}, &reply); err != nil {
			writeError(w, err)
			return
		}
		out := struct {
			Servers []raftServer
			Index   uint64
		}{Servers: []raftServer{}}
		for _, p := range reply.Peers {
			out.Servers = append(out.Servers, raftServer{
				ID: p.ID, Node: p.ID, Address: p.Address, Leader: p.Leader, Voter: p.Voter, RaftProtocol: "3",
			})
		}
		writeJSON(w, http.StatusOK, out)
	})
}
