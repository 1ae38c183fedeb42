package agent

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/config"
)

// TestNewRefusesMissingHostVolume: a host volume whose directory is missing
// fails the start with an error naming the volume and the path.
func TestNewRefusesMissingHostVolume(t *testing.T) {
	cfg := devConfig()
	missing := filepath.Join(t.TempDir(), "nope")
	cfg.Client.HostVolumes = []*config.HostVolume{{Name: "certs", Path: missing}}
	a, err := New(cfg, "test", quietLogger())
	if err == nil {
		a.Shutdown(context.Background())
		t.Fatal("New succeeded with a missing host volume path")
	}
	if want := `client.host_volume "certs": path ` + missing + ` does not exist`; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not contain %q", err, want)
	}
}

// TestDevAgentRegistersHostVolumes: the node a client registers carries its
// configured host volumes, as the servers' scheduler reads them.
func TestDevAgentRegistersHostVolumes(t *testing.T) {
	cfg := devConfig()
	dir := t.TempDir()
	cfg.Client.HostVolumes = []*config.HostVolume{{Name: "certs", Path: dir, ReadOnly: true}}
	a, err := New(cfg, "test", quietLogger())
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
	var resp drover.SingleNodeResponse
	if err := a.Server().RPC(ctx, drover.MethodNodeGetNode, &drover.NodeSpecificRequest{NodeID: a.Client().NodeID()}, &resp); err != nil {
		t.Fatalf("get node: %v", err)
	}
	if resp.Node == nil {
		t.Fatal("the client's node is not registered")
	}
	if hv := resp.Node.HostVolumes["certs"]; hv == nil || hv.Path != dir || !hv.ReadOnly || hv.Name != "certs" {
		t.Fatalf("registered host volumes = %+v", resp.Node.HostVolumes)
	}
}
