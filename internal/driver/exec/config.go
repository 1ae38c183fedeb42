package exec

import (
	"fmt"
	"sort"

	"github.com/drover-sh/drover/internal/driver"
)

// ConfigFromPlugin reads the agent's plugin "exec" { config { ... } }
// block, as internal/config decodes it:
//
//	enabled       = true                      # false turns the driver off
//	chroot_env    = { "/bin" = "/bin", ... }  # host path = path in the task; replaces the default
//	user_denylist = ["root"]                  # users a job may not name in `user`
//	allow_caps    = ["CAP_NET_BIND_SERVICE"]  # capabilities a root task keeps
//	pids_limit    = 4096                      # processes and threads per task
//
// Unknown keys and wrong types are errors naming the key.
func ConfigFromPlugin(m map[string]any) (Config, error) {
	var c Config
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := c.set(k, m[k]); err != nil {
			return Config{}, fmt.Errorf(`plugin "exec" config key %q: %w`, k, err)
		}
	}
	return c, nil
}

func (c *Config) set(k string, v any) error {
	switch k {
	case "enabled":
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("must be a bool, got %T", v)
		}
		c.Disabled = !b
	case "chroot_env":
		env, err := stringMap(v)
		if err != nil {
			return err
		}
		c.ChrootEnv = env
	case "user_denylist":
		l, err := driver.StringList(v)
		if err != nil {
			return err
		}
		c.UserDenylist = append([]string{}, l...) // non-nil: an empty list allows all
	case "allow_caps":
		l, err := driver.StringList(v)
		if err != nil {
			return err
		}
		c.AllowCaps = l
	case "pids_limit":
		n, ok := v.(int64)
		if !ok || n <= 0 {
			return fmt.Errorf("must be a positive whole number, got %v", v)
		}
		c.PidsLimit = n
	default:
		return fmt.Errorf("unknown key (exec takes enabled, chroot_env, user_denylist, allow_caps, pids_limit)")
	}
	return nil
}

// stringMap reads chroot_env written as an attribute (a map) or as a
// block (a list of one map).
func stringMap(v any) (map[string]string, error) {
	if l, ok := v.([]any); ok && len(l) == 1 {
		v = l[0]
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("must be a map of host path to task path, got %T", v)
	}
	out := make(map[string]string, len(m))
	for src, dst := range m {
		s, ok := dst.(string)
		if !ok {
			return nil, fmt.Errorf("%q: must be a string, got %T", src, dst)
		}
		out[src] = s
	}
	return out, nil
}
