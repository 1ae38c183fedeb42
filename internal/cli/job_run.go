package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	drover "github.com/drover-sh/drover"

	"github.com/drover-sh/drover/jobspec"
)

func jobRunCommand() *command {
	return &command{
		name:     "job run",
		args:     "[options] <file | ->",
		synopsis: "Register a job from a job file and watch it being scheduled",
		help: `Parses the job file (Nomad's HCL job specification), checks it locally, registers the job, then monitors the evaluation the registration created until the scheduler is done with it, printing the allocations it placed. A job file with errors is reported with file:line:col and nothing is registered. The file "-" is read from stdin. Ctrl-C stops the monitor only; the job keeps running.

Exit codes: 0 when every allocation was placed (or with -detach, when the job was registered); 1 on errors, including an invalid job file; 2 on misuse, and, as with Nomad, when the scheduler could not place every allocation (the placement failures are printed).`,
		example: `drover job run hello.nomad.hcl
drover job run -detach hello.nomad.hcl`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			detach := fs.Bool("detach", false, "Return right after registering the job, printing only the evaluation ID.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) != 1 {
					return usagef("job run takes exactly one argument: the job file")
				}
				return jobRun(ctx, env, af, args[0], *detach)
			}
		},
	}
}

func jobRun(ctx context.Context, env *Env, af *apiFlags, path string, detach bool) error {
	job, err := parseJobFile(env, path)
	var perr *jobspec.Error
	switch {
	case errors.As(err, &perr):
		fmt.Fprintf(env.Stderr, "Error parsing job file %s:\n%s\n", path, perr)
		return &exitError{code: 1}
	case err != nil:
		return err
	}
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		fmt.Fprintf(env.Stderr, "Error: job %q in %s is invalid:\n", job.ID, path)
		writeBullets(env, err)
		return &exitError{code: 1}
	}
	c, err := af.client()
	if err != nil {
		return err
	}
	resp, _, err := c.Jobs().Register(job, nil)
	if err != nil {
		return fmt.Errorf("registering job %q: %w", job.ID, err)
	}
	if resp.Warnings != "" {
		fmt.Fprintf(env.Stderr, "Job Warnings:\n%s\n\n", resp.Warnings)
	}
	if resp.EvalID == "" {
		fmt.Fprintln(env.Stdout, "Job registration successful")
		return nil
	}
	if detach {
		fmt.Fprintf(env.Stdout, "Evaluation ID: %s\n", resp.EvalID)
		return nil
	}
	return monitorEval(ctx, env, c, resp.EvalID,
		fmt.Sprintf("job %q keeps running; see it with: drover job status %s", job.ID, job.ID))
}

// parseJobFile parses the job file at path, or stdin for "-".
func parseJobFile(env *Env, path string) (*drover.Job, error) {
	if path != "-" {
		return jobspec.ParseFile(path)
	}
	src, err := io.ReadAll(io.LimitReader(env.Stdin, jobspec.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the job file from stdin: %w", err)
	}
	return jobspec.Parse("<stdin>", src)
}
