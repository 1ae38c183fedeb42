package server

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/fsm"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

func getSchedulerConfig(t *testing.T, s *Server) *drover.SchedulerConfigurationResponse {
	t.Helper()
	var reply drover.SchedulerConfigurationResponse
	if err := s.RPC(context.Background(), drover.MethodOperatorSchedulerGetConfiguration, &drover.GenericRequest{}, &reply); err != nil {
		t.Fatalf("get scheduler config: %v", err)
	}
	return &reply
}

func setSchedulerConfig(s *Server, cfg drover.SchedulerConfiguration, cas bool) (*drover.SchedulerSetConfigurationResponse, error) {
	var reply drover.SchedulerSetConfigurationResponse
	err := s.RPC(context.Background(), drover.MethodOperatorSchedulerSetConfiguration, &drover.SchedulerSetConfigRequest{Config: cfg, CAS: cas}, &reply)
	return &reply, err
}

func TestSchedulerConfigurationEndpoints(t *testing.T) {
	s := newTestServer(t, nil)
	got := getSchedulerConfig(t, s).SchedulerConfig
	if got.SchedulerAlgorithm != drover.SchedulerAlgorithmBinpack || !got.PreemptionConfig.SystemSchedulerEnabled || got.PreemptionConfig.ServiceSchedulerEnabled {
		t.Fatalf("default config = %+v", got)
	}

	// Check-and-set from "never set" (index 0) succeeds.
	reply, err := setSchedulerConfig(s, drover.SchedulerConfiguration{
		SchedulerAlgorithm: drover.SchedulerAlgorithmSpread,
		PreemptionConfig:   drover.PreemptionConfig{ServiceSchedulerEnabled: true},
	}, true)
	if err != nil || !reply.Updated || reply.Index == 0 {
		t.Fatalf("CAS set: %+v, %v", reply, err)
	}
	got = getSchedulerConfig(t, s).SchedulerConfig
	if got.SchedulerAlgorithm != drover.SchedulerAlgorithmSpread || !got.PreemptionConfig.ServiceSchedulerEnabled ||
		got.PreemptionConfig.SystemSchedulerEnabled || got.ModifyIndex != reply.Index {
		t.Fatalf("after set = %+v (set at %d)", got, reply.Index)
	}

	// A stale check-and-set index is not an error, and changes nothing.
	stale, err := setSchedulerConfig(s, drover.SchedulerConfiguration{SchedulerAlgorithm: drover.SchedulerAlgorithmBinpack, ModifyIndex: 1}, true)
	if err != nil || stale.Updated {
		t.Fatalf("stale CAS: %+v, %v", stale, err)
	}
	if got = getSchedulerConfig(t, s).SchedulerConfig; got.SchedulerAlgorithm != drover.SchedulerAlgorithmSpread {
		t.Fatalf("stale CAS changed the config: %+v", got)
	}

	// A bad algorithm is refused before anything is written.
	if _, err := setSchedulerConfig(s, drover.SchedulerConfiguration{SchedulerAlgorithm: "tetris"}, false); !errors.Is(err, drover.ErrInvalid) {
		t.Fatalf("bad algorithm: err = %v, want ErrInvalid", err)
	}
}

func TestRejectJobRegistration(t *testing.T) {
	s := newTestServer(t, nil)
	if _, err := setSchedulerConfig(s, drover.SchedulerConfiguration{RejectJobRegistration: true}, false); err != nil {
		t.Fatal(err)
	}
	var reply drover.JobRegisterResponse
	err := s.RPC(context.Background(), drover.MethodJobRegister, &drover.JobRegisterRequest{Job: schedtest.Job("web", 1)}, &reply)
	if !errors.Is(err, drover.ErrPermission) {
		t.Fatalf("register while rejected: err = %v, want ErrPermission", err)
	}
	if j, _ := s.State().JobByID(nil, "default", "web"); j != nil {
		t.Fatal("rejected job was stored")
	}
	// A dispatch registers a child job: refused too.
	var dreply drover.JobDispatchResponse
	err = s.RPC(context.Background(), drover.MethodJobDispatch, &drover.JobDispatchRequest{JobID: "anything"}, &dreply)
	if !errors.Is(err, drover.ErrPermission) {
		t.Fatalf("dispatch while rejected: err = %v, want ErrPermission", err)
	}
	if _, err := setSchedulerConfig(s, drover.SchedulerConfiguration{}, false); err != nil {
		t.Fatal(err)
	}
	registerJob(t, s, schedtest.Job("web", 1))
}

// TestPauseEvalBroker: while paused, an evaluation stays pending; resuming
// processes it.
func TestPauseEvalBroker(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	if _, err := setSchedulerConfig(s, drover.SchedulerConfiguration{PauseEvalBroker: true}, false); err != nil {
		t.Fatal(err)
	}
	reg := registerJob(t, s, schedtest.Job("web", 1))
	// Give the workers every chance to (wrongly) take it.
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) {
		if e := evalOf(t, s, reg.EvalID); e.Status != drover.EvalStatusPending {
			t.Fatalf("eval processed while the broker is paused: %s", e.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := setSchedulerConfig(s, drover.SchedulerConfiguration{}, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "eval complete after resume", func() bool {
		return evalOf(t, s, reg.EvalID).Status == drover.EvalStatusComplete
	})
	if n := len(liveAllocs(t, s, "web")); n != 1 {
		t.Fatalf("%d allocs after resume, want 1", n)
	}
}

// TestBrokerFollowsCommittedSchedulerConfig: the broker's pause follows the
// configuration in the order the log commits it, whatever wrote it, not
// what an endpoint call last asked: a write that commits after another
// call's wins even if that call finishes last.
func TestBrokerFollowsCommittedSchedulerConfig(t *testing.T) {
	s := newTestServer(t, nil)
	paused := func() bool {
		s.broker.mu.Lock()
		defer s.broker.mu.Unlock()
		return s.broker.paused
	}
	if _, err := s.raftApply(context.Background(), fsm.SchedulerConfigRequestType,
		&fsm.SchedulerConfigRequest{Config: drover.SchedulerConfiguration{PauseEvalBroker: true}}); err != nil {
		t.Fatal(err)
	}
	if !paused() {
		t.Fatal("a committed PauseEvalBroker did not pause the broker")
	}
	// A refused check-and-set changes nothing.
	_, err := s.raftApply(context.Background(), fsm.SchedulerConfigRequestType,
		&fsm.SchedulerConfigRequest{Config: drover.SchedulerConfiguration{ModifyIndex: 1}, CAS: true})
	if !errors.Is(err, drover.ErrConflict) || !paused() {
		t.Fatalf("stale check-and-set: %v, paused %v; want a conflict and the broker still paused", err, paused())
	}
	if _, err := setSchedulerConfig(s, drover.SchedulerConfiguration{}, false); err != nil {
		t.Fatal(err)
	}
	if paused() {
		t.Fatal("the broker is still paused after the configuration resumed it")
	}
}
