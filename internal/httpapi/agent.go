package httpapi

import (
	"net"
	"net/http"
	"strconv"

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
		if out.Member.Status == "" {
			out.Member.Status = memberAlive
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// handleRegions answers GET /v1/regions: the agent's own region, the only
// one it knows (drover does not federate regions).
func handleRegions(region string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, []string{region})
	})
}

// handleStatusLeader answers the leader's RPC address as a JSON string.
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

// handleStatusPeers answers GET /v1/status/peers: the RPC addresses of the
// servers in the Raft configuration, as a JSON list of strings.
func handleStatusPeers(rpc RPC, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		var reply drover.StatusPeersResponse
		if err := rpc.RPC(r.Context(), drover.MethodStatusPeers, &drover.GenericRequest{QueryOptions: q}, &reply); err != nil {
			writeError(w, err)
			return
		}
		peers := make([]string, 0, len(reply.Peers))
		known := false
		for _, p := range reply.Peers {
			peers = append(peers, p.Address)
			known = known || p.Leader
		}
		setMeta(w, drover.QueryMeta{KnownLeader: known})
		writeJSON(w, http.StatusOK, peers)
	})
}

// Member statuses of /v1/agent/members. drover servers do not gossip: a
// member is a server of the Raft configuration; the answering agent's own
// server and the leader are known to be alive, the others' health is not
// known to this agent.
const (
	memberAlive   = "alive"
	memberUnknown = "unknown"
)

// ServerMembers is the body of GET /v1/agent/members, in Nomad's shape.
type ServerMembers struct {
	ServerName   string
	ServerRegion string
	ServerDC     string
	Members      []*AgentMember
}

// handleAgentMembers answers GET /v1/agent/members: the cluster's servers
// (those of the Raft configuration), named "<node>.<region>" as Nomad's.
// Addr and Port are a server's RPC address, and Tags["port"] its RPC port,
// so Addr:Tags["port"] is what /v1/status/leader answers for the leader.
func handleAgentMembers(rpc RPC, self func() AgentSelf, region string) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		var reply drover.StatusPeersResponse
		if err := rpc.RPC(r.Context(), drover.MethodStatusPeers, &drover.GenericRequest{QueryOptions: q}, &reply); err != nil {
			writeError(w, err)
			return
		}
		var me AgentSelf
		if self != nil {
			me = self()
		}
		name, _ := me.Config["NodeName"].(string)
		dc, _ := me.Config["Datacenter"].(string)
		build, _ := me.Config["Version"].(string)
		out := ServerMembers{ServerName: name + "." + q.Region, ServerRegion: q.Region, ServerDC: dc, Members: []*AgentMember{}}
		for _, p := range reply.Peers {
			host, port, err := net.SplitHostPort(p.Address)
			if err != nil {
				host, port = p.Address, ""
			}
			portNum, _ := strconv.Atoi(port)
			m := &AgentMember{
				Name: p.ID + "." + q.Region, Addr: host, Port: portNum, Status: memberUnknown,
				Tags: map[string]string{"region": q.Region, "port": port, "role": "nomad", "raft_vsn": "3"},
			}
			if p.ID == name {
				m.Tags["dc"], m.Tags["build"] = dc, build
				m.Status = memberAlive
			}
			if p.Leader {
				m.Status = memberAlive
			}
			out.Members = append(out.Members, m)
		}
		writeJSON(w, http.StatusOK, out)
	})
}
