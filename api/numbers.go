package api

import (
	"encoding/json"

	"github.com/drover-sh/drover"
)

// Answers are decoded with json.Decoder.UseNumber, so numbers inside
// interface values (a task's driver Config, the agent's config) arrive as
// json.Number; these helpers turn them into int64 when integral, else
// float64, the same as the server does with a submitted job, so a job read
// back equals the job registered.

// normalizeNumbers replaces every json.Number inside v (maps and slices of
// any) and returns the result.
func normalizeNumbers(v any) any {
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
			t[k] = normalizeNumbers(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = normalizeNumbers(e)
		}
		return t
	default:
		return v
	}
}

// normalizeJob normalizes the numbers of every task's Config of job (nil ok).
func normalizeJob(job *drover.Job) {
	if job == nil {
		return
	}
	for _, tg := range job.TaskGroups {
		for _, t := range tg.Tasks {
			if t != nil && t.Config != nil {
				normalizeNumbers(t.Config)
			}
		}
	}
}

// normalizeAllocs normalizes the jobs of allocs.
func normalizeAllocs(allocs ...*drover.Allocation) {
	for _, a := range allocs {
		if a != nil {
			normalizeJob(a.Job)
		}
	}
}
