// Package api is the Go client of drover's HTTP API, the one the drover CLI
// uses. Its shapes follow Nomad's API: a Client hands out endpoint groups
// (Jobs, Allocations, AllocFS, Evaluations, Nodes, Agent, Status) whose reads
// take QueryOptions for blocking queries (WaitIndex, WaitTime) and return a
// QueryMeta read from the X-Nomad-* headers, and whose writes return a
// WriteMeta. A non-2xx answer is an *Error; errors.Is maps its status to the
// drover error kinds (404 → drover.ErrNotFound, 400 → ErrInvalid, 409 →
// ErrConflict, ...).
package api
