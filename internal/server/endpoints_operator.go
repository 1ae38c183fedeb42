package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/fsm"
	"github.com/drover-sh/drover/internal/state"
)

// operatorSchedulerGetConfiguration reads the scheduler configuration
// (blocking on its table).
func (s *Server) operatorSchedulerGetConfiguration(ctx context.Context, args *drover.GenericRequest, reply *drover.SchedulerConfigurationResponse) error {
	return s.blockingQuery(ctx, &args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		cfg, err := st.SchedulerConfig(ws)
		if err != nil {
			return 0, err
		}
		reply.SchedulerConfig = cfg
		return tableIndex(st, state.TableSchedulerConfig)
	})
}

// operatorSchedulerSetConfiguration validates and writes the scheduler
// configuration. A check-and-set whose index no longer matches is not an
// error: the reply says Updated false, as Nomad's does.
func (s *Server) operatorSchedulerSetConfiguration(ctx context.Context, args *drover.SchedulerSetConfigRequest, reply *drover.SchedulerSetConfigurationResponse) error {
	if done, err := s.forward(ctx, drover.MethodOperatorSchedulerSetConfiguration, args, reply); done {
		return err
	}
	if err := args.Config.Validate(); err != nil {
		return err
	}
	index, err := s.raftApply(ctx, fsm.SchedulerConfigRequestType, &fsm.SchedulerConfigRequest{Config: args.Config, CAS: args.CAS})
	switch {
	case args.CAS && errors.Is(err, drover.ErrConflict):
		reply.Updated = false
		reply.Index, _ = s.State().Index(state.TableSchedulerConfig)
		return nil
	case err != nil:
		return fmt.Errorf("set scheduler configuration: %w", err)
	}
	// The broker learns PauseEvalBroker from the FSM hook, in log order:
	// setting it here from args would let two concurrent writes leave it
	// as the older one asked.
	reply.Updated, reply.Index = true, index
	return nil
}

// registrationAllowed refuses job registrations (and dispatches) while the
// scheduler configuration's RejectJobRegistration is set: an operator's
// maintenance switch. Stopping jobs stays allowed.
func (s *Server) registrationAllowed() error {
	cfg, err := s.State().SchedulerConfig(nil)
	if err != nil {
		return fmt.Errorf("read scheduler configuration: %w", err)
	}
	if cfg.RejectJobRegistration {
		return drover.Errorf(drover.ErrPermission, "job registration and dispatch are disabled by the scheduler configuration (RejectJobRegistration)")
	}
	return nil
}
