package compat_test

import (
	"net"
	"net/http"
	"testing"

	nomad "github.com/hashicorp/nomad/api"
)

// TestStatusLeaderAndPeers: the leader, the peers and the Raft
// configuration's one server are the agent's RPC address; another region
// is refused, not answered from this one.
func TestStatusLeaderAndPeers(t *testing.T) {
	d := startDevAgent(t)
	rpcAddr := d.agent.RPCAddr()
	leader, err := d.api.Status().RegionLeader("global")
	if err != nil || leader != rpcAddr {
		t.Fatalf("RegionLeader(global) = %q, %v; want %q", leader, err, rpcAddr)
	}
	peers, err := d.api.Status().Peers()
	if err != nil {
		t.Fatal(err)
	}
	if len(peers) != 1 || peers[0] != rpcAddr {
		t.Fatalf("Peers() = %v, want [%s]", peers, rpcAddr)
	}
	raftConf, err := d.api.Operator().RaftGetConfiguration(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(raftConf.Servers) != 1 {
		t.Fatalf("RaftGetConfiguration() = %+v, want one server", raftConf)
	}
	if s := raftConf.Servers[0]; s.Address != rpcAddr || !s.Leader || !s.Voter || s.Node == "" {
		t.Fatalf("Raft server = %+v, want the voting leader at %s", s, rpcAddr)
	}
	_, err = d.api.Status().RegionLeader("mars")
	shapeWantError(t, "RegionLeader(mars)", err, http.StatusBadRequest, "mars", "does not federate")
}

// TestAgentSelfAndMembers: the agent describes itself (name, region,
// datacenter: what the client caches for NodeName, Region, Datacenter) and
// lists the cluster's servers as members, the leader among them at the
// address Status().Leader() answers.
func TestAgentSelfAndMembers(t *testing.T) {
	d := startDevAgent(t)
	self, err := d.api.Agent().Self()
	if err != nil {
		t.Fatal(err)
	}
	if self.Member.Name == "" || self.Member.Status != "alive" || self.Member.Addr == "" || self.Member.Port == 0 {
		t.Fatalf("Self().Member = %+v", self.Member)
	}
	if self.Stats["agent"]["server"] != "true" || self.Stats["agent"]["client"] != "true" {
		t.Fatalf("Self().Stats[agent] = %v, want server and client", self.Stats["agent"])
	}
	// A fresh client, whose agent handle caches what Self answers.
	a, err := nomad.NewClient(&nomad.Config{Address: d.addr})
	if err != nil {
		t.Fatal(err)
	}
	name, err := a.Agent().NodeName()
	if err != nil || name != self.Member.Name {
		t.Fatalf("NodeName() = %q, %v; want %q", name, err, self.Member.Name)
	}
	if region, err := a.Agent().Region(); err != nil || region != "global" {
		t.Fatalf("Region() = %q, %v; want global", region, err)
	}
	if dc, err := a.Agent().Datacenter(); err != nil || dc != "dc1" {
		t.Fatalf("Datacenter() = %q, %v; want dc1", dc, err)
	}

	members, err := d.api.Agent().Members()
	if err != nil {
		t.Fatal(err)
	}
	if members.ServerName != name+".global" || members.ServerRegion != "global" || members.ServerDC != "dc1" {
		t.Fatalf("Members() = %+v", members)
	}
	if len(members.Members) != 1 {
		t.Fatalf("Members().Members = %d, want 1", len(members.Members))
	}
	m := members.Members[0]
	if m.Name != name+".global" || m.Status != "alive" || m.Tags["region"] != "global" || m.Tags["dc"] != "dc1" {
		t.Fatalf("member = %+v", m)
	}
	leader, err := d.api.Status().Leader()
	if err != nil {
		t.Fatal(err)
	}
	if got := net.JoinHostPort(m.Addr, m.Tags["port"]); got != leader {
		t.Fatalf("member Addr:Tags[port] = %s, want the leader %s", got, leader)
	}
}

// TestRegionsList: the one region drover knows.
func TestRegionsList(t *testing.T) {
	d := startDevAgent(t)
	regions, err := d.api.Regions().List()
	if err != nil || len(regions) != 1 || regions[0] != "global" {
		t.Fatalf("Regions().List() = %v, %v; want [global]", regions, err)
	}
}

// TestOperatorSchedulerConfiguration: the scheduler configuration reads
// with its defaults, writes, and a check-and-set with a stale index is
// refused without writing.
func TestOperatorSchedulerConfiguration(t *testing.T) {
	d := startDevAgent(t)
	op := d.api.Operator()
	cur, qm, err := op.SchedulerGetConfiguration(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := cur.SchedulerConfig
	if c == nil || c.SchedulerAlgorithm != nomad.SchedulerAlgorithmBinpack || !c.PreemptionConfig.SystemSchedulerEnabled ||
		c.PreemptionConfig.ServiceSchedulerEnabled || !qm.KnownLeader {
		t.Fatalf("SchedulerGetConfiguration() = %+v, %+v; want the defaults", c, qm)
	}

	want := &nomad.SchedulerConfiguration{
		SchedulerAlgorithm:            nomad.SchedulerAlgorithmSpread,
		PreemptionConfig:              nomad.PreemptionConfig{SystemSchedulerEnabled: true, ServiceSchedulerEnabled: true},
		MemoryOversubscriptionEnabled: true,
	}
	set, wm, err := op.SchedulerSetConfiguration(want, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !set.Updated || wm.LastIndex == 0 {
		t.Fatalf("SchedulerSetConfiguration() = %+v, %+v; want updated at an index", set, wm)
	}
	cur, _, err = op.SchedulerGetConfiguration(nil)
	if err != nil {
		t.Fatal(err)
	}
	c = cur.SchedulerConfig
	if c.SchedulerAlgorithm != nomad.SchedulerAlgorithmSpread || !c.PreemptionConfig.ServiceSchedulerEnabled ||
		!c.MemoryOversubscriptionEnabled || c.ModifyIndex != wm.LastIndex {
		t.Fatalf("configuration after set = %+v, want spread, service preemption, oversubscription at %d", c, wm.LastIndex)
	}

	stale := *want
	stale.SchedulerAlgorithm = nomad.SchedulerAlgorithmBinpack
	stale.ModifyIndex = c.ModifyIndex - 1
	cas, _, err := op.SchedulerCASConfiguration(&stale, nil)
	if err != nil || cas.Updated {
		t.Fatalf("CAS with a stale index = %+v, %v; want not updated", cas, err)
	}
	stale.ModifyIndex = c.ModifyIndex
	cas, _, err = op.SchedulerCASConfiguration(&stale, nil)
	if err != nil || !cas.Updated {
		t.Fatalf("CAS with the current index = %+v, %v; want updated", cas, err)
	}

	_, _, err = op.SchedulerSetConfiguration(&nomad.SchedulerConfiguration{SchedulerAlgorithm: "roundrobin"}, nil)
	shapeWantError(t, "SchedulerSetConfiguration(roundrobin)", err, http.StatusBadRequest, "roundrobin")
}
