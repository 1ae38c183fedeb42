package agent

import (
	"context"
	"testing"
	"time"

	drover "github.com/drover-sh/drover"
)

// TestDevAgentReschedulesFailedAlloc runs a mock-driver task that exits 1
// with no restarts: its client reports the allocation failed, and the
// servers replace it once the reschedule delay (5s, the minimum a job may
// ask for) has passed since the failure.
func TestDevAgentReschedulesFailedAlloc(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: waits for a 5s reschedule delay (CI runs it)")
	}
	a, err := New(devConfig(), "test", quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	a.Start()
	defer a.Shutdown(context.Background())
	if err := a.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	const delay = 5 * time.Second
	job := &drover.Job{ID: "flaky", Type: drover.JobTypeService, TaskGroups: []*drover.TaskGroup{{
		Name: "g", Count: 1,
		RestartPolicy:    &drover.RestartPolicy{Attempts: 0, Interval: time.Minute, Delay: time.Second, Mode: drover.RestartModeFail},
		ReschedulePolicy: &drover.ReschedulePolicy{Attempts: 1, Interval: time.Hour, Delay: delay, DelayFunction: drover.DelayFunctionConstant},
		Tasks:            []*drover.Task{{Name: "t", Driver: "mock", Config: map[string]any{"run_for": "10ms", "exit_code": 1}}},
	}}}
	var reg drover.JobRegisterResponse
	if err := a.Server().RPC(ctx, drover.MethodJobRegister, &drover.JobRegisterRequest{Job: job}, &reg); err != nil {
		t.Fatalf("register: %v", err)
	}
	var index uint64
	for {
		var resp drover.JobAllocationsResponse
		req := &drover.JobSpecificRequest{JobID: "flaky", All: true, QueryOptions: drover.QueryOptions{MinQueryIndex: index, MaxQueryTime: 5 * time.Second}}
		if err := a.Server().RPC(ctx, drover.MethodJobAllocations, req, &resp); err != nil {
			t.Fatalf("allocations: %v", err)
		}
		index = resp.Index
		byID := map[string]*drover.AllocListStub{}
		for _, al := range resp.Allocations {
			byID[al.ID] = al
		}
		for _, al := range resp.Allocations {
			var full drover.SingleAllocResponse
			if err := a.Server().RPC(ctx, drover.MethodAllocGetAlloc, &drover.AllocSpecificRequest{AllocID: al.ID}, &full); err != nil {
				t.Fatalf("alloc: %v", err)
			}
			prev := byID[full.Alloc.PreviousAllocation]
			if full.Alloc.PreviousAllocation == "" || prev == nil {
				continue
			}
			var old drover.SingleAllocResponse
			if err := a.Server().RPC(ctx, drover.MethodAllocGetAlloc, &drover.AllocSpecificRequest{AllocID: prev.ID}, &old); err != nil {
				t.Fatalf("alloc: %v", err)
			}
			if old.Alloc.ClientStatus != drover.AllocClientStatusFailed {
				t.Fatalf("replaced alloc is %q, want failed", old.Alloc.ClientStatus)
			}
			// The failure is the task's finish, as the scheduler reckons it.
			ts := old.Alloc.TaskStates["t"]
			if ts == nil || ts.FinishedAt.IsZero() {
				t.Fatalf("failed alloc has no finished task state: %+v", old.Alloc.TaskStates)
			}
			if waited := time.Unix(0, full.Alloc.CreateTime).Sub(ts.FinishedAt); waited < delay {
				t.Fatalf("replaced %v after the failure, want about %v", waited, delay)
			}
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("failed alloc never replaced: %+v", resp.Allocations)
		}
	}
}
