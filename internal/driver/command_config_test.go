package driver

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseCommandConfig(t *testing.T) {
	got, err := ParseCommandConfig("exec", map[string]any{"command": "/bin/sh", "args": []any{"-c", "true"}})
	if err != nil || got.Command != "/bin/sh" || !reflect.DeepEqual(got.Args, []string{"-c", "true"}) {
		t.Fatalf("got %+v, %v", got, err)
	}
	for _, tt := range []struct {
		config map[string]any
		want   string
	}{
		{map[string]any{}, `config key "command": required`},
		{map[string]any{"command": 5}, `config key "command": must be a string, got int`},
		{map[string]any{"command": "x", "args": "-c"}, `config key "args": must be a list of strings, got string`},
		{map[string]any{"command": "x", "args": []any{"a", 1}}, `config key "args": element 1 must be a string, got int`},
		{map[string]any{"command": "x", "image": "y"}, `config key "image": unknown key (raw_exec takes command, args)`},
	} {
		_, err := ParseCommandConfig("raw_exec", tt.config)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want %q", tt.config, err, tt.want)
		}
	}
}
