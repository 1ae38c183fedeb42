package raftstore

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

func TestHCLogToSlog(t *testing.T) {
	var buf bytes.Buffer
	l := newHCLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	l.Named("raft").With("peer", "s2").Warn("heartbeat failed", "err", "timeout")
	l.Debug("hidden")
	l.StandardLogger(nil).Print("from std log")
	out := buf.String()
	for _, want := range []string{"level=WARN", `msg="heartbeat failed"`, "subsystem=raft", "peer=s2", "err=timeout", `msg="from std log"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hidden") {
		t.Error("a debug message passed an info-level handler")
	}
	if l.IsDebug() || !l.IsInfo() || l.GetLevel() != hclog.Info {
		t.Errorf("levels: debug %v info %v level %v", l.IsDebug(), l.IsInfo(), l.GetLevel())
	}
}

// TestHCLogFormats: hclog.Fmt values are rendered, not printed as slices.
func TestHCLogFormats(t *testing.T) {
	var buf bytes.Buffer
	l := newHCLogger(slog.New(slog.NewTextHandler(&buf, nil)))
	l.Info("initial configuration", "servers", hclog.Fmt("%+v", []int{1, 2}), "index", 1)
	if out := buf.String(); !strings.Contains(out, `servers="[1 2]"`) || strings.Contains(out, "%+v") {
		t.Errorf("output: %s", out)
	}
}
