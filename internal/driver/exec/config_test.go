package exec

import (
	"reflect"
	"strings"
	"testing"
)

func TestConfigFromPlugin(t *testing.T) {
	c, err := ConfigFromPlugin(map[string]any{
		"enabled":       false,
		"chroot_env":    []any{map[string]any{"/opt/tools": "/opt/tools"}},
		"user_denylist": []any{},
		"allow_caps":    []any{"CAP_NET_BIND_SERVICE"},
		"pids_limit":    int64(128),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Disabled: true, ChrootEnv: map[string]string{"/opt/tools": "/opt/tools"},
		UserDenylist: []string{}, AllowCaps: []string{"CAP_NET_BIND_SERVICE"}, PidsLimit: 128,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("config = %+v, want %+v", c, want)
	}
	empty, err := ConfigFromPlugin(nil)
	if err != nil || empty.Disabled || empty.UserDenylist != nil {
		t.Fatalf("empty config = %+v, %v: want the defaults (enabled, root denied)", empty, err)
	}
	for _, tt := range []struct {
		m    map[string]any
		want string
	}{
		{map[string]any{"enabled": "yes"}, `"enabled": must be a bool`},
		{map[string]any{"pids_limit": int64(0)}, `"pids_limit": must be a positive`},
		{map[string]any{"pids_limit": 1.5}, `"pids_limit"`},
		{map[string]any{"chroot_env": "/bin"}, `"chroot_env": must be a map`},
		{map[string]any{"chroot_env": map[string]any{"/bin": 3}}, `"/bin": must be a string`},
		{map[string]any{"allow_caps": "CAP_KILL"}, `"allow_caps"`},
		{map[string]any{"no_such": 1}, `"no_such": unknown key`},
	} {
		if _, err := ConfigFromPlugin(tt.m); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ConfigFromPlugin(%v) = %v, want an error containing %q", tt.m, err, tt.want)
		}
	}
}
