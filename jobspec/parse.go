package jobspec

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

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
	// Dir is the directory file() and fileexists() read below; "" (source
	// not read from disk) makes them refuse. ParseFileWithOptions sets it
	// to the job file's directory when it is "".
	Dir string
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

// ParseFile reads and parses the job file at path (see Parse), with no
// variable values but defaults and file() reading beside the file. Files
// over MaxFileSize are refused without being read whole.
func ParseFile(path string) (*drover.Job, error) {
	res, err := ParseFileWithOptions(path, Options{})
	if err != nil {
		return nil, err
	}
	return res.Job, nil
}

// ParseFileWithOptions reads and parses the job file at path. A file named
// *.json, or whose content starts with '{', is Nomad's API JSON (ParseJSON;
// opts do not apply: variables given for it earn a warning). Otherwise it is HCL, parsed like ParseWithOptions
// with opts.Dir defaulting to the file's directory. Files over MaxFileSize
// are refused without being read whole.
func ParseFileWithOptions(path string, opts Options) (*Result, error) {
	src, err := readJobFile(path)
	if err != nil {
		return nil, err
	}
	if IsJSON(path, src) {
		job, err := ParseJSON(path, src)
		if err != nil {
			return nil, err
		}
		res := &Result{Job: job}
		if len(opts.Vars) > 0 || len(opts.VarFiles) > 0 {
			res.Warnings = append(res.Warnings, Diagnostic{File: path, Line: 1, Column: 1, Summary: "Variables ignored",
				Detail: "-var and -var-file apply to HCL job files; a JSON job has no variables."})
		}
		return res, nil
	}
	if opts.Dir == "" {
		opts.Dir = filepath.Dir(path)
	}
	return ParseWithOptions(path, src, opts)
}

// IsJSON reports whether a job file is Nomad's API JSON rather than HCL:
// its name ends in .json or its first non-blank byte is '{' (an HCL job
// file starts with a block or an attribute, never a brace).
func IsJSON(path string, src []byte) bool {
	if strings.EqualFold(filepath.Ext(path), ".json") {
		return true
	}
	trimmed := bytes.TrimLeft(src, " \t\r\n\ufeff")
	return len(trimmed) > 0 && trimmed[0] == '{'
}

func readJobFile(path string) ([]byte, error) {
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
	src, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read job file: %w", err)
	}
	return src, nil
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
		ctx:        &hcl.EvalContext{Variables: map[string]cty.Value{}, Functions: functions(opts.Dir)},
		parseTime:  map[string]bool{"var": true, "local": true},
		restartSet: map[any]map[string]bool{},
		names:      map[any]map[string]hcl.Range{},
		diags:      diags,
	}
	d.decodeLanguage(body, opts)
	root := &rootTarget{}
	d.decodeBody(body, rootSpec, root)
	d.explainUndeclared(body)
	if len(root.jobs) == 0 && !d.diags.HasErrors() {
		d.errorf(hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos},
			"Missing job block", "A job file must hold exactly one job block, like: job \"example\" { ... }.")
	}
	if len(root.jobs) == 0 {
		return nil, d.diags
	}
	return root.jobs[0], d.diags
}
