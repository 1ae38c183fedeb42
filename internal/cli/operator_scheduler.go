package cli

import (
	"context"
	"flag"
	"fmt"
	"strconv"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/api"
)

func operatorSchedulerGetConfigCommand() *command {
	return &command{
		name:     "operator scheduler get-config",
		args:     "[options]",
		synopsis: "Show the scheduler configuration",
		help:     `Shows the cluster's scheduler configuration: the algorithm that ranks nodes (binpack or spread), which job types may preempt lower-priority allocations, and the maintenance switches. A cluster whose operator never set one shows the defaults (binpack, preemption for system jobs only) with a modify index of 0.`,
		example:  `drover operator scheduler get-config`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			asJSON := fs.Bool("json", false, "Print the configuration as JSON.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) != 0 {
					return usagef("operator scheduler get-config takes no arguments")
				}
				c, err := af.client()
				if err != nil {
					return err
				}
				cfg, err := readSchedulerConfig(c)
				if err != nil {
					return err
				}
				if *asJSON {
					return writeJSON(env.Stdout, cfg)
				}
				b := strconv.FormatBool
				writeKV(env.Stdout, []kv{
					{"Scheduler Algorithm", cfg.EffectiveAlgorithm()},
					{"Memory Oversubscription", b(cfg.MemoryOversubscriptionEnabled)},
					{"Reject Job Registration", b(cfg.RejectJobRegistration)},
					{"Pause Eval Broker", b(cfg.PauseEvalBroker)},
				})
				fmt.Fprintln(env.Stdout)
				writeKV(env.Stdout, []kv{
					{"Preemption System Scheduler", b(cfg.PreemptionConfig.SystemSchedulerEnabled)},
					{"Preemption Service Scheduler", b(cfg.PreemptionConfig.ServiceSchedulerEnabled)},
					{"Preemption Batch Scheduler", b(cfg.PreemptionConfig.BatchSchedulerEnabled)},
					{"Preemption SysBatch Scheduler", b(cfg.PreemptionConfig.SysBatchSchedulerEnabled)},
				})
				fmt.Fprintln(env.Stdout)
				writeKV(env.Stdout, []kv{{"Modify Index", strconv.FormatUint(cfg.ModifyIndex, 10)}})
				return nil
			}
		},
	}
}

func operatorSchedulerSetConfigCommand() *command {
	return &command{
		name:     "operator scheduler set-config",
		args:     "[options]",
		synopsis: "Change the scheduler configuration",
		help: `Changes the settings given as flags and keeps the others: it reads the current configuration, applies the flags, and writes the result. With -check-index the write happens only if the configuration is still at that modify index (see get-config), so two operators cannot overwrite each other's change unseen; a stale index exits 1 without changing anything.

Exit codes: 0 on success, 1 on errors, 2 on misuse.`,
		example: `drover operator scheduler set-config -scheduler-algorithm spread
drover operator scheduler set-config -preempt-service-scheduler=true -check-index 42`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			algorithm := fs.String("scheduler-algorithm", "", "How nodes are ranked: `binpack` (fill nodes up, the default) or spread (keep load even).")
			memOver := fs.Bool("memory-oversubscription", false, "Let tasks set memory_max above memory.")
			reject := fs.Bool("reject-job-registration", false, "Refuse job registrations and dispatches (maintenance).")
			pause := fs.Bool("pause-eval-broker", false, "Stop handing evaluations to the schedulers; they wait until resumed.")
			preSystem := fs.Bool("preempt-system-scheduler", false, "Let system jobs preempt lower-priority allocations.")
			preSysBatch := fs.Bool("preempt-sysbatch-scheduler", false, "Let sysbatch jobs preempt lower-priority allocations.")
			preBatch := fs.Bool("preempt-batch-scheduler", false, "Let batch jobs preempt lower-priority allocations.")
			preService := fs.Bool("preempt-service-scheduler", false, "Let service jobs preempt lower-priority allocations.")
			checkIndex := fs.String("check-index", "", "Write only if the configuration's modify `index` is still this one.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) != 0 {
					return usagef("operator scheduler set-config takes no arguments, only flags")
				}
				set := map[string]bool{}
				fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
				var cas *uint64
				if set["check-index"] {
					idx, err := strconv.ParseUint(*checkIndex, 10, 64)
					if err != nil {
						return usagef("-check-index %q: must be a non-negative integer index", *checkIndex)
					}
					cas = &idx
				}
				if set["scheduler-algorithm"] {
					probe := drover.SchedulerConfiguration{SchedulerAlgorithm: *algorithm}
					if err := probe.Validate(); err != nil || *algorithm == "" {
						return usagef("-scheduler-algorithm %q: must be %q or %q", *algorithm, drover.SchedulerAlgorithmBinpack, drover.SchedulerAlgorithmSpread)
					}
				}
				c, err := af.client()
				if err != nil {
					return err
				}
				current, err := readSchedulerConfig(c)
				if err != nil {
					return err
				}
				cfg := *current
				apply := func(name string, dst *bool, v bool) {
					if set[name] {
						*dst = v
					}
				}
				if set["scheduler-algorithm"] {
					cfg.SchedulerAlgorithm = *algorithm
				}
				apply("memory-oversubscription", &cfg.MemoryOversubscriptionEnabled, *memOver)
				apply("reject-job-registration", &cfg.RejectJobRegistration, *reject)
				apply("pause-eval-broker", &cfg.PauseEvalBroker, *pause)
				apply("preempt-system-scheduler", &cfg.PreemptionConfig.SystemSchedulerEnabled, *preSystem)
				apply("preempt-sysbatch-scheduler", &cfg.PreemptionConfig.SysBatchSchedulerEnabled, *preSysBatch)
				apply("preempt-batch-scheduler", &cfg.PreemptionConfig.BatchSchedulerEnabled, *preBatch)
				apply("preempt-service-scheduler", &cfg.PreemptionConfig.ServiceSchedulerEnabled, *preService)
				if cas != nil {
					cfg.ModifyIndex = *cas
					out, _, err := c.Operator().SchedulerCASConfiguration(&cfg)
					if err != nil {
						return fmt.Errorf("updating the scheduler configuration: %w", err)
					}
					if !out.Updated {
						return fmt.Errorf("scheduler configuration not updated: it changed since modify index %d; read it again with get-config", *cas)
					}
				} else if _, _, err := c.Operator().SchedulerSetConfiguration(&cfg); err != nil {
					return fmt.Errorf("updating the scheduler configuration: %w", err)
				}
				fmt.Fprintln(env.Stdout, "Scheduler configuration updated!")
				return nil
			}
		},
	}
}

// readSchedulerConfig reads the configuration in force.
func readSchedulerConfig(c *api.Client) (*drover.SchedulerConfiguration, error) {
	resp, _, err := c.Operator().SchedulerGetConfiguration(nil)
	if err != nil {
		return nil, fmt.Errorf("reading the scheduler configuration: %w", err)
	}
	if resp.SchedulerConfig == nil {
		return nil, fmt.Errorf("reading the scheduler configuration: the agent answered without one")
	}
	return resp.SchedulerConfig, nil
}
