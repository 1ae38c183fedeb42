package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	drover "github.com/drover-sh/drover"
)

func jobHistoryCommand() *command {
	return &command{
		name:     "job history",
		args:     "[options] <job>",
		synopsis: "List the versions of a job, and what changed between them",
		help:     `Lists the versions of the job (an ID, or a unique prefix of one), newest first: every registration that changed the job is a new version. With -p, prints under each version its difference from the version before, as job plan prints it. "drover job revert" registers an earlier version again.`,
		example: `drover job history hello
drover job history -p hello
drover job history -version 2 -full hello`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			var o historyOptions
			fs.BoolVar(&o.diff, "p", false, "Print each version's difference from the version before it.")
			fs.BoolVar(&o.full, "full", false, "Print each version's whole job as JSON.")
			fs.BoolVar(&o.json, "json", false, "Print the versions as JSON.")
			fs.Var(&o.version, "version", "Print only version `N` of the job.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) != 1 {
					return usagef("job history takes exactly one argument: the job ID")
				}
				c, err := af.client()
				if err != nil {
					return err
				}
				id, err := resolveJob(c, args[0])
				if err != nil {
					return err
				}
				versions, diffs, _, err := c.Jobs().Versions(id, o.diff, nil)
				if err != nil {
					return fmt.Errorf("reading the versions of job %q: %w", id, err)
				}
				return jobHistory(env, id, versions, diffs, o)
			}
		},
	}
}

// historyOptions are job history's flags.
type historyOptions struct {
	diff, full, json bool
	version          optionalUint
}

// jobHistory prints versions (newest first); diffs[i], when present, is
// the difference from versions[i+1] to versions[i].
func jobHistory(env *Env, id string, versions []*drover.Job, diffs []*drover.JobDiff, o historyOptions) error {
	if o.version.set {
		for i, v := range versions {
			if v.Version != o.version.v {
				continue
			}
			if o.json {
				return writeJSON(env.Stdout, v)
			}
			return writeJobVersion(env.Stdout, v, diffAt(diffs, i, o.diff), o.full)
		}
		return drover.Errorf(drover.ErrNotFound, "job %q has no version %d", id, o.version.v)
	}
	if o.json {
		if versions == nil {
			versions = []*drover.Job{}
		}
		return writeJSON(env.Stdout, versions)
	}
	for i, v := range versions {
		if i > 0 {
			fmt.Fprintln(env.Stdout)
		}
		if err := writeJobVersion(env.Stdout, v, diffAt(diffs, i, o.diff), o.full); err != nil {
			return err
		}
	}
	return nil
}

// diffAt returns diffs[i] when asked for and present (the oldest version
// has none).
func diffAt(diffs []*drover.JobDiff, i int, want bool) *drover.JobDiff {
	if !want || i >= len(diffs) {
		return nil
	}
	return diffs[i]
}

// writeJobVersion prints one version: number, stability, submit date, and
// its difference from the version before and its whole job when given.
func writeJobVersion(w io.Writer, job *drover.Job, diff *drover.JobDiff, full bool) error {
	pairs := []kv{
		{"Version", fmt.Sprint(job.Version)},
		{"Stable", fmt.Sprint(job.Stable)},
		{"Submit Date", formatUnixNano(job.SubmitTime)},
	}
	if diff != nil {
		pairs = append(pairs, kv{"Diff", ""})
	}
	if full {
		pairs = append(pairs, kv{"Full", ""})
	}
	width := 0
	for _, p := range pairs {
		width = max(width, len(p.k))
	}
	for _, p := range pairs {
		switch p.k {
		case "Diff":
			fmt.Fprintf(w, "%-*s =\n%s\n", width, p.k, strings.TrimSpace(formatJobDiff(diff, false)))
		case "Full":
			fmt.Fprintf(w, "%-*s = JSON Job:\n", width, p.k)
			if err := writeJSON(w, job); err != nil {
				return err
			}
		default:
			fmt.Fprintf(w, "%-*s = %s\n", width, p.k, p.v)
		}
	}
	return nil
}
