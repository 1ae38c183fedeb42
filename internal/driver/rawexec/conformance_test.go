package rawexec

import (
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/driver/drivertest"
)

func newTestDriver(t *testing.T) *Driver {
	return New(nil, Config{Enabled: true, RecoverPollInterval: 10 * time.Millisecond})
}

func TestConformance(t *testing.T) {
	drivertest.Run(t, drivertest.Harness{
		New:                 func(t *testing.T) driver.Driver { return newTestDriver(t) },
		ExitZero:            map[string]any{"command": "/bin/sh", "args": []any{"-c", "exit 0"}},
		ExitThree:           map[string]any{"command": "sh", "args": []string{"-c", "exit 3"}},
		RunUntilStopped:     map[string]any{"command": "sleep", "args": []any{"1000"}},
		WriteStdout:         map[string]any{"command": "/bin/sh", "args": []any{"-c", "echo hello from raw_exec"}},
		StdoutLine:          "hello from raw_exec",
		FailStart:           map[string]any{"command": "drover-no-such-command"},
		RecoverAfterRestart: true,
		Stats:               true,
		Exec:                true,
	})
}
