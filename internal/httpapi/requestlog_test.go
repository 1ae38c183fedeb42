package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/testutil"
)

func TestRequestLog(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := &testutil.FakeRPC{NodeGetNode: func(*drover.NodeSpecificRequest, *drover.SingleNodeResponse) error {
		return drover.Errorf(drover.ErrNoLeader, "No cluster leader")
	}}
	h := New(Config{RPC: fullFake(), Logger: logger})
	serve(t, h, "GET", "/v1/jobs?prefix=w", "")
	line := buf.String()
	for _, want := range []string{"level=DEBUG", "method=GET", "path=/v1/jobs", `query="prefix=w"`, "status=200"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %q lacks %q", line, want)
		}
	}
	buf.Reset()
	serve(t, New(Config{RPC: f, Logger: logger}), "GET", "/v1/node/x", "")
	if line := buf.String(); !strings.Contains(line, "level=WARN") || !strings.Contains(line, "status=500") {
		t.Errorf("a 500 is not logged at warn: %q", line)
	}

	// A client that gave up (a cancelled blocking query) is not a server
	// error: 499, at debug.
	buf.Reset()
	gone := &testutil.FakeRPC{NodeGetNode: func(*drover.NodeSpecificRequest, *drover.SingleNodeResponse) error {
		return fmt.Errorf("node get: %w", context.Canceled)
	}}
	serve(t, New(Config{RPC: gone, Logger: logger}), "GET", "/v1/node/x?index=5", "")
	if line := buf.String(); !strings.Contains(line, "level=DEBUG") || !strings.Contains(line, "status=499") {
		t.Errorf("a request the client abandoned: %q, want a debug line with status 499", line)
	}
}
