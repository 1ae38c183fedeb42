package server

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sh/drover"
)

func testEval(id, job string, prio int) *drover.Evaluation {
	return &drover.Evaluation{ID: id, Namespace: "default", JobID: job, Priority: prio, Type: drover.JobTypeService, Status: drover.EvalStatusPending}
}

func mustDequeue(t *testing.T, b *EvalBroker) (*drover.Evaluation, string) {
	t.Helper()
	e, tok, err := b.Dequeue(context.Background(), []string{drover.JobTypeService}, 5*time.Second)
	if err != nil || e == nil {
		t.Fatalf("dequeue: %v %v", e, err)
	}
	return e, tok
}

func noDequeue(t *testing.T, b *EvalBroker) {
	t.Helper()
	e, _, err := b.Dequeue(context.Background(), []string{drover.JobTypeService}, 20*time.Millisecond)
	if err != nil || e != nil {
		t.Fatalf("dequeue got %v %v, want nothing", e, err)
	}
}

func TestBrokerPriorityOrder(t *testing.T) {
	b := NewEvalBroker(time.Minute, 3, nil)
	b.SetEnabled(true)
	b.Enqueue(testEval("low", "j1", 10))
	b.Enqueue(testEval("high", "j2", 90))
	b.Enqueue(testEval("mid-a", "j3", 50))
	b.Enqueue(testEval("mid-b", "j4", 50))
	b.Enqueue(testEval("high", "j2", 90)) // duplicate: ignored
	var got []string
	for range 4 {
		e, tok := mustDequeue(t, b)
		got = append(got, e.ID)
		if err := b.Ack(e.ID, tok); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"high", "mid-a", "mid-b", "low"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order = %v, want %v", got, want)
		}
	}
	noDequeue(t, b)
}

func TestBrokerOneOutstandingPerJob(t *testing.T) {
	b := NewEvalBroker(time.Minute, 3, nil)
	b.SetEnabled(true)
	b.Enqueue(testEval("a1", "jobA", 50))
	b.Enqueue(testEval("a2", "jobA", 50))
	b.Enqueue(testEval("b1", "jobB", 50))
	e1, tok1 := mustDequeue(t, b)
	e2, tok2 := mustDequeue(t, b)
	if e1.ID != "a1" || e2.ID != "b1" {
		t.Fatalf("got %s, %s; want a1, b1 (a2 waits behind a1)", e1.ID, e2.ID)
	}
	noDequeue(t, b)
	if st := b.Stats(); st.Waiting != 1 || st.Unacked != 2 {
		t.Fatalf("stats = %+v", st)
	}
	if err := b.Ack(e1.ID, "wrong"); !errors.Is(err, drover.ErrConflict) {
		t.Fatalf("ack with wrong token: %v", err)
	}
	if err := b.Ack(e1.ID, tok1); err != nil {
		t.Fatal(err)
	}
	e3, _ := mustDequeue(t, b)
	if e3.ID != "a2" {
		t.Fatalf("after ack got %s, want a2", e3.ID)
	}
	_ = b.Ack(e2.ID, tok2)
}

func TestBrokerNackRedeliversAndDeliveryLimit(t *testing.T) {
	failed := make(chan *drover.Evaluation, 1)
	b := NewEvalBroker(time.Minute, 2, func(e *drover.Evaluation) { failed <- e })
	b.SetEnabled(true)
	b.Enqueue(testEval("e", "j", 50))
	b.Enqueue(testEval("next", "j", 50))
	e, tok := mustDequeue(t, b)
	if err := b.Nack(e.ID, tok); err != nil {
		t.Fatal(err)
	}
	e, tok2 := mustDequeue(t, b)
	if e.ID != "e" || tok2 == tok {
		t.Fatalf("redelivery got %s (token reused: %v)", e.ID, tok2 == tok)
	}
	if b.Outstanding(e.ID, tok) || !b.Outstanding(e.ID, tok2) {
		t.Fatal("Outstanding does not follow the current token")
	}
	if err := b.Nack(e.ID, tok2); err != nil { // second delivery: limit reached
		t.Fatal(err)
	}
	select {
	case f := <-failed:
		if f.ID != "e" {
			t.Fatalf("failed %s", f.ID)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("failed callback not called at the delivery limit")
	}
	// The job's slot is free: the next eval of the job is delivered.
	n, _ := mustDequeue(t, b)
	if n.ID != "next" {
		t.Fatalf("got %s, want next", n.ID)
	}
}

func TestBrokerNackTimeout(t *testing.T) {
	b := NewEvalBroker(30*time.Millisecond, 3, nil)
	b.SetEnabled(true)
	b.Enqueue(testEval("e", "j", 50))
	e, tok := mustDequeue(t, b)
	// Not acked in time: delivered again with a new token.
	e2, tok2 := mustDequeue(t, b)
	if e2.ID != e.ID || tok2 == tok {
		t.Fatalf("timeout redelivery: %s %v", e2.ID, tok2 == tok)
	}
	if err := b.Ack(e.ID, tok); err == nil {
		t.Fatal("ack with the expired token succeeded")
	}
}

func TestBrokerDisabledDropsAndDequeueCancels(t *testing.T) {
	b := NewEvalBroker(time.Minute, 3, nil)
	b.Enqueue(testEval("dropped", "j", 50))
	b.SetEnabled(true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := b.Dequeue(ctx, []string{drover.JobTypeService}, 0)
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("dequeue after cancel: %v", err)
	}
	b.Enqueue(testEval("x", "j", 50))
	b.SetEnabled(false)
	b.SetEnabled(true)
	noDequeue(t, b)
}

func TestBlockedEvalsOnePerJob(t *testing.T) {
	b := NewBlockedEvals()
	b.SetEnabled(true)
	old := testEval("old", "j", 50)
	old.Status, old.CreateIndex = drover.EvalStatusBlocked, 5
	newer := testEval("new", "j", 50)
	newer.Status, newer.CreateIndex = drover.EvalStatusBlocked, 9
	b.Block(old)
	b.Block(newer)
	if b.Tracked() != 1 {
		t.Fatalf("tracked %d", b.Tracked())
	}
	unblock, cancel := b.Take()
	if len(unblock) != 0 || len(cancel) != 1 || cancel[0].ID != "old" {
		t.Fatalf("take: unblock %v cancel %v", unblock, cancel)
	}
	b.CapacityChanged(10, "")
	select {
	case <-b.Wake():
	default:
		t.Fatal("no wake after capacity change")
	}
	unblock, _ = b.Take()
	if len(unblock) != 1 || unblock[0].ID != "new" || b.Tracked() != 0 {
		t.Fatalf("unblock = %v", unblock)
	}
	// Blocked from a snapshot older than the last capacity change: released at once.
	late := testEval("late", "k", 50)
	late.Status, late.SnapshotIndex = drover.EvalStatusBlocked, 8
	b.Block(late)
	if unblock, _ = b.Take(); len(unblock) != 1 || unblock[0].ID != "late" {
		t.Fatalf("late blocked eval not released: %v", unblock)
	}
}

// TestBlockedSystemEvalWaitsForItsNodes: a system job's evaluation blocked
// on some nodes is released only by capacity freed on one of them (or of
// unknown place); a service job's is released by capacity anywhere.
func TestBlockedSystemEvalWaitsForItsNodes(t *testing.T) {
	b := NewBlockedEvals()
	b.SetEnabled(true)
	sys := testEval("sys", "s", 50)
	sys.Type, sys.Status, sys.SnapshotIndex = drover.JobTypeSystem, drover.EvalStatusBlocked, 5
	sys.BlockedNodes = []string{"n1", "n2"}
	svc := testEval("svc", "w", 50)
	svc.Status, svc.SnapshotIndex = drover.EvalStatusBlocked, 5
	b.Block(sys)
	b.Block(svc)

	b.CapacityChanged(10, "n3")
	unblock, _ := b.Take()
	if len(unblock) != 1 || unblock[0].ID != "svc" || b.Tracked() != 1 {
		t.Fatalf("capacity on n3 released %v (tracked %d), want only the service eval", unblock, b.Tracked())
	}
	b.CapacityChanged(11, "n2")
	if unblock, _ = b.Take(); len(unblock) != 1 || unblock[0].ID != "sys" {
		t.Fatalf("capacity on n2 released %v, want the system eval", unblock)
	}

	// Blocked from a snapshot older than a capacity change on one of its
	// nodes: released at once; older than one elsewhere only: kept.
	late := testEval("late", "s2", 50)
	late.Type, late.Status, late.SnapshotIndex = drover.JobTypeSystem, drover.EvalStatusBlocked, 10
	late.BlockedNodes = []string{"n3"}
	b.Block(late)
	if unblock, _ = b.Take(); len(unblock) != 0 || b.Tracked() != 1 {
		t.Fatalf("eval blocked on n3 after n3's change was released: %v", unblock)
	}
	b.CapacityChanged(12, "")
	if unblock, _ = b.Take(); len(unblock) != 1 || unblock[0].ID != "late" {
		t.Fatalf("capacity of unknown place released %v, want every eval", unblock)
	}
	missed := testEval("missed", "s3", 50)
	missed.Type, missed.Status, missed.SnapshotIndex = drover.JobTypeSystem, drover.EvalStatusBlocked, 10
	missed.BlockedNodes = []string{"n2"}
	b.Block(missed)
	if unblock, _ = b.Take(); len(unblock) != 1 || unblock[0].ID != "missed" {
		t.Fatalf("eval planned before n2's change at 11 was not released at once: %v", unblock)
	}
}
