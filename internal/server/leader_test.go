package server

import (
	"testing"

	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

// TestNoLeaderDutiesAfterShutdownBegins: a server that begins shutting
// down while it establishes leadership (its barrier done, its duties not
// yet started) starts none of them: no leader context, no heartbeat timer,
// no tracked periodic job, a disabled broker. Otherwise they would start
// after Shutdown's revocation and outlive the server.
func TestNoLeaderDutiesAfterShutdownBegins(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	registerJob(t, s, periodicJob("cron", false))
	s.afterBarrier = s.cancel // Shutdown's first step
	s.establishLeadership()
	if s.leaderContext() != nil {
		t.Error("leader context set by a server shutting down")
	}
	if n := s.heartbeats.count(); n != 0 {
		t.Errorf("%d heartbeat timers armed by a server shutting down", n)
	}
	if _, ok := s.periodic.tracked("default", "cron"); ok {
		t.Error("periodic job tracked by a server shutting down")
	}
	if s.broker.Enabled() {
		t.Error("broker enabled by a server shutting down")
	}
}
