package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/drover-sh/drover/api"
	"github.com/drover-sh/drover/jobspec"
)

func jobValidateCommand() *command {
	return &command{
		name:     "job validate",
		args:     "[options] <file | ->",
		synopsis: "Check a job file for errors without registering it",
		help: `Parses the job file and checks the job locally (every problem is reported, each with its position), then asks an agent to validate it as a registration would, which adds the servers' checks and warnings, such as a driver that no node offers. Warnings do not fail the validation. When no agent answers, the local checks alone decide, and a note on stderr says that the servers were not asked.

Exit codes: 0 when the job is valid; 1 when it is not, or on errors; 2 on misuse.`,
		example: `drover job validate web.nomad.hcl
drover job validate -var 'dc=eu-west' -var-file prod.vars.hcl web.nomad.hcl`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			jf := addJobFileFlags(fs)
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) != 1 {
					return usagef("job validate takes exactly one argument: the job file")
				}
				return jobValidate(env, af, args[0], jf.options(env))
			}
		},
	}
}

func jobValidate(env *Env, af *apiFlags, path string, opts jobspec.Options) error {
	job, err := readJob(env, path, opts, 1)
	if err != nil {
		return err
	}
	if err := validateLocally(job); err != nil {
		return validationFailed(env, strings.Split(strings.TrimSpace(err.Error()), "\n"))
	}
	c, err := af.client()
	if err != nil {
		return err
	}
	resp, _, err := c.Jobs().Validate(job)
	var ae *api.Error
	switch {
	case errors.As(err, &ae):
		return validationFailed(env, []string{ae.Message})
	case err != nil:
		fmt.Fprint(env.Stderr, wrap(fmt.Sprintf("Note: the job was only validated locally: no agent answered at %s, so the servers' checks (such as whether a node offers each driver) were not run.", af.address), ""))
		fmt.Fprintf(env.Stderr, "  (%v)\n\n", err)
	default:
		if resp.Warnings != "" {
			fmt.Fprintf(env.Stderr, "Job Warnings:\n%s\n\n", strings.TrimSpace(resp.Warnings))
		}
		problems := resp.ValidationErrors
		if len(problems) == 0 && resp.Error != "" {
			problems = strings.Split(strings.TrimSpace(resp.Error), "\n")
		}
		if len(problems) > 0 {
			return validationFailed(env, problems)
		}
	}
	fmt.Fprintln(env.Stdout, "Job validation successful")
	return nil
}

// validationFailed lists the problems on stderr and ends with exit 1.
func validationFailed(env *Env, problems []string) error {
	fmt.Fprintln(env.Stderr, "Job validation errors:")
	for _, p := range problems {
		fmt.Fprintf(env.Stderr, "  * %s\n", p)
	}
	return &exitError{code: 1}
}
