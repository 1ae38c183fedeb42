package cli

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is drover's version; release builds set it with
// -ldflags "-X github.com/drover-sh/drover/internal/cli.Version=v1.2.3".
var Version = "v0.1.0-dev"

// versionInfo is what `drover version -json` prints.
type versionInfo struct {
	Version   string
	Revision  string
	GoVersion string
}

func currentVersion() versionInfo {
	v := versionInfo{Version: Version, GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v.Revision = s.Value
			}
		}
	}
	return v
}

func versionCommand() *command {
	return &command{
		name:     "version",
		args:     "[options]",
		synopsis: "Print drover's version",
		help:     `Prints the version of this drover binary and the source revision it was built from, when known. It does not contact an agent. Called as nomad, it still says that it is drover, and that it answers as Nomad's command line.`,
		example:  `drover version`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			asJSON := fs.Bool("json", false, "Print the version as JSON.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) != 0 {
					return usagef("version takes no arguments")
				}
				v := currentVersion()
				if *asJSON {
					return writeJSON(env.Stdout, v)
				}
				line := "Drover " + v.Version
				if v.Revision != "" {
					line += fmt.Sprintf(" (%s)", short(v.Revision))
				}
				fmt.Fprintln(env.Stdout, line)
				if env.asNomad() {
					// Honest about what answers: scripts that run
					// "nomad version" learn it is drover, not Nomad.
					fmt.Fprintln(env.Stdout, "Called as nomad: drover's command line, taking Nomad's commands and flags")
				}
				return nil
			}
		},
	}
}
