package fsm

func (f *FSM) applySchedulerConfig(index uint64, body []byte) error {
	var req SchedulerConfigRequest
	if err := decode(SchedulerConfigRequestType, body, &req); err != nil {
		return err
	}
	return f.State().SetSchedulerConfig(index, &req.Config, req.CAS)
}

func (f *FSM) applyPeriodicLaunch(index uint64, body []byte) error {
	var req PeriodicLaunchRequest
	if err := decode(PeriodicLaunchRequestType, body, &req); err != nil {
		return err
	}
	return f.State().UpsertPeriodicLaunch(index, &req.Launch)
}
