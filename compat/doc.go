// Package compat holds the compatibility suite: tests that drive a drover
// agent through Nomad's own Go API client (github.com/hashicorp/nomad/api),
// unchanged, and assert on the values it decodes. The package has no code
// of its own; Nomad's client is a dependency of its tests only, never of
// the drover binary.
package compat
