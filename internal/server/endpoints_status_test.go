package server

import (
	"context"
	"testing"

	"github.com/drover-sh/drover"
)

// TestStatusPeers: a bootstrapped server lists itself, by its node name, as
// the voting leader of the Raft configuration, at its RPC address when it
// has one.
func TestStatusPeers(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.RPCAdvertise = "10.0.0.1:4647" })
	var r drover.StatusPeersResponse
	if err := s.RPC(context.Background(), drover.MethodStatusPeers, &drover.GenericRequest{}, &r); err != nil {
		t.Fatal(err)
	}
	want := drover.RaftPeer{ID: "s1", Address: "10.0.0.1:4647", Voter: true, Leader: true}
	if len(r.Peers) != 1 || r.Peers[0] != want {
		t.Fatalf("peers = %+v, want [%+v]", r.Peers, want)
	}
}
