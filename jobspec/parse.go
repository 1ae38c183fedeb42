package jobspec

import (
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/drover-sh/drover"
)

// Parse parses the HCL job file src, named filename in messages, into a job.
// It does not canonicalize or validate the job: the caller calls
// job.Canonicalize and job.Validate. It fails with an *Error that holds
// every problem of the file, each with its position.
func Parse(filename string, src []byte) (*drover.Job, error) {
	res, err := ParseWithOptions(filename, src, Options{})
	if err != nil {
		return nil, err
	}
	return res.Job, nil
}

// Options steer a parse: the values of the file's variables and the
// environment they may come from.
type Options struct {
	// Vars are -var name=value assignments, in order; later ones win.
	Vars []string
	// VarFiles are -var-file paths, in order.
	VarFiles []string
	// Environ is the environment (KEY=value), read for DROVER_VAR_<name>
	// and NOMAD_VAR_<name>.
	Environ []string
}

// Result is a parsed job and the warnings the file earned (deprecated
// syntax, ...).
type Result struct {
	Job      *drover.Job
	Warnings []Diagnostic
}

// ParseWithOptions parses like Parse, with variable values and warnings.
func ParseWithOptions(filename string, src []byte, opts Options) (*Result, error) {
	job, diags := parse(filename, src, opts)
	if err := newError(filename, diags); err != nil {
		return nil, err
	}
	return &Result{Job: job, Warnings: warningsOf(filename, diags)}, nil
}

// ParseFile reads and parses the job file at path (see Parse). Files over
// MaxFileSize are refused without being read whole.
func ParseFile(path string) (*drover.Job, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open job file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat job file: %w", err)
	}
	if fi.Size() > MaxFileSize {
		return nil, newError(path, tooLarge(path, fi.Size()))
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read job file: %w", err)
	}
	return Parse(path, src)
}

func parse(filename string, src []byte, opts Options) (*drover.Job, hcl.Diagnostics) {
	if diags := checkLimits(filename, src); diags.HasErrors() {
		return nil, diags
	}
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if file == nil {
		return nil, diags
	}
	body, ok := file.Body.(*hclsyntax.Body)
	if !ok {
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid job file",
			Detail: "The file is not native HCL syntax."})
	}
	d := &decoder{
		src:        src,
		ctx:        &hcl.EvalContext{},
		parseTime:  map[string]bool{},
		restartSet: map[any]map[string]bool{},
		names:      map[any]map[string]hcl.Range{},
		diags:      diags,
	}
	root := &rootTarget{}
	d.decodeBody(body, rootSpec, root)
	if len(root.jobs) == 0 && !d.diags.HasErrors() {
		d.errorf(hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos},
			"Missing job block", "A job file must hold exactly one job block, like: job \"example\" { ... }.")
	}
	if len(root.jobs) == 0 {
		return nil, d.diags
	}
	return root.jobs[0], d.diags
}
