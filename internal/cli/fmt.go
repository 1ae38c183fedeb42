package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/drover-sh/drover/jobspec"
)

func fmtCommand() *command {
	return &command{
		name:     "fmt",
		args:     "[options] [path ...]",
		synopsis: "Rewrite HCL job files in the canonical format",
		help: `Rewrites HCL job files in the canonical format: indentation, alignment of "=" signs, spacing. A directory stands for its *.hcl and *.nomad files (and those of its subdirectories with -recursive); without a path, the current directory. A file with a syntax error is reported with file:line:col and left as it is. The path "-" formats stdin to stdout.

-check changes nothing: it lists the files that are not formatted and exits 1 if there are any, for CI.

Exit codes: 0 on success; 1 when a file has a syntax error, cannot be read or written, or, with -check, is not formatted; 2 on misuse.`,
		example: `drover fmt
drover fmt -check -recursive jobs/
drover fmt - < web.nomad.hcl`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			o := &fmtOptions{}
			fs.BoolVar(&o.check, "check", false, "Change nothing; list the files that are not formatted and exit 1 if there are any.")
			fs.BoolVar(&o.list, "list", true, "Print the name of each file whose formatting differs.")
			fs.BoolVar(&o.write, "write", true, "Write the formatted version back to each file. With -write=false and -list=false the formatted files are printed to stdout.")
			fs.BoolVar(&o.recursive, "recursive", false, "Also format the files in the subdirectories of the directories given.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) == 0 {
					args = []string{"."}
				}
				if o.check {
					o.write = false
				}
				return runFmt(env, o, args)
			}
		},
	}
}

// fmtOptions are fmt's flags.
type fmtOptions struct {
	check, list, write, recursive bool
}

// runFmt formats every file named by paths, reporting each problem and
// going on with the other files; it fails at the end if any file failed
// (or, with -check, was not formatted).
func runFmt(env *Env, o *fmtOptions, paths []string) error {
	failed := false
	for _, p := range paths {
		if p == "-" {
			failed = fmtStdin(env, o) || failed
			continue
		}
		files, err := fmtFiles(p, o.recursive)
		if err != nil {
			fmt.Fprintf(env.Stderr, "Error: %v\n", err)
			failed = true
			continue
		}
		for _, f := range files {
			failed = fmtFile(env, o, f) || failed
		}
	}
	if failed {
		return &exitError{code: 1}
	}
	return nil
}

// fmtFiles lists the files path stands for: path itself if it is a file
// (whatever its name), else the job files in the directory, in lexical
// order, descending into subdirectories (not hidden ones) when recursive.
func fmtFiles(path string, recursive bool) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p == path {
				return nil
			}
			if !recursive || strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if ext := filepath.Ext(p); ext == ".hcl" || ext == ".nomad" {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", path, err)
	}
	return files, nil
}

// fmtFile formats one file and reports whether it failed.
func fmtFile(env *Env, o *fmtOptions, path string) bool {
	src, err := readFmtSource(path)
	if err != nil {
		fmt.Fprintf(env.Stderr, "Error: %v\n", err)
		return true
	}
	out, ok := formatHCL(env, path, src)
	if !ok {
		return true
	}
	changed := !bytes.Equal(src, out)
	if changed && (o.list || o.check) {
		fmt.Fprintln(env.Stdout, path)
	}
	if changed && o.write {
		if err := writeFileKeepMode(path, out); err != nil {
			fmt.Fprintf(env.Stderr, "Error: %v\n", err)
			return true
		}
	}
	if !o.write && !o.list && !o.check {
		_, _ = env.Stdout.Write(out)
	}
	return changed && o.check
}

// fmtStdin formats stdin to stdout (with -check, only says whether it is
// formatted) and reports whether it failed.
func fmtStdin(env *Env, o *fmtOptions) bool {
	src, err := io.ReadAll(io.LimitReader(env.Stdin, jobspec.MaxFileSize+1))
	if err != nil {
		fmt.Fprintf(env.Stderr, "Error: reading stdin: %v\n", err)
		return true
	}
	if len(src) > jobspec.MaxFileSize {
		fmt.Fprintf(env.Stderr, "Error: stdin is larger than %d bytes\n", jobspec.MaxFileSize)
		return true
	}
	out, ok := formatHCL(env, "<stdin>", src)
	if !ok {
		return true
	}
	if o.check {
		if !bytes.Equal(src, out) {
			fmt.Fprintln(env.Stdout, "<stdin>")
			return true
		}
		return false
	}
	_, _ = env.Stdout.Write(out)
	return false
}

// readFmtSource reads a file to format, refusing files over the job file
// size limit.
func readFmtSource(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if fi.Size() > jobspec.MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, jobspec.MaxFileSize)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return src, nil
}

// formatHCL returns src in the canonical format. A file with syntax errors
// is not formatted: every error is printed as file:line:col and ok is
// false.
func formatHCL(env *Env, name string, src []byte) (out []byte, ok bool) {
	_, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		fmt.Fprintf(env.Stderr, "Error: %s has syntax errors:\n", name)
		for _, d := range diags {
			if d.Severity != hcl.DiagError {
				continue
			}
			pos := hcl.InitialPos
			if d.Subject != nil {
				pos = d.Subject.Start
			}
			msg := d.Summary
			if d.Detail != "" {
				msg += "; " + d.Detail
			}
			fmt.Fprintf(env.Stderr, "  %s:%d:%d: %s\n", name, pos.Line, pos.Column, msg)
		}
		return nil, false
	}
	return hclwrite.Format(src), true
}

// writeFileKeepMode replaces path's content, keeping its permissions. It
// writes a temporary file beside it and renames it over path, so an
// interruption never leaves a half-written job file.
func writeFileKeepMode(path string, data []byte) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".fmt-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), fi.Mode().Perm())
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
