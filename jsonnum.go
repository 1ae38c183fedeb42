package drover

import "encoding/json"

// NormalizeNumbers replaces every json.Number inside v (through maps and
// slices of any) by an int64 when it is integral, else a float64, and
// returns the result. JSON decoded with UseNumber then holds the same Go
// types as a job parsed from HCL or decoded from msgpack, so a driver sees
// `port = 8080` as an integer whichever way the job arrived.
func NormalizeNumbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		if f, err := t.Float64(); err == nil {
			return f
		}
		return t.String()
	case map[string]any:
		for k, e := range t {
			t[k] = NormalizeNumbers(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = NormalizeNumbers(e)
		}
		return t
	default:
		return v
	}
}

// NormalizeConfigNumbers applies NormalizeNumbers to every task's Config.
// A nil job is fine.
func (j *Job) NormalizeConfigNumbers() {
	if j == nil {
		return
	}
	for _, tg := range j.TaskGroups {
		for _, t := range tg.Tasks {
			if t != nil && t.Config != nil {
				NormalizeNumbers(t.Config)
			}
		}
	}
}
