package compat_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"

	"github.com/drover-sh/drover/internal/agent"
	"github.com/drover-sh/drover/internal/config"
	"github.com/drover-sh/drover/internal/testutil"
)

// devAgent is an in-process `drover agent -dev` (server and client, state
// in memory, raw_exec and mock drivers) on ephemeral ports, and a Nomad API
// client pointed at it.
type devAgent struct {
	agent *agent.Agent
	api   *nomad.Client
	addr  string // http://127.0.0.1:port
}

// startDevAgent starts an agent and waits until it is ready (a leader
// elected, its node registered). It is shut down at the end of the test.
func startDevAgent(t *testing.T) *devAgent {
	t.Helper()
	cfg := config.DevConfig()
	cfg.Ports.HTTP, cfg.Ports.RPC = 0, 0
	cfg.Client.AllocDir = testutil.AllocRoot(t)
	a, err := agent.New(cfg, "compat", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			t.Errorf("agent shutdown: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	addr := "http://" + a.HTTPAddr()
	c, err := nomad.NewClient(&nomad.Config{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	return &devAgent{agent: a, api: c, addr: addr}
}

// TestAgentAnswersNomadClient is the suite's first check: the agent the
// harness starts answers Nomad's client with its leader and its region.
func TestAgentAnswersNomadClient(t *testing.T) {
	d := startDevAgent(t)
	leader, err := d.api.Status().Leader()
	if err != nil {
		t.Fatal(err)
	}
	if leader != d.agent.RPCAddr() {
		t.Fatalf("Status().Leader() = %q, want the agent's RPC address %q", leader, d.agent.RPCAddr())
	}
	regions, err := d.api.Regions().List()
	if err != nil {
		t.Fatal(err)
	}
	if len(regions) != 1 || regions[0] != "global" {
		t.Fatalf("Regions().List() = %v, want [global]", regions)
	}
}
