package cli

import (
	"context"
	"flag"
	"fmt"

	drover "github.com/drover-sh/drover"
)

func nodeEligibilityCommand() *command {
	return &command{
		name:     "node eligibility",
		args:     "[options] -enable|-disable <node>",
		synopsis: "Allow or forbid new allocations on a node",
		help: `Sets whether the scheduler may place new allocations on a node (an ID, a unique prefix of one, or -self for the node of the agent at -address). An ineligible node keeps running what it runs; to move its allocations away, drain it with node drain. A draining node cannot be made eligible: end its drain with node drain -disable.

Exit codes: 0 on success, 1 on errors, 2 on misuse.`,
		example: `drover node eligibility -disable 3e5f
drover node eligibility -enable -self`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			enable := fs.Bool("enable", false, "Make the node eligible for new allocations.")
			disable := fs.Bool("disable", false, "Make the node ineligible: no new allocations are placed on it.")
			self := fs.Bool("self", false, "Set the eligibility of the node of the agent at -address.")
			return func(ctx context.Context, env *Env, args []string) error {
				if *enable == *disable {
					return usagef("node eligibility needs exactly one of -enable or -disable")
				}
				c, err := af.client()
				if err != nil {
					return err
				}
				id, err := nodeArg(c, "node eligibility", args, *self)
				if err != nil {
					return err
				}
				if _, _, err := c.Nodes().ToggleEligibility(id, *enable); err != nil {
					return fmt.Errorf("setting the scheduling eligibility of node %q: %w", id, err)
				}
				state := drover.NodeIneligible
				if *enable {
					state = drover.NodeEligible
				}
				fmt.Fprintf(env.Stdout, "Node %q scheduling eligibility set: %s for scheduling\n", id, state)
				return nil
			}
		},
	}
}
