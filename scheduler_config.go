package drover

// Scheduler algorithms: how the rank chain scores a node that fits.
const (
	// SchedulerAlgorithmBinpack prefers fuller nodes, leaving whole nodes
	// free for large groups (the default).
	SchedulerAlgorithmBinpack = "binpack"
	// SchedulerAlgorithmSpread prefers emptier nodes, spreading load evenly.
	SchedulerAlgorithmSpread = "spread"
)

// SchedulerConfiguration is the cluster's scheduler settings, set by the
// operator (`drover operator scheduler set-config`, PUT
// /v1/operator/scheduler/configuration) and replicated through Raft. A
// cluster that never set one uses DefaultSchedulerConfiguration.
type SchedulerConfiguration struct {
	// SchedulerAlgorithm is "binpack" or "spread".
	SchedulerAlgorithm string
	// PreemptionConfig says which job types may preempt lower-priority
	// allocations when a placement does not fit.
	PreemptionConfig PreemptionConfig
	// MemoryOversubscriptionEnabled lets tasks set memory_max above memory.
	MemoryOversubscriptionEnabled bool
	// RejectJobRegistration refuses job registrations (maintenance).
	RejectJobRegistration bool
	// PauseEvalBroker stops handing evaluations to schedulers.
	PauseEvalBroker bool

	CreateIndex uint64
	ModifyIndex uint64
}

// PreemptionConfig enables preemption per scheduler type.
type PreemptionConfig struct {
	SystemSchedulerEnabled   bool
	SysBatchSchedulerEnabled bool
	BatchSchedulerEnabled    bool
	ServiceSchedulerEnabled  bool
}

// DefaultSchedulerConfiguration is what a new cluster starts with, as
// Nomad's: bin packing, and preemption enabled for system jobs only.
func DefaultSchedulerConfiguration() *SchedulerConfiguration {
	return &SchedulerConfiguration{
		SchedulerAlgorithm: SchedulerAlgorithmBinpack,
		PreemptionConfig:   PreemptionConfig{SystemSchedulerEnabled: true},
	}
}

// EffectiveAlgorithm returns the algorithm, binpack when unset.
func (c *SchedulerConfiguration) EffectiveAlgorithm() string {
	if c == nil || c.SchedulerAlgorithm == "" {
		return SchedulerAlgorithmBinpack
	}
	return c.SchedulerAlgorithm
}

// PreemptionEnabled reports whether jobs of jobType may preempt.
func (c *SchedulerConfiguration) PreemptionEnabled(jobType string) bool {
	if c == nil {
		return jobType == JobTypeSystem
	}
	switch jobType {
	case JobTypeSystem:
		return c.PreemptionConfig.SystemSchedulerEnabled
	case JobTypeSysBatch:
		return c.PreemptionConfig.SysBatchSchedulerEnabled
	case JobTypeBatch:
		return c.PreemptionConfig.BatchSchedulerEnabled
	case JobTypeService:
		return c.PreemptionConfig.ServiceSchedulerEnabled
	}
	return false
}

// Validate checks the configuration an operator submits.
func (c *SchedulerConfiguration) Validate() error {
	switch c.SchedulerAlgorithm {
	case "", SchedulerAlgorithmBinpack, SchedulerAlgorithmSpread:
		return nil
	}
	return Errorf(ErrInvalid, "scheduler configuration: SchedulerAlgorithm %q: must be %q or %q",
		c.SchedulerAlgorithm, SchedulerAlgorithmBinpack, SchedulerAlgorithmSpread)
}
