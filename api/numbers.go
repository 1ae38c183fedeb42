package api

import (
	"github.com/drover-sh/drover"
)

// Answers are decoded with json.Decoder.UseNumber, so numbers inside
// interface values (a task's driver Config, the agent's config) arrive as
// json.Number; drover.NormalizeNumbers turns them into int64 when integral,
// else float64, as the server does with a submitted job, so a job read back
// equals the job registered.

// normalizeAllocs normalizes the jobs of allocs.
func normalizeAllocs(allocs ...*drover.Allocation) {
	for _, a := range allocs {
		if a != nil {
			a.Job.NormalizeConfigNumbers()
		}
	}
}
