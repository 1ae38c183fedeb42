package server

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

// startNetServer starts a server with a data dir on a loopback port.
func startNetServer(t *testing.T, name string, bootstrap bool) (*Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{
		NodeName: name, DataDir: t.TempDir(), Listener: ln, Bootstrap: bootstrap,
		FastRaft: true, NumSchedulers: 1, HeartbeatTTL: time.Minute, Logger: testLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s, ln.Addr().String()
}

func TestFollowerForwardsWritesToLeader(t *testing.T) {
	s1, addr1 := startNetServer(t, "s1", true)
	waitFor(t, 10*time.Second, "s1 leadership", func() bool { return s1.leaderContext() != nil })
	s2, addr2 := startNetServer(t, "s2", false)
	if err := s1.Raft().AddVoter(raft.ServerID("s2"), raft.ServerAddress(addr2), 0, 10*time.Second).Error(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "s2 knows the leader", func() bool { return s2.Leader() == addr1 })
	if s2.IsLeader() {
		t.Fatal("s2 is leader")
	}

	ctx := context.Background()
	registerNode(t, s2, schedtest.Node("n1"))
	reply := registerJob(t, s2, schedtest.Job("web", 1))
	waitFor(t, 10*time.Second, "placement replicated to s2", func() bool { return len(liveAllocs(t, s2, "web")) == 1 })
	if e := evalOf(t, s1, reply.EvalID); e == nil {
		t.Fatal("forwarded registration's eval missing on the leader")
	}
	// Errors keep their kind across forwarding.
	var jr drover.JobRegisterResponse
	err := s2.RPC(ctx, drover.MethodJobRegister, &drover.JobRegisterRequest{Job: &drover.Job{ID: "x"}}, &jr)
	if !errors.Is(err, drover.ErrInvalid) {
		t.Fatalf("forwarded invalid job: %v", err)
	}
	var leader string
	if err := s2.RPC(ctx, drover.MethodStatusLeader, &drover.GenericRequest{}, &leader); err != nil || leader != addr1 {
		t.Fatalf("s2 leader = %q %v", leader, err)
	}
}
