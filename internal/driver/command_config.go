package driver

import (
	"fmt"
	"sort"
)

// CommandConfig is the config block of drivers that run a command: exec and
// raw_exec.
type CommandConfig struct {
	Command string
	Args    []string
}

// ParseCommandConfig reads a command driver's config block: command
// (required string) and args (list of strings). Unknown keys and wrong
// types are errors that name the key; driverName appears in the message
// about unknown keys.
func ParseCommandConfig(driverName string, config map[string]any) (*CommandConfig, error) {
	keys := make([]string, 0, len(config))
	for k := range config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var tc CommandConfig
	for _, k := range keys {
		v := config[k]
		switch k {
		case "command":
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("config key %q: must be a string, got %T", k, v)
			}
			tc.Command = s
		case "args":
			args, err := StringList(v)
			if err != nil {
				return nil, fmt.Errorf("config key %q: %w", k, err)
			}
			tc.Args = args
		default:
			return nil, fmt.Errorf("config key %q: unknown key (%s takes command, args)", k, driverName)
		}
	}
	if tc.Command == "" {
		return nil, fmt.Errorf("config key %q: required", "command")
	}
	return &tc, nil
}

// StringList reads a list of strings from a decoded config value (nil,
// []string or []any of strings).
func StringList(v any) ([]string, error) {
	switch l := v.(type) {
	case nil:
		return nil, nil
	case []string:
		return append([]string(nil), l...), nil
	case []any:
		out := make([]string, len(l))
		for i, e := range l {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("element %d must be a string, got %T", i, e)
			}
			out[i] = s
		}
		return out, nil
	default:
		return nil, fmt.Errorf("must be a list of strings, got %T", v)
	}
}
