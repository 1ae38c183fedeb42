package driver

import (
	"context"
	"testing"
	"time"
)

func TestExitState(t *testing.T) {
	var e ExitState
	if e.Exited() || e.Result() != nil || e.Status("id", "n", time.Time{}).State != TaskStateRunning {
		t.Fatal("a fresh ExitState must read as running")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := e.Wait(ctx)
	cancel()
	if _, ok := <-cancelled; ok {
		t.Fatal("Wait yielded a value after its ctx ended without an exit")
	}
	waiting := e.Wait(context.Background())
	e.Finish(&ExitResult{ExitCode: 3})
	e.Finish(&ExitResult{ExitCode: 9}) // only the first counts
	if r := <-waiting; r == nil || r.ExitCode != 3 {
		t.Fatalf("Wait yielded %v, want exit code 3", r)
	}
	st := e.Status("id", "n", time.Time{})
	if !e.Exited() || st.State != TaskStateExited || st.ExitResult.ExitCode != 3 || st.CompletedAt.IsZero() {
		t.Fatalf("status after Finish: %+v", st)
	}
}
