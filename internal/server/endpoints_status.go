package server

import (
	"context"
	"fmt"

	"github.com/hashicorp/raft"

	"github.com/drover-sh/drover"
)

// statusPeers answers the servers of the Raft configuration by their RPC
// addresses, the leader marked.
func (s *Server) statusPeers(ctx context.Context, args *drover.GenericRequest, reply *drover.StatusPeersResponse) error {
	if err := s.shuttingDown(); err != nil {
		return err
	}
	r := s.raft.Raft()
	future := r.GetConfiguration()
	if err := future.Error(); err != nil {
		return fmt.Errorf("status peers: read raft configuration: %w", err)
	}
	leader, _ := r.LeaderWithID()
	reply.Peers = nil
	for _, srv := range future.Configuration().Servers {
		p := drover.RaftPeer{
			ID: string(srv.ID), Address: string(srv.Address),
			Voter: srv.Suffrage == raft.Voter, Leader: srv.Address == leader,
		}
		// A server without a network transport (-dev) has an in-memory
		// Raft address; its RPC address is the one peers and clients use.
		if p.ID == s.cfg.NodeName && s.cfg.RPCAdvertise != "" {
			p.Address = s.cfg.RPCAdvertise
		}
		reply.Peers = append(reply.Peers, p)
	}
	return nil
}
