package mock

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// taskConfig is a mock task's config block; see the package doc for keys.
type taskConfig struct {
	RunFor               time.Duration
	ExitCode             int
	ExitSignal           int
	ExitErrMsg           string
	StartError           string
	StartErrRecoverable  bool
	StartBlockFor        time.Duration
	KillAfter            time.Duration
	StdoutString         string
	StdoutRepeat         int
	StdoutRepeatDuration time.Duration
	StatsCPUPercent      float64
	StatsMemoryMB        int
}

// field decodes one config key into tc.
type field func(tc *taskConfig, v any) error

var fields = map[string]field{
	"run_for":                 durationField(func(tc *taskConfig) *time.Duration { return &tc.RunFor }),
	"exit_code":               intField(func(tc *taskConfig) *int { return &tc.ExitCode }),
	"exit_signal":             intField(func(tc *taskConfig) *int { return &tc.ExitSignal }),
	"exit_err_msg":            stringField(func(tc *taskConfig) *string { return &tc.ExitErrMsg }),
	"start_error":             stringField(func(tc *taskConfig) *string { return &tc.StartError }),
	"start_error_recoverable": boolField(func(tc *taskConfig) *bool { return &tc.StartErrRecoverable }),
	"start_block_for":         durationField(func(tc *taskConfig) *time.Duration { return &tc.StartBlockFor }),
	"kill_after":              durationField(func(tc *taskConfig) *time.Duration { return &tc.KillAfter }),
	"stdout_string":           stringField(func(tc *taskConfig) *string { return &tc.StdoutString }),
	"stdout_repeat":           intField(func(tc *taskConfig) *int { return &tc.StdoutRepeat }),
	"stdout_repeat_duration":  durationField(func(tc *taskConfig) *time.Duration { return &tc.StdoutRepeatDuration }),
	"stats_cpu_percent":       floatField(func(tc *taskConfig) *float64 { return &tc.StatsCPUPercent }),
	"stats_memory_mb":         intField(func(tc *taskConfig) *int { return &tc.StatsMemoryMB }),
}

// parseConfig decodes a config block; errors name the offending key.
func parseConfig(config map[string]any) (*taskConfig, error) {
	keys := make([]string, 0, len(config))
	for k := range config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var tc taskConfig
	for _, k := range keys {
		f, ok := fields[k]
		if !ok {
			return nil, fmt.Errorf("config key %q: unknown key", k)
		}
		if err := f(&tc, config[k]); err != nil {
			return nil, fmt.Errorf("config key %q: %w", k, err)
		}
	}
	if tc.StdoutRepeat < 0 {
		return nil, fmt.Errorf("config key %q: must not be negative", "stdout_repeat")
	}
	if tc.StatsCPUPercent < 0 {
		return nil, fmt.Errorf("config key %q: must not be negative", "stats_cpu_percent")
	}
	if tc.StatsMemoryMB < 0 {
		return nil, fmt.Errorf("config key %q: must not be negative", "stats_memory_mb")
	}
	return &tc, nil
}

// floatField accepts any Go number type.
func floatField(get func(*taskConfig) *float64) field {
	return func(tc *taskConfig, v any) error {
		var f float64
		switch x := v.(type) {
		case int:
			f = float64(x)
		case int32:
			f = float64(x)
		case int64:
			f = float64(x)
		case uint64:
			f = float64(x)
		case float64:
			f = x
		default:
			return fmt.Errorf("must be a number, got %T", v)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("must be a finite number, got %v", f)
		}
		*get(tc) = f
		return nil
	}
}

func stringField(get func(*taskConfig) *string) field {
	return func(tc *taskConfig, v any) error {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("must be a string, got %T", v)
		}
		*get(tc) = s
		return nil
	}
}

func boolField(get func(*taskConfig) *bool) field {
	return func(tc *taskConfig, v any) error {
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("must be a bool, got %T", v)
		}
		*get(tc) = b
		return nil
	}
}

// intField accepts any Go integer type, and floats with no fraction (JSON
// and HCL numbers decode as float64 or int64).
func intField(get func(*taskConfig) *int) field {
	return func(tc *taskConfig, v any) error {
		var n int64
		switch x := v.(type) {
		case int:
			n = int64(x)
		case int32:
			n = int64(x)
		case int64:
			n = x
		case uint64:
			if x > math.MaxInt32 {
				return fmt.Errorf("%d is too large", x)
			}
			n = int64(x)
		case float64:
			if x != math.Trunc(x) || math.Abs(x) > math.MaxInt32 {
				return fmt.Errorf("must be an integer, got %v", x)
			}
			n = int64(x)
		default:
			return fmt.Errorf("must be an integer, got %T", v)
		}
		if n > math.MaxInt32 || n < math.MinInt32 {
			return fmt.Errorf("%d is out of range", n)
		}
		*get(tc) = int(n)
		return nil
	}
}

// durationField accepts a duration string ("30s", "1m", "0").
func durationField(get func(*taskConfig) *time.Duration) field {
	return func(tc *taskConfig, v any) error {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("must be a duration string like \"30s\", got %T", v)
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("bad duration: %w", err)
		}
		if d < 0 {
			return fmt.Errorf("duration %s must not be negative", s)
		}
		*get(tc) = d
		return nil
	}
}
