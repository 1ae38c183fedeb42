package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"strings"
)

func jobStopCommand() *command {
	return &command{
		name:     "job stop",
		args:     "[options] <job>",
		synopsis: "Stop a job and watch its allocations being stopped",
		help: `Stops the job (an ID, or a unique prefix of one): the servers stop its allocations and the job stays, marked stopped, until it is purged or garbage-collected. Then monitors the evaluation that stops the allocations, as job run does. When the ID given is only a prefix, asks for confirmation first unless -yes is set.

Exit codes: 0 on success, 1 on errors, 2 on misuse.`,
		example: `drover job stop hello
drover job stop -purge -yes hel`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			detach := fs.Bool("detach", false, "Return right after stopping the job, printing only the evaluation ID.")
			purge := fs.Bool("purge", false, "Remove the job from the cluster's state now instead of leaving it stopped until garbage collection.")
			yes := fs.Bool("yes", false, "Do not ask for confirmation when the job was named by a prefix.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) != 1 {
					return usagef("job stop takes exactly one argument: the job ID")
				}
				c, err := af.client()
				if err != nil {
					return err
				}
				id, err := resolveJob(c, args[0])
				if err != nil {
					return err
				}
				if id != args[0] && !*yes && !confirm(env, fmt.Sprintf("Are you sure you want to stop job %q? [y/N] ", id)) {
					fmt.Fprintln(env.Stderr, "Cancelling job stop")
					return nil
				}
				resp, _, err := c.Jobs().Deregister(id, *purge)
				if err != nil {
					return fmt.Errorf("stopping job %q: %w", id, err)
				}
				if resp.EvalID == "" {
					fmt.Fprintf(env.Stdout, "Job %q stopped\n", id)
					return nil
				}
				if *detach {
					fmt.Fprintf(env.Stdout, "Evaluation ID: %s\n", resp.EvalID)
					return nil
				}
				return monitorEval(ctx, env, c, resp.EvalID,
					fmt.Sprintf("job %q is still being stopped; see it with: drover job status %s", id, id))
			}
		},
	}
}

// confirm asks question on stderr and reads the answer from stdin: true
// only for "y" or "yes".
func confirm(env *Env, question string) bool {
	fmt.Fprint(env.Stderr, question)
	line, _ := bufio.NewReader(env.Stdin).ReadString('\n')
	if !strings.HasSuffix(line, "\n") {
		fmt.Fprintln(env.Stderr) // no answer typed: end the prompt's line
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}
