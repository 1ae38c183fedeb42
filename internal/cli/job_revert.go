package cli

import (
	"context"
	"flag"
	"fmt"
	"strconv"
)

func jobRevertCommand() *command {
	return &command{
		name:     "job revert",
		args:     "[options] <job> <version>",
		synopsis: "Register an earlier version of a job again",
		help: `Registers the given earlier version of the job (an ID, or a unique prefix of one) again, as a new version, then monitors the evaluation as job run does. "drover job history" lists the versions.

Exit codes: 0 on success; 1 on errors; 2 on misuse, and when the scheduler could not place every allocation.`,
		example: `drover job history hello
drover job revert hello 1`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			detach := fs.Bool("detach", false, "Return right after the revert, printing only the evaluation ID.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) != 2 {
					return usagef("job revert takes two arguments: the job ID and the version")
				}
				version, err := strconv.ParseUint(args[1], 10, 64)
				if err != nil {
					return usagef("the version %q is not a non-negative integer", args[1])
				}
				c, err := af.client()
				if err != nil {
					return err
				}
				id, err := resolveJob(c, args[0])
				if err != nil {
					return err
				}
				resp, _, err := c.Jobs().Revert(id, version, nil)
				if err != nil {
					return fmt.Errorf("reverting job %q to version %d: %w", id, version, err)
				}
				if resp.Warnings != "" {
					fmt.Fprintf(env.Stderr, "Job Warnings:\n%s\n\n", resp.Warnings)
				}
				if resp.EvalID == "" {
					fmt.Fprintf(env.Stdout, "Job %q reverted to version %d\n", id, version)
					return nil
				}
				if *detach {
					fmt.Fprintf(env.Stdout, "Evaluation ID: %s\n", resp.EvalID)
					return nil
				}
				return monitorEval(ctx, env, c, resp.EvalID,
					fmt.Sprintf("job %q keeps running; see it with: drover job status %s", id, id))
			}
		},
	}
}
