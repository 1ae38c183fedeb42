package fsm

import "github.com/drover-sh/drover"

func (f *FSM) applySchedulerConfig(index uint64, body []byte) error {
	var req SchedulerConfigRequest
	if err := decode(SchedulerConfigRequestType, body, &req); err != nil {
		return err
	}
	st := f.State()
	if err := st.SetSchedulerConfig(index, &req.Config, req.CAS); err != nil {
		return err
	}
	if f.hooks.SchedulerConfigChanged == nil {
		return nil
	}
	cfg, err := st.SchedulerConfig(nil)
	if err != nil {
		// The write committed: a failed read back is only logged.
		f.logger.Warn("reading scheduler configuration after update", "error", err)
		return nil
	}
	f.hooks.SchedulerConfigChanged(cfg)
	return nil
}

func (f *FSM) applyPeriodicLaunch(index uint64, body []byte) error {
	var req PeriodicLaunchRequest
	if err := decode(PeriodicLaunchRequestType, body, &req); err != nil {
		return err
	}
	return f.State().UpsertPeriodicLaunch(index, &req.Launch)
}

func (f *FSM) applyPeriodicChildRegister(index uint64, body []byte) error {
	var req PeriodicChildRegisterRequest
	if err := decode(PeriodicChildRegisterRequestType, body, &req); err != nil {
		return err
	}
	if req.Job == nil {
		return drover.Errorf(drover.ErrInvalid, "fsm: periodic child register without a job")
	}
	if err := f.State().UpsertPeriodicChild(index, req.Job, req.Eval, &req.Launch); err != nil {
		return err
	}
	f.evalsUpserted(req.Eval)
	f.jobChanged(req.Job.Namespace, req.Job.ID)
	return nil
}
