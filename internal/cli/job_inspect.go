package cli

import (
	"context"
	"flag"
	"fmt"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/api"
)

func jobInspectCommand() *command {
	return &command{
		name:     "job inspect",
		args:     "[options] <job>",
		synopsis: "Print a registered job as JSON",
		help:     `Prints the job (an ID, or a unique prefix of one) as the servers hold it, canonicalized, as Nomad's API JSON: {"Job": {...}}. The output can be saved and registered again with "drover job run file.json". -version prints an earlier version of the job.`,
		example: `drover job inspect hello
drover job inspect -version 1 hello > hello-v1.json`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			fs.Bool("json", false, "Print JSON, the only format (accepted for compatibility with Nomad's flags).")
			var version optionalUint
			fs.Var(&version, "version", "Print version `N` of the job instead of the current one.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) != 1 {
					return usagef("job inspect takes exactly one argument: the job ID")
				}
				c, err := af.client()
				if err != nil {
					return err
				}
				id, err := resolveJob(c, args[0])
				if err != nil {
					return err
				}
				job, err := jobAtVersion(c, id, version)
				if err != nil {
					return err
				}
				return writeJSON(env.Stdout, struct{ Job *drover.Job }{job})
			}
		},
	}
}

// jobAtVersion reads the current job, or the given version of it.
func jobAtVersion(c *api.Client, id string, version optionalUint) (*drover.Job, error) {
	if !version.set {
		job, _, err := c.Jobs().Info(id, nil)
		if err != nil {
			return nil, fmt.Errorf("reading job %q: %w", id, err)
		}
		return job, nil
	}
	versions, _, _, err := c.Jobs().Versions(id, false, nil)
	if err != nil {
		return nil, fmt.Errorf("reading the versions of job %q: %w", id, err)
	}
	for _, v := range versions {
		if v.Version == version.v {
			return v, nil
		}
	}
	return nil, drover.Errorf(drover.ErrNotFound, "job %q has no version %d", id, version.v)
}
