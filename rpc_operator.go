package drover

// SchedulerConfigurationResponse is the reply of
// MethodOperatorSchedulerGetConfiguration: the configuration in force (the
// default, with zero indexes, when the operator never set one).
type SchedulerConfigurationResponse struct {
	SchedulerConfig *SchedulerConfiguration
	QueryMeta
}

// SchedulerSetConfigRequest sets the scheduler configuration. With CAS it
// is applied only if the stored configuration's ModifyIndex equals
// Config.ModifyIndex (0 when none was ever set).
type SchedulerSetConfigRequest struct {
	Config SchedulerConfiguration
	CAS    bool
	WriteRequest
}

// SchedulerSetConfigurationResponse says whether the configuration was
// written: false only for a check-and-set whose index did not match.
type SchedulerSetConfigurationResponse struct {
	Updated bool
	WriteMeta
}
