package drover

import (
	"testing"
	"time"
)

// tracker builds a tracker whose events have the given delays, one a minute
// apart ending at end.
func tracker(end time.Time, delays ...time.Duration) *RescheduleTracker {
	t := &RescheduleTracker{}
	for i, d := range delays {
		at := end.Add(-time.Duration(len(delays)-1-i) * time.Minute)
		t.Events = append(t.Events, &RescheduleEvent{RescheduleTime: at.UnixNano(), Delay: d})
	}
	return t
}

func TestNextDelay(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	s := time.Second
	exp := &ReschedulePolicy{Delay: 5 * s, DelayFunction: DelayFunctionExponential, MaxDelay: 30 * s, Unlimited: true}
	fib := &ReschedulePolicy{Delay: 5 * s, DelayFunction: DelayFunctionFibonacci, MaxDelay: 30 * s, Unlimited: true}
	con := &ReschedulePolicy{Delay: 5 * s, DelayFunction: DelayFunctionConstant, Unlimited: true}
	tests := []struct {
		name string
		p    *ReschedulePolicy
		tr   *RescheduleTracker
		want time.Duration
	}{
		{"constant first", con, nil, 5 * s},
		{"constant later", con, tracker(now, 5*s, 5*s), 5 * s},
		{"exponential first", exp, nil, 5 * s},
		{"exponential second", exp, tracker(now, 5*s), 10 * s},
		{"exponential third", exp, tracker(now, 5*s, 10*s), 20 * s},
		{"exponential capped", exp, tracker(now, 5*s, 10*s, 20*s), 30 * s},
		{"fibonacci first", fib, nil, 5 * s},
		{"fibonacci second", fib, tracker(now, 5*s), 5 * s},
		{"fibonacci third", fib, tracker(now, 5*s, 5*s), 10 * s},
		{"fibonacci fourth", fib, tracker(now, 5*s, 5*s, 10*s), 15 * s},
		{"fibonacci capped", fib, tracker(now, 10*s, 15*s, 25*s), 30 * s},
		{"nil policy", nil, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.NextDelay(tt.tr); got != tt.want {
				t.Fatalf("NextDelay = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRescheduleEligible(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	limited := &ReschedulePolicy{Attempts: 2, Interval: 10 * time.Minute, Delay: time.Second, DelayFunction: DelayFunctionConstant}
	tests := []struct {
		name string
		p    *ReschedulePolicy
		tr   *RescheduleTracker
		want bool
	}{
		{"nil policy", nil, nil, false},
		{"disabled", &ReschedulePolicy{}, nil, false},
		{"no attempts yet", limited, nil, true},
		{"one of two", limited, tracker(now, time.Second), true},
		{"exhausted", limited, tracker(now, time.Second, time.Second), false},
		{"old attempts outside interval", limited, tracker(now.Add(-time.Hour), time.Second, time.Second), true},
		{"unlimited", &ReschedulePolicy{Unlimited: true, Delay: time.Second}, tracker(now, 1, 1, 1, 1, 1, 1), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.RescheduleEligible(tt.tr, now); got != tt.want {
				t.Fatalf("RescheduleEligible = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNextRescheduleTimeAndTracker(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	fin := now.Add(-3 * time.Second)
	p := &ReschedulePolicy{Attempts: 3, Interval: time.Hour, Delay: 5 * time.Second, DelayFunction: DelayFunctionExponential, MaxDelay: time.Minute}
	a := &Allocation{ID: "a1", NodeID: "n1", ClientStatus: AllocClientStatusFailed, ModifyTime: now.Add(-time.Hour).UnixNano(),
		TaskStates: map[string]*TaskState{"t": {FinishedAt: fin}}}
	at, ok := a.NextRescheduleTime(p, now)
	if !ok || !at.Equal(fin.Add(5*time.Second)) {
		t.Fatalf("NextRescheduleTime = %v, %v; want %v, true", at, ok, fin.Add(5*time.Second))
	}
	tr := a.NextRescheduleTracker(p, now, 5*time.Second)
	if len(tr.Events) != 1 || tr.Events[0].PrevAllocID != "a1" || tr.Events[0].PrevNodeID != "n1" || tr.Events[0].Delay != 5*time.Second {
		t.Fatalf("tracker = %+v", tr.Events)
	}
	b := &Allocation{ID: "a2", ClientStatus: AllocClientStatusFailed, ModifyTime: now.UnixNano(), RescheduleTracker: tr}
	if at, _ := b.NextRescheduleTime(p, now); !at.Equal(now.Add(10 * time.Second)) {
		t.Fatalf("second reschedule at %v, want ModifyTime+10s", at)
	}
	if len(b.NextRescheduleTracker(p, now, 10*time.Second).Events) != 2 || len(a.RescheduleTracker.events()) != 0 {
		t.Fatal("tracker not carried, or the old one was modified")
	}
	unl := &ReschedulePolicy{Unlimited: true, Delay: time.Second}
	c := &Allocation{ID: "a3", RescheduleTracker: tracker(now, 1, 2, 3, 4, 5, 6, 7)}
	if n := len(c.NextRescheduleTracker(unl, now, 8).Events); n != MaxRescheduleEvents {
		t.Fatalf("unlimited tracker kept %d events, want %d", n, MaxRescheduleEvents)
	}
	running := &Allocation{ClientStatus: AllocClientStatusRunning}
	if _, ok := running.NextRescheduleTime(p, now); ok {
		t.Fatal("a running alloc is not rescheduled")
	}
}
