package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/config"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// devConfig is a -dev configuration on ephemeral ports.
func devConfig() *config.Config {
	c := config.DevConfig()
	c.Ports.HTTP, c.Ports.RPC = 0, 0
	return c
}

func TestLockDataDir(t *testing.T) {
	dir := t.TempDir()
	first, err := lockDataDir(dir)
	if err != nil {
		t.Fatalf("first lock: %v", err)
	}
	_, err = lockDataDir(dir)
	if !errors.Is(err, ErrDataDirLocked) {
		t.Fatalf("second lock: err = %v, want ErrDataDirLocked", err)
	}
	if want := fmt.Sprintf("process %d", os.Getpid()); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), lockFileName) {
		t.Errorf("error %q should name the holder (%s) and the lock file", err, want)
	}
	first.release()
	again, err := lockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again.release()
}

func TestListenPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	_, err = listen("http", "127.0.0.1", port)
	if !errors.Is(err, ErrPortInUse) {
		t.Fatalf("err = %v, want ErrPortInUse", err)
	}
	if want := fmt.Sprintf("127.0.0.1:%d", port); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "ports { http") {
		t.Errorf("error %q should name %s and the config key", err, want)
	}
}

// TestNewReleasesOnFailure: when a later listener fails, the data dir lock
// and earlier listeners are released, so a retry can succeed.
func TestNewReleasesOnFailure(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.BindAddr = "127.0.0.1"
	cfg.Server.Enabled, cfg.Client.Enabled = true, true
	cfg.Ports.HTTP = 0
	cfg.Ports.RPC = busy.Addr().(*net.TCPAddr).Port
	if _, err := New(cfg, "test", quietLogger()); !errors.Is(err, ErrPortInUse) {
		t.Fatalf("New: err = %v, want ErrPortInUse", err)
	}
	l, err := lockDataDir(cfg.DataDir)
	if err != nil {
		t.Fatalf("data dir still locked after a failed start: %v", err)
	}
	l.release()
}

// TestDevAgentRunsJob drives an in-process -dev agent through its RPC: a
// mock-driver batch job runs to completion.
func TestDevAgentRunsJob(t *testing.T) {
	a, err := New(devConfig(), "test", quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a.Start()
	defer a.Shutdown(context.Background())
	if err := a.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	job := &drover.Job{ID: "batch", Type: drover.JobTypeBatch, TaskGroups: []*drover.TaskGroup{{
		Name: "g", Count: 2,
		Tasks: []*drover.Task{{Name: "t", Driver: "mock", Config: map[string]any{"run_for": "10ms"}}},
	}}}
	var reg drover.JobRegisterResponse
	if err := a.Server().RPC(ctx, drover.MethodJobRegister, &drover.JobRegisterRequest{Job: job}, &reg); err != nil {
		t.Fatalf("register: %v", err)
	}
	var index uint64
	for {
		var resp drover.JobAllocationsResponse
		req := &drover.JobSpecificRequest{JobID: "batch", QueryOptions: drover.QueryOptions{MinQueryIndex: index, MaxQueryTime: 5 * time.Second}}
		if err := a.Server().RPC(ctx, drover.MethodJobAllocations, req, &resp); err != nil {
			t.Fatalf("allocations: %v", err)
		}
		index = resp.Index
		complete := 0
		for _, al := range resp.Allocations {
			if al.ClientStatus == drover.AllocClientStatusComplete {
				complete++
			}
		}
		if complete == 2 {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("allocations never completed: %+v", resp.Allocations)
		}
	}
}

// BenchmarkDevAgentReady measures `drover agent -dev` from nothing to ready:
// a Raft leader elected and the client's node registered and ready.
func BenchmarkDevAgentReady(b *testing.B) {
	for b.Loop() {
		a, err := New(devConfig(), "bench", quietLogger())
		if err != nil {
			b.Fatal(err)
		}
		a.Start()
		if err := a.WaitReady(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := a.Shutdown(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// TestShutdownEndsOpenStreams: a blocking query that would wait five
// minutes does not hold the agent's shutdown until its deadline: after
// the grace, open requests are ended and Shutdown succeeds.
func TestShutdownEndsOpenStreams(t *testing.T) {
	a, err := New(devConfig(), "test", quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := a.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + a.HTTPAddr() + "/v1/jobs")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	index := resp.Header.Get("X-Nomad-Index")
	done := make(chan error, 1)
	go func() {
		resp, err := http.Get("http://" + a.HTTPAddr() + "/v1/jobs?wait=5m&index=" + index)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		done <- err
	}()
	// The query is open once the server has it; a request's arrival has no
	// event to wait for, so give it a moment before shutting down.
	time.Sleep(200 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("the blocking query returned before the shutdown: %v", err)
	default:
	}
	if err := a.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with an open blocking query: %v", err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the blocking query is still open after Shutdown")
	}
}
