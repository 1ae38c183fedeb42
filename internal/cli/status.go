package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/api"
)

// statusTargets are the commands `status <id>` can hand over to, in the
// order an exact match is looked for: a job's ID is a name someone chose,
// the others are UUIDs.
var statusTargets = []struct {
	kind, plural, command string
	list                  func(c *api.Client, prefix string) ([]string, error)
}{
	{"job", "jobs", "job status", func(c *api.Client, prefix string) ([]string, error) {
		jobs, _, err := c.Jobs().List(&api.QueryOptions{Prefix: prefix})
		ids := make([]string, 0, len(jobs))
		for _, j := range jobs {
			ids = append(ids, j.ID)
		}
		return ids, err
	}},
	{"allocation", "allocations", "alloc status", func(c *api.Client, prefix string) ([]string, error) {
		allocs, _, err := c.Allocations().List(&api.QueryOptions{Prefix: prefix})
		ids := make([]string, 0, len(allocs))
		for _, a := range allocs {
			ids = append(ids, a.ID)
		}
		return ids, err
	}},
	{"node", "nodes", "node status", func(c *api.Client, prefix string) ([]string, error) {
		nodes, _, err := c.Nodes().List(&api.QueryOptions{Prefix: prefix})
		ids := make([]string, 0, len(nodes))
		for _, n := range nodes {
			ids = append(ids, n.ID)
		}
		return ids, err
	}},
	{"evaluation", "evaluations", "eval status", func(c *api.Client, prefix string) ([]string, error) {
		evals, _, err := c.Evaluations().List(&api.QueryOptions{Prefix: prefix})
		ids := make([]string, 0, len(evals))
		for _, e := range evals {
			ids = append(ids, e.ID)
		}
		return ids, err
	}},
}

func statusCommand() *command {
	return &command{
		name:     "status",
		args:     "[options] [id]",
		synopsis: "List jobs, or show the status of whatever an ID names",
		help: `Nomad's general status command. Without an ID, lists the jobs, as "drover job status" does. With an ID, or a unique prefix of one, finds out whether it names a job, an allocation, a node or an evaluation, and shows that object's status as "drover job status", "drover alloc status", "drover node status" or "drover eval status" would. Their options pass through (-json, -short, -verbose, -stats ...); an option the chosen command lacks is a usage error.

A prefix that matches objects of several kinds is an error that lists what it matched; a longer prefix tells them apart. Deployments are not looked up: drover has no deployment objects.`,
		example: `drover status
drover status hello
drover status -short 8ba8`,
		raw: statusRun,
	}
}

// statusRun runs `status [options] [id]`.
func statusRun(ctx context.Context, env *Env, args []string) int {
	self := statusCommand()
	fs, af := statusFlags(env)
	flagHelp := func(w io.Writer) { printFlags(w, fs) }
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandHelp(env.Stdout, env.prog(), self, flagHelp)
			return 0
		}
		return exitCode(env, self, flagHelp, usagef("%s", err))
	}
	target := "job status"
	switch len(pos) {
	case 0:
	case 1:
		c, err := af.client()
		if err != nil {
			return exitCode(env, self, flagHelp, err)
		}
		target, err = statusKind(c, pos[0])
		if err != nil {
			return exitCode(env, self, flagHelp, err)
		}
	default:
		return exitCode(env, self, flagHelp, usagef("status takes at most one argument: an ID or ID prefix"))
	}
	for _, c := range commands() {
		if c.name == target {
			return runCommand(ctx, env, c, args)
		}
	}
	panic("status: no command " + target) // statusTargets names only commands of the table
}

// statusFlags returns a flag set holding the options of every command
// status can hand over to, so that status can find its ID argument among
// them; each flag is parsed again by the chosen command.
func statusFlags(env *Env) (*flag.FlagSet, *apiFlags) {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	af := addAPIFlags(fs, env)
	fs.Bool("json", false, "Print the object (or the job list) as JSON.")
	fs.Bool("short", false, "Print a job's or an allocation's status without its details.")
	// Every other option of the target commands, with its description
	// and the commands that take it.
	usage := map[string]string{}
	takenBy := map[string][]string{}
	var values []*flag.Flag
	for _, t := range statusTargets {
		for _, c := range commands() {
			if c.name != t.command || c.setup == nil {
				continue
			}
			sub := flag.NewFlagSet(c.name, flag.ContinueOnError)
			c.setup(sub, env)
			sub.VisitAll(func(f *flag.Flag) {
				if fs.Lookup(f.Name) != nil {
					return
				}
				if _, ok := usage[f.Name]; !ok {
					usage[f.Name] = f.Usage
					values = append(values, f)
				}
				takenBy[f.Name] = append(takenBy[f.Name], t.command)
			})
		}
	}
	for _, f := range values {
		fs.Var(f.Value, f.Name, usage[f.Name]+" ("+strings.Join(takenBy[f.Name], ", ")+")")
	}
	return fs, af
}

// statusKind returns the status command for what id names. An exact ID
// wins; otherwise the prefix must match objects of one kind only (the
// chosen command then resolves it among them, listing several matches).
func statusKind(c *api.Client, id string) (string, error) {
	matches := make([][]string, len(statusTargets))
	for i, t := range statusTargets {
		ids, err := t.list(c, id)
		if err != nil {
			return "", fmt.Errorf("looking up %s %q: %w", t.plural, id, err)
		}
		for _, m := range ids {
			if m == id {
				return t.command, nil
			}
		}
		matches[i] = ids
	}
	var kinds []int
	for i, ids := range matches {
		if len(ids) > 0 {
			kinds = append(kinds, i)
		}
	}
	switch len(kinds) {
	case 0:
		return "", drover.Errorf(drover.ErrNotFound, "no job, allocation, node or evaluation with ID or prefix %q found", id)
	case 1:
		return statusTargets[kinds[0]].command, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "prefix %q matches objects of several kinds; give more of the ID\n", id)
	for _, i := range kinds {
		fmt.Fprintf(&b, "\n%s:\n", strings.ToUpper(statusTargets[i].plural[:1])+statusTargets[i].plural[1:])
		for _, m := range matches[i] {
			fmt.Fprintf(&b, "%s\n", m)
		}
	}
	return "", errors.New(b.String())
}
