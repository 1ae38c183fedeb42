package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	drover "github.com/drover-sh/drover"

	"github.com/drover-sh/drover/jobspec"
)

// stringsFlag is a repeatable string flag: each use appends a value.
type stringsFlag []string

// String joins the values; flag calls it on a zero value for help.
func (s *stringsFlag) String() string {
	if s == nil {
		return ""
	}
	return strings.Join(*s, ",")
}

// Set appends v.
func (s *stringsFlag) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// jobFileFlags are the flags of the commands that read a job file (job
// run, job plan, job validate): the values of its variables.
type jobFileFlags struct {
	vars     stringsFlag
	varFiles stringsFlag
}

// addJobFileFlags declares -var and -var-file on fs.
func addJobFileFlags(fs *flag.FlagSet) *jobFileFlags {
	f := &jobFileFlags{}
	fs.Var(&f.vars, "var", "Set the job file's variable `name=value`; repeatable, later ones win.")
	fs.Var(&f.varFiles, "var-file", "Read variable values from `file`: HCL name = value lines, or a JSON object if the name ends in .json; repeatable, later files win. Variables also come from $DROVER_VAR_<name> and $NOMAD_VAR_<name>, which -var-file and -var override.")
	return f
}

// options returns the parse options of the flags, with the variables the
// environment sets.
func (f *jobFileFlags) options(env *Env) jobspec.Options {
	return jobspec.Options{Vars: f.vars, VarFiles: f.varFiles, Environ: varEnviron(env.environ())}
}

// varEnviron keeps the entries of environ that set job variables:
// DROVER_VAR_<name> and NOMAD_VAR_<name>.
func varEnviron(environ []string) []string {
	var out []string
	for _, kv := range environ {
		if strings.HasPrefix(kv, "DROVER_VAR_") || strings.HasPrefix(kv, "NOMAD_VAR_") {
			out = append(out, kv)
		}
	}
	return out
}

// readJob parses the job file at path ("-": stdin) and returns the job as
// the file states it, not canonicalized: that is what is sent to the
// agent, which canonicalizes it itself and can then tell the file's own
// settings (such as a deprecated one) from defaults. Warnings go to stderr
// in a "Job Warnings:" block. A file that does not parse is reported on
// stderr with every problem's file:line:col, and readJob returns an
// *exitError with failCode.
func readJob(env *Env, path string, opts jobspec.Options, failCode int) (*drover.Job, error) {
	res, err := parseJobFile(env, path, opts)
	var perr *jobspec.Error
	switch {
	case errors.As(err, &perr):
		fmt.Fprintf(env.Stderr, "Error parsing job file %s:\n%s\n", path, perr)
		return nil, &exitError{code: failCode}
	case err != nil:
		return nil, err
	}
	writeParseWarnings(env, res.Warnings)
	return res.Job, nil
}

// writeParseWarnings prints a job file's warnings (deprecated syntax and
// the like) to stderr.
func writeParseWarnings(env *Env, warnings []jobspec.Diagnostic) {
	if len(warnings) == 0 {
		return
	}
	fmt.Fprintln(env.Stderr, "Job Warnings:")
	for _, w := range warnings {
		fmt.Fprintf(env.Stderr, "  * %s\n", w)
	}
	fmt.Fprintln(env.Stderr)
}

// validateLocally validates a canonicalized copy of job, leaving job as it
// is.
func validateLocally(job *drover.Job) error {
	c := job.Copy()
	c.Canonicalize()
	return c.Validate()
}

// checkJob validates job locally. An invalid job is reported on stderr, one
// problem per line, and checkJob returns an *exitError with failCode.
func checkJob(env *Env, job *drover.Job, path string, failCode int) error {
	if err := validateLocally(job); err != nil {
		fmt.Fprintf(env.Stderr, "Error: job %q in %s is invalid:\n", job.ID, path)
		writeBullets(env, err)
		return &exitError{code: failCode}
	}
	return nil
}

// loadJob is readJob then checkJob: a job ready to send to an agent.
func loadJob(env *Env, path string, opts jobspec.Options, failCode int) (*drover.Job, error) {
	job, err := readJob(env, path, opts, failCode)
	if err != nil {
		return nil, err
	}
	if err := checkJob(env, job, path, failCode); err != nil {
		return nil, err
	}
	return job, nil
}

// parseJobFile parses the job file at path, or stdin for "-". Nomad's API
// JSON ({"Job": {...}}) is accepted as well as HCL: a file named *.json, or
// stdin whose first non-blank character is "{".
func parseJobFile(env *Env, path string, opts jobspec.Options) (*jobspec.Result, error) {
	if path != "-" {
		return jobspec.ParseFileWithOptions(path, opts)
	}
	src, err := io.ReadAll(io.LimitReader(env.Stdin, jobspec.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the job file from stdin: %w", err)
	}
	if bytes.HasPrefix(bytes.TrimSpace(src), []byte("{")) {
		job, err := jobspec.ParseJSON("<stdin>", src)
		if err != nil {
			return nil, err
		}
		return &jobspec.Result{Job: job}, nil
	}
	return jobspec.ParseWithOptions("<stdin>", src, opts)
}
