package state

import (
	"errors"
	"testing"
	"time"

	"github.com/drover-sh/drover"
)

func TestSchedulerConfigDefaultThenCAS(t *testing.T) {
	s := newStore(t)
	got, err := s.SchedulerConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.SchedulerAlgorithm != drover.SchedulerAlgorithmBinpack || !got.PreemptionConfig.SystemSchedulerEnabled || got.ModifyIndex != 0 {
		t.Fatalf("default = %+v", got)
	}
	spread := &drover.SchedulerConfiguration{SchedulerAlgorithm: drover.SchedulerAlgorithmSpread}
	if err := s.SetSchedulerConfig(10, spread, true); err != nil {
		t.Fatalf("CAS at 0 over no config: %v", err)
	}
	// A stale check-and-set index changes nothing.
	stale := &drover.SchedulerConfiguration{SchedulerAlgorithm: drover.SchedulerAlgorithmBinpack, ModifyIndex: 3}
	if err := s.SetSchedulerConfig(11, stale, true); !errors.Is(err, drover.ErrConflict) {
		t.Fatalf("stale CAS: err = %v, want ErrConflict", err)
	}
	got, _ = s.SchedulerConfig(nil)
	if got.SchedulerAlgorithm != drover.SchedulerAlgorithmSpread || got.ModifyIndex != 10 || got.CreateIndex != 10 {
		t.Fatalf("after stale CAS = %+v", got)
	}
	if err := s.SetSchedulerConfig(12, &drover.SchedulerConfiguration{SchedulerAlgorithm: "tetris"}, false); !errors.Is(err, drover.ErrInvalid) {
		t.Fatalf("bad algorithm: err = %v, want ErrInvalid", err)
	}
}

func TestPeriodicLaunchNeverMovesBack(t *testing.T) {
	s := newStore(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.UpsertPeriodicLaunch(5, &drover.PeriodicLaunch{ID: "p", Namespace: "default", Launch: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpsertPeriodicLaunch(6, &drover.PeriodicLaunch{ID: "p", Namespace: "default", Launch: t0}); err != nil {
		t.Fatal(err)
	}
	l, err := s.PeriodicLaunchByID(nil, "default", "p")
	if err != nil || l == nil {
		t.Fatalf("launch = %v, %v", l, err)
	}
	if !l.Launch.Equal(t0.Add(time.Hour)) || l.ModifyIndex != 5 {
		t.Fatalf("launch = %+v, want the later launch at index 5", l)
	}
}
