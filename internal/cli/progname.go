package cli

import (
	"path/filepath"
	"strings"
)

// nomadName is the name under which the binary answers as Nomad's command
// line: installed or linked as "nomad", scripts and runbooks written for
// Nomad (`nomad job run`, `nomad status`) run unchanged.
const nomadName = "nomad"

// progName returns the name to print for a program called as arg0: "nomad"
// when its base name is nomad (nomad.exe too), else "drover". Any other
// name (a versioned file name, a path in a build directory) is drover.
func progName(arg0 string) string {
	base := strings.TrimSuffix(filepath.Base(arg0), ".exe")
	if base == nomadName {
		return nomadName
	}
	return "drover"
}

// prog returns the program name to print: "drover" or "nomad".
func (e *Env) prog() string {
	if e == nil || e.Name == "" {
		return "drover"
	}
	return e.Name
}

// asNomad reports whether the binary was called as nomad.
func (e *Env) asNomad() bool { return e.prog() == nomadName }

// addrVar names the environment variable a user of this name sets to
// reach another agent: NOMAD_ADDR when called as nomad (drover reads it
// too), else DROVER_ADDR.
func (e *Env) addrVar() string {
	if e.asNomad() {
		return "NOMAD_ADDR"
	}
	return "DROVER_ADDR"
}

// named rewrites the command lines quoted in a help text ("drover job
// run ...", in double or single quotes) to the program name, so that what
// the help suggests can be typed as is. Prose about drover stays.
func named(prog, text string) string {
	if prog == "drover" || prog == "" {
		return text
	}
	return strings.NewReplacer(`"drover `, `"`+prog+` `, "'drover ", "'"+prog+" ").Replace(text)
}

// namedExample rewrites an example's command lines, one per line, that
// start with "drover " to the program name.
func namedExample(prog, example string) string {
	if prog == "drover" || prog == "" {
		return example
	}
	lines := strings.Split(example, "\n")
	for i, l := range lines {
		if rest, ok := strings.CutPrefix(l, "drover "); ok {
			lines[i] = prog + " " + rest
		}
	}
	return strings.Join(lines, "\n")
}

// namedHint rewrites the command line after "see it with: " in a monitor's
// closing hint to the program name.
func namedHint(prog, msg string) string {
	if prog == "drover" || prog == "" {
		return msg
	}
	return strings.Replace(msg, "see it with: drover ", "see it with: "+prog+" ", 1)
}
