package exec

import (
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/driver/drivertest"
	"github.com/drover-sh/drover/internal/testutil"
)

func newTestDriver(t *testing.T, cfg Config) *Driver {
	t.Helper()
	cfg.RecoverPollInterval = 10 * time.Millisecond
	d, err := New(nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestConformance(t *testing.T) {
	testutil.Require(t, testutil.Root)
	drivertest.Run(t, drivertest.Harness{
		New:                 func(t *testing.T) driver.Driver { return newTestDriver(t, Config{}) },
		ExitZero:            map[string]any{"command": "/bin/sh", "args": []any{"-c", "exit 0"}},
		ExitThree:           map[string]any{"command": "sh", "args": []string{"-c", "exit 3"}},
		RunUntilStopped:     map[string]any{"command": "sleep", "args": []any{"1000"}},
		WriteStdout:         map[string]any{"command": "/bin/sh", "args": []any{"-c", "echo hello from exec"}},
		StdoutLine:          "hello from exec",
		FailStart:           map[string]any{"command": "drover-no-such-command"},
		RecoverAfterRestart: true,
		Stats:               true,
		// tail keeps a line of /dev/zero, which never ends, in memory.
		MemoryHog: map[string]any{"command": "tail", "args": []any{"/dev/zero"}},
		Exec:      true,
	})
}
