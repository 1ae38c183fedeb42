package cli

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/jobspec"
)

// exampleJob is the commented example job file job init writes; the tests
// check that it parses, validates and is formatted.
//
//go:embed initdata/example.nomad.hcl
var exampleJob []byte

// exampleJobShort is job init -short's minimal job file.
//
//go:embed initdata/example_short.nomad.hcl
var exampleJobShort []byte

// Default file names of job init, as Nomad's.
const (
	defaultInitFile     = "example.nomad.hcl"
	defaultInitJSONFile = "example.nomad.json"
)

func jobInitCommand() *command {
	return &command{
		name:     "job init",
		args:     "[options] [file]",
		synopsis: "Write an example job file to start from",
		help:     `Writes an example job file: a service job whose every block is commented, ready to run on "drover agent -dev". -short writes a minimal one instead, and -json writes it as Nomad's API JSON ({"Job": {...}}, the format "drover job inspect" prints). The file is example.nomad.hcl (example.nomad.json with -json) unless named; an existing file is never overwritten.`,
		example: `drover job init
drover job init -short web.nomad.hcl`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			short := fs.Bool("short", false, "Write a minimal job file, without comments.")
			asJSON := fs.Bool("json", false, "Write the example as JSON instead of HCL.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) > 1 {
					return usagef("job init takes at most one argument: the file to write")
				}
				path := defaultInitFile
				if *asJSON {
					path = defaultInitJSONFile
				}
				if len(args) == 1 {
					path = args[0]
				}
				return jobInit(env, path, *short, *asJSON)
			}
		},
	}
}

func jobInit(env *Env, path string, short, asJSON bool) error {
	content, err := exampleContent(short, asJSON)
	if err != nil {
		return err
	}
	// O_EXCL: refuse an existing file atomically, even one created since.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("job file %q already exists; not overwriting it", path)
	}
	if err != nil {
		return fmt.Errorf("writing the example job file: %w", err)
	}
	_, err = f.Write(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing the example job file %s: %w", path, err)
	}
	fmt.Fprintf(env.Stdout, "Example job file written to %s\n", path)
	return nil
}

// exampleContent returns the example job file in the chosen form. The JSON
// form is the HCL example parsed and canonicalized, so both always agree.
func exampleContent(short, asJSON bool) ([]byte, error) {
	src, name := exampleJob, defaultInitFile
	if short {
		src = exampleJobShort
	}
	if !asJSON {
		return src, nil
	}
	res, err := jobspec.ParseWithOptions(name, src, jobspec.Options{})
	if err != nil {
		return nil, fmt.Errorf("the built-in example job does not parse (a bug): %w", err)
	}
	res.Job.Canonicalize()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "    ")
	if err := enc.Encode(struct{ Job *drover.Job }{res.Job}); err != nil {
		return nil, fmt.Errorf("encoding the example job: %w", err)
	}
	return b.Bytes(), nil
}
