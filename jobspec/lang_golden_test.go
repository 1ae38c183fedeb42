package jobspec

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLangGolden parses every testdata/lang/*.hcl job file with
// ParseFileWithOptions (so file() reads beside it) and the options in
// <name>.opts, and compares the job as indented JSON and its warnings, or
// the error text, with <name>.golden. Files named bad_* must fail. The
// -update flag (golden_test.go) rewrites the golden files.
func TestLangGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/lang/*.hcl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".hcl")
		if strings.Contains(name, ".") {
			continue // a variables file, like web_vars.prod.hcl
		}
		t.Run(name, func(t *testing.T) {
			got := renderLang(t, path, strings.HasPrefix(name, "bad_"))
			checkGolden(t, path, got)
		})
	}
}

// langOptions reads <name>.opts: lines "var name=value", "env KEY=value"
// and "var-file path" (relative to the job file's directory); # comments.
func langOptions(t *testing.T, path string) Options {
	t.Helper()
	var opts Options
	f, err := os.Open(strings.TrimSuffix(path, ".hcl") + ".opts")
	if errors.Is(err, os.ErrNotExist) {
		return opts
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kind, arg, _ := strings.Cut(line, " ")
		switch kind {
		case "var":
			opts.Vars = append(opts.Vars, arg)
		case "env":
			opts.Environ = append(opts.Environ, arg)
		case "var-file":
			opts.VarFiles = append(opts.VarFiles, filepath.Join(filepath.Dir(path), arg))
		default:
			t.Fatalf("%s: unknown option line %q", path, line)
		}
	}
	return opts
}

func renderLang(t *testing.T, path string, wantErr bool) string {
	t.Helper()
	res, err := ParseFileWithOptions(path, langOptions(t, path))
	if wantErr {
		var perr *Error
		if !errors.As(err, &perr) {
			t.Fatalf("Parse(%s) = %v, want a *jobspec.Error", path, err)
		}
		return "error:\n" + perr.Error() + "\n"
	}
	if err != nil {
		t.Fatalf("Parse(%s): %v", path, err)
	}
	out, err := json.MarshalIndent(res.Job, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	c := res.Job.Copy()
	c.Canonicalize()
	if err := c.Validate(); err != nil {
		t.Errorf("%s parses but does not validate: %v", path, err)
	}
	text := string(out) + "\n"
	if len(res.Warnings) > 0 {
		text += "warnings:\n"
		for _, w := range res.Warnings {
			text += w.String() + "\n"
		}
	}
	return text
}
