package feasible

import (
	drover "github.com/drover-sh/drover"
)

// SetAlgorithm sets the scheduler algorithm the context's stacks score
// resources by: drover.SchedulerAlgorithmSpread prefers emptier nodes, and
// anything else, "" included, is bin packing, the default (the operator's
// configuration is validated when it is written). Call it before NewStack.
func (c *EvalContext) SetAlgorithm(name string) {
	if name == drover.SchedulerAlgorithmSpread {
		c.algorithm = drover.SchedulerAlgorithmSpread
		return
	}
	c.algorithm = drover.SchedulerAlgorithmBinpack
}

// Algorithm returns the scheduler algorithm the context scores by.
func (c *EvalContext) Algorithm() string { return c.algorithm }
