package drover

// MethodStatusPeers lists the servers of the Raft configuration.
const MethodStatusPeers = "Status.Peers" // *GenericRequest → *StatusPeersResponse

// StatusPeersResponse is the reply of MethodStatusPeers: every server in the
// cluster's Raft configuration, as the answering server knows it.
type StatusPeersResponse struct {
	Peers []RaftPeer
}

// RaftPeer is one server of the Raft configuration.
type RaftPeer struct {
	// ID is the server's Raft ID: its node name.
	ID string
	// Address is the server's RPC address (host:port).
	Address string
	// Voter reports whether the server votes (false: a non-voter).
	Voter bool
	// Leader reports whether the answering server knows it as the leader.
	Leader bool
}
