package server

import (
	"testing"
	"time"
)

func TestBrokerDelayedEvalDeliveredAtItsTime(t *testing.T) {
	b := NewEvalBroker(time.Minute, 3, nil)
	b.SetEnabled(true)
	start := time.Now()
	late := testEval("late", "j1", 50)
	late.WaitUntil = start.Add(300 * time.Millisecond)
	soon := testEval("soon", "j2", 50)
	soon.WaitUntil = start.Add(150 * time.Millisecond)
	now := testEval("now", "j3", 50)
	b.Enqueue(late)
	b.Enqueue(soon)
	b.Enqueue(now)
	b.Enqueue(late) // duplicate: ignored
	if st := b.Stats(); st.Delayed != 2 || st.Ready != 1 {
		t.Fatalf("stats = %+v, want 2 delayed, 1 ready", st)
	}
	if e, _ := mustDequeue(t, b); e.ID != "now" {
		t.Fatalf("got %s first, want the undelayed eval", e.ID)
	}
	for _, want := range []*struct {
		id string
		at time.Time
	}{{"soon", soon.WaitUntil}, {"late", late.WaitUntil}} {
		e, tok := mustDequeue(t, b)
		if e.ID != want.id {
			t.Fatalf("got %s, want %s", e.ID, want.id)
		}
		if got := time.Now(); got.Before(want.at) {
			t.Fatalf("%s delivered %v before its WaitUntil", e.ID, want.at.Sub(got))
		}
		if err := b.Ack(e.ID, tok); err != nil {
			t.Fatal(err)
		}
	}
	noDequeue(t, b)
}

func TestBrokerDelayedEvalsDroppedWhenDisabled(t *testing.T) {
	b := NewEvalBroker(time.Minute, 3, nil)
	b.SetEnabled(true)
	e := testEval("later", "j1", 50)
	e.WaitUntil = time.Now().Add(50 * time.Millisecond)
	b.Enqueue(e)
	b.SetEnabled(false)
	if st := b.Stats(); st.Delayed != 0 {
		t.Fatalf("%d delayed after disable, want 0", st.Delayed)
	}
	b.SetEnabled(true)
	noDequeue(t, b) // 20ms
	// Leadership regained: the server re-enqueues pending evals from state.
	b.Enqueue(e)
	if got, _ := mustDequeue(t, b); got.ID != "later" || time.Now().Before(e.WaitUntil) {
		t.Fatalf("got %s at the wrong time", got.ID)
	}
}
