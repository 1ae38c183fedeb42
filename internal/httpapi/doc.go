// Package httpapi serves drover's public HTTP API on the agent's HTTP port
// (4646): Nomad's paths, query conventions and JSON shapes, so that Nomad's
// tools and drover's own api package talk to it unchanged.
//
// routes.go lists every route. Handlers are functions that take their
// dependencies (an RPC caller, the local client, a logger) and return an
// http.Handler. Reads go through the internal RPC contract of the root
// package (drover.Method*); blocking queries (?index=&wait=) are passed
// through as QueryOptions, and every read answers with the X-Nomad-Index,
// X-Nomad-KnownLeader and X-Nomad-LastContact headers. Every error is a JSON
// object {"Error": "..."} whose status comes from the error's kind
// (drover.ErrNotFound → 404, ...), never from its text.
package httpapi
