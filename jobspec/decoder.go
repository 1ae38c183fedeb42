package jobspec

import "github.com/hashicorp/hcl/v2"

// decoder carries the state of one Parse: the source (to copy runtime
// interpolations out verbatim), the evaluation context for parse-time
// values, and the diagnostics gathered so far.
type decoder struct {
	src   []byte
	ctx   *hcl.EvalContext
	diags hcl.Diagnostics
	// parseTime lists the variable roots resolved while parsing: "var" and
	// "local", whose values the language pass (variables.go) puts in ctx
	// before the job is decoded. Every other root is a runtime variable
	// (attr, node, meta, env, NOMAD_*, ...) whose interpolation is kept as
	// "${...}" text for the client.
	parseTime map[string]bool
	// restartSet records which restart attributes a block set, so that a
	// partial block can be completed from its parent's policy.
	restartSet map[any]map[string]bool
	// names records, per parent (root, job, group, network), the names of
	// its children and where each was defined, to report duplicates.
	names map[any]map[string]hcl.Range

	// blockState holds what block decoders track across blocks.
	blockState
}
