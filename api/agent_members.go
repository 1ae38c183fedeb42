package api

// ServerMembers is what /v1/agent/members answers: the servers the agent
// knows (through gossip), as Nomad's API shapes it.
type ServerMembers struct {
	ServerName   string
	ServerRegion string
	ServerDC     string
	Members      []*ServerMember
}

// ServerMember is one server of the cluster.
type ServerMember struct {
	Name string
	Addr string
	// Port is the gossip port; Tags["port"] is the server's RPC port.
	Port int
	// Tags carry "region", "dc", "build", "port" (RPC), "raft_vsn" and
	// "role".
	Tags map[string]string
	// Status is the gossip status: "alive", "leaving", "left" or "failed".
	Status string
}

// Members lists the cluster's servers.
func (a *Agent) Members() (*ServerMembers, error) {
	var out ServerMembers
	if _, err := a.c.query("/v1/agent/members", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
