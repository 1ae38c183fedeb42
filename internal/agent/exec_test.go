package agent

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/config"
	"github.com/drover-sh/drover/internal/testutil"
)

// TestBadExecConfig: a bad plugin "exec" config stops the agent with an
// error naming the key.
func TestBadExecConfig(t *testing.T) {
	cfg := devConfig()
	cfg.Plugins = append(cfg.Plugins, &config.Plugin{Name: "exec", Config: map[string]any{"pids_limit": "many"}})
	a, err := New(cfg, "test", quietLogger())
	if err == nil {
		a.Shutdown(context.Background())
		t.Fatal("New accepted pids_limit = \"many\"")
	}
	if !strings.Contains(err.Error(), "pids_limit") {
		t.Fatalf("New: %v, want an error naming pids_limit", err)
	}
}

// TestDevAgentRunsExecJob: an exec task runs isolated through the whole
// client path (alloc dir, env, driver) to completion, and a task that
// fails inside its isolation fails the allocation.
func TestDevAgentRunsExecJob(t *testing.T) {
	testutil.Require(t, testutil.Root)
	a, err := New(devConfig(), "test", quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a.Start()
	defer a.Shutdown(context.Background())
	if err := a.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		job, script, want string
	}{
		// Runs as nobody, sees its init as PID 1, writes its own dirs.
		{"exec-ok", `test "$(id -u)" = 65534 && grep -q drover-exec-init /proc/1/cmdline && echo x > /local/f && echo y > /alloc/data/f`, drover.AllocClientStatusComplete},
		{"exec-usr", `touch /usr/drover-agent-test`, drover.AllocClientStatusFailed},
	} {
		job := &drover.Job{ID: tt.job, Type: drover.JobTypeBatch, TaskGroups: []*drover.TaskGroup{{
			Name: "g", Count: 1,
			RestartPolicy:    &drover.RestartPolicy{Attempts: 0, Mode: "fail"},
			ReschedulePolicy: &drover.ReschedulePolicy{Attempts: 0},
			Tasks: []*drover.Task{{Name: "t", Driver: "exec", Config: map[string]any{
				"command": "/bin/sh", "args": []any{"-c", tt.script}}}},
		}}}
		var reg drover.JobRegisterResponse
		if err := a.Server().RPC(ctx, drover.MethodJobRegister, &drover.JobRegisterRequest{Job: job}, &reg); err != nil {
			t.Fatalf("register %s: %v", tt.job, err)
		}
		if got := waitAllocStatus(ctx, t, a, tt.job); got != tt.want {
			t.Errorf("job %s: alloc %s, want %s", tt.job, got, tt.want)
		}
	}
}

// waitAllocStatus waits for the job's one allocation to reach a terminal
// client status and returns it.
func waitAllocStatus(ctx context.Context, t *testing.T, a *Agent, jobID string) string {
	t.Helper()
	var index uint64
	for {
		var resp drover.JobAllocationsResponse
		req := &drover.JobSpecificRequest{JobID: jobID, QueryOptions: drover.QueryOptions{MinQueryIndex: index, MaxQueryTime: 5 * time.Second}}
		if err := a.Server().RPC(ctx, drover.MethodJobAllocations, req, &resp); err != nil {
			t.Fatalf("allocations: %v", err)
		}
		index = resp.Index
		for _, al := range resp.Allocations {
			switch al.ClientStatus {
			case drover.AllocClientStatusComplete, drover.AllocClientStatusFailed:
				return al.ClientStatus
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("allocations of %s never finished: %+v", jobID, resp.Allocations)
		}
	}
}
