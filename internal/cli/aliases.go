package cli

import (
	"fmt"
	"io"
)

// alias is a one-word short form of a command, as Nomad's command line has
// kept them since its first versions: years of tutorials, runbooks and CI
// scripts type `nomad run` and `nomad alloc-status`. An alias runs its
// target with the same flags and arguments.
type alias struct {
	name   string // the short form, e.g. "run"
	target string // the command it runs, e.g. "job run"
	// deprecated short forms print a note on stderr, as Nomad's do, naming
	// the command to use instead; they still run.
	deprecated bool
}

// aliases lists the short forms, in the order `drover -help` shows them.
// `status` is not here: it is a command of its own (status.go) that finds
// out what kind of object its argument names.
func aliases() []alias {
	return []alias{
		{name: "run", target: "job run"},
		{name: "plan", target: "job plan"},
		{name: "validate", target: "job validate"},
		{name: "inspect", target: "job inspect"},
		{name: "stop", target: "job stop"},
		{name: "init", target: "job init"},
		{name: "logs", target: "alloc logs"},
		{name: "alloc-status", target: "alloc status"},
		{name: "fs", target: "alloc fs"},
		{name: "exec", target: "alloc exec"},
		{name: "node-status", target: "node status"},
		{name: "node-drain", target: "node drain"},
		{name: "eval-status", target: "eval status"},
		{name: "server-members", target: "server members", deprecated: true},
	}
}

// resolveAlias returns the command that the short form name runs. A
// deprecated short form says so on stderr first.
func resolveAlias(env *Env, cmds []*command, name string) (*command, bool) {
	for _, a := range aliases() {
		if a.name != name {
			continue
		}
		for _, c := range cmds {
			if c.name == a.target {
				if a.deprecated {
					fmt.Fprint(env.Stderr, wrap(fmt.Sprintf(`Note: %[1]q is an old name of %[2]q (Nomad deprecated it); it still works, but use %[2]q in new scripts.`,
						env.prog()+" "+a.name, env.prog()+" "+a.target), ""))
					fmt.Fprintln(env.Stderr)
				}
				return c, true
			}
		}
	}
	return nil, false
}

// printAliases lists the short forms in the main help.
func printAliases(w io.Writer, prog string) {
	fmt.Fprint(w, "\nShort forms (Nomad's):\n")
	var rows [][]string
	for _, a := range aliases() {
		if !a.deprecated {
			rows = append(rows, []string{"    " + a.name, "= " + prog + " " + a.target})
		}
	}
	rows = append(rows, []string{"    status [id]", "= " + prog + " job status; with an ID, the status of what it names"})
	writeTable(w, nil, rows)
}

// nomadNote is what `nomad -help` adds when the binary runs as nomad, so a
// user knows which program answers.
const nomadNote = `This is drover, called as nomad: it takes Nomad's commands, short forms and flags for everything it has, so scripts and runbooks written for Nomad's command line run unchanged. Commands it lacks say so. NOMAD_ADDR and NOMAD_TOKEN are read when DROVER_ADDR and DROVER_TOKEN are unset.`
