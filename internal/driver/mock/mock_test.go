package mock

import (
	"testing"

	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/driver/drivertest"
)

func TestConformance(t *testing.T) {
	drivertest.Run(t, drivertest.Harness{
		New:             func(t *testing.T) driver.Driver { return New(nil) },
		ExitZero:        map[string]any{"run_for": "10ms"},
		ExitThree:       map[string]any{"run_for": "10ms", "exit_code": 3},
		RunUntilStopped: map[string]any{},
		WriteStdout:     map[string]any{"stdout_string": "hello from mock\n", "run_for": "1s"},
		StdoutLine:      "hello from mock",
		FailStart:       map[string]any{"start_error": "boom"},
		Stats:           true,
	})
}
