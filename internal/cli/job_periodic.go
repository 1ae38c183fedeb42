package cli

import (
	"context"
	"flag"
	"fmt"
)

func jobPeriodicForceCommand() *command {
	return &command{
		name:     "job periodic force",
		args:     "[options] <periodic job>",
		synopsis: "Launch a periodic job's child now",
		help: `Launches a child of a periodic job (an ID, or a unique prefix of one) now, whatever its schedule, and even when prohibit_overlap would hold a scheduled launch back. Then monitors the evaluation that schedules the child, as job run does. The schedule goes on from this launch.

Exit codes: 0 when every allocation was placed (or with -detach, when the child was launched); 1 on errors, including a job that is not periodic; 2 on misuse, and when the scheduler could not place every allocation.`,
		example: `drover job periodic force nightly-backup
drover job periodic force -detach nightly`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			detach := fs.Bool("detach", false, "Return right after the launch, printing only the evaluation ID.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) != 1 {
					return usagef("job periodic force takes exactly one argument: the job ID")
				}
				c, err := af.client()
				if err != nil {
					return err
				}
				id, err := resolveJob(c, args[0])
				if err != nil {
					return err
				}
				resp, _, err := c.Jobs().PeriodicForce(id)
				if err != nil {
					return fmt.Errorf("forcing a launch of job %q: %w", id, err)
				}
				if *detach {
					fmt.Fprintln(env.Stdout, "Force periodic successful")
					fmt.Fprintf(env.Stdout, "Evaluation ID: %s\n", resp.EvalID)
					return nil
				}
				return monitorEval(ctx, env, c, resp.EvalID,
					fmt.Sprintf("the child of job %q keeps running; see it with: drover job status %s", id, id))
			}
		},
	}
}
