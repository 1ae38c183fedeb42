package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/api"
	"github.com/drover-sh/drover/jobspec"
)

func jobRunCommand() *command {
	return &command{
		name:     "job run",
		args:     "[options] <file | ->",
		synopsis: "Register a job from a job file and watch it being scheduled",
		help: `Parses the job file (Nomad's HCL job specification, or Nomad's API JSON {"Job": {...}} in a *.json file), checks it locally, registers the job, then monitors the evaluation the registration created until the scheduler is done with it, printing the allocations it placed. A job file with errors is reported with file:line:col and nothing is registered. The file "-" is read from stdin. Ctrl-C stops the monitor only; the job keeps running. With -output, the job is printed as the API JSON that would be sent, and nothing is registered.

With -check-index N the job is registered only if its job modify index on the servers is still N (0: only if the job does not exist yet), the index that "drover job plan" prints; otherwise nothing changes and the command exits 1.

Exit codes: 0 when every allocation was placed (or with -detach, when the job was registered); 1 on errors, including an invalid job file and a -check-index conflict; 2 on misuse, and, as with Nomad, when the scheduler could not place every allocation (the placement failures are printed).`,
		example: `drover job run hello.nomad.hcl
drover job run -detach -var 'image=redis:7' web.nomad.hcl
drover job run -check-index 42 web.nomad.hcl
drover job run -output web.nomad.hcl > web.json`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			jf := addJobFileFlags(fs)
			var o jobRunOptions
			fs.BoolVar(&o.detach, "detach", false, "Return right after registering the job, printing only the evaluation ID.")
			fs.Var(&o.checkIndex, "check-index", "Register the job only if its job modify index on the servers is `index` (0: only if the job does not exist yet).")
			fs.BoolVar(&o.output, "output", false, "Print the job as the API JSON that would be sent ({\"Job\": {...}}) and register nothing; no agent is contacted.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) != 1 {
					return usagef("job run takes exactly one argument: the job file")
				}
				o.parse = jf.options(env)
				return jobRun(ctx, env, af, args[0], o)
			}
		},
	}
}

// jobRunOptions are job run's flags.
type jobRunOptions struct {
	detach     bool
	output     bool // print the job's API JSON instead of registering it
	checkIndex optionalUint
	parse      jobspec.Options
}

func jobRun(ctx context.Context, env *Env, af *apiFlags, path string, o jobRunOptions) error {
	job, err := loadJob(env, path, o.parse, 1)
	if err != nil {
		return err
	}
	if o.output {
		return writeJSON(env.Stdout, struct{ Job *drover.Job }{job})
	}
	c, err := af.client()
	if err != nil {
		return err
	}
	var opts *api.RegisterOptions
	if o.checkIndex.set {
		opts = &api.RegisterOptions{EnforceIndex: true, ModifyIndex: o.checkIndex.v}
	}
	resp, _, err := c.Jobs().Register(job, opts)
	if o.checkIndex.set && errors.Is(err, drover.ErrConflict) {
		fmt.Fprintln(env.Stderr, upperFirst(apiMessage(err)))
		fmt.Fprintln(env.Stderr, "Job not updated")
		return &exitError{code: 1}
	}
	if err != nil {
		return fmt.Errorf("registering job %q: %w", job.ID, err)
	}
	if resp.Warnings != "" {
		fmt.Fprintf(env.Stderr, "Job Warnings:\n%s\n\n", resp.Warnings)
	}
	if resp.EvalID == "" {
		fmt.Fprintln(env.Stdout, "Job registration successful")
		printNextLaunch(env, job, clock(ctx)())
		return nil
	}
	if o.detach {
		fmt.Fprintf(env.Stdout, "Evaluation ID: %s\n", resp.EvalID)
		return nil
	}
	return monitorEval(ctx, env, c, resp.EvalID,
		fmt.Sprintf("job %q keeps running; see it with: drover job status %s", job.ID, job.ID))
}

// optionalUint is an unsigned integer flag that records whether it was
// given, so that 0 ("the job must not exist yet") differs from unset.
type optionalUint struct {
	set bool
	v   uint64
}

// String prints the value, or "" when unset.
func (o *optionalUint) String() string {
	if o == nil || !o.set {
		return ""
	}
	return strconv.FormatUint(o.v, 10)
}

// Set parses a decimal value.
func (o *optionalUint) Set(s string) error {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not a non-negative integer", s)
	}
	o.set, o.v = true, v
	return nil
}

// apiMessage returns the agent's own message of an API error (without the
// HTTP status), or err's text.
func apiMessage(err error) string {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.Message
	}
	return err.Error()
}

// upperFirst capitalises the first letter of s.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
