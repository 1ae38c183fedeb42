package drover

import "github.com/google/uuid"

// GenerateID returns a new random UUID (version 4) in its canonical form, the
// shape of every job-independent ID in drover (allocations, evaluations, nodes).
func GenerateID() string { return uuid.NewString() }

// ShortID returns the first eight characters of id, the form the CLI prints.
func ShortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
