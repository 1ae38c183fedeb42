package jobspec

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestGolden parses every testdata/*.hcl file and compares the result, the
// job as indented JSON followed by the warnings, or the error text, with
// testdata/<name>.golden. Files named bad_* must fail; the others must
// parse.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.hcl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".hcl")
		t.Run(name, func(t *testing.T) {
			got := render(t, path, strings.HasPrefix(name, "bad_"))
			checkGolden(t, path, got)
		})
	}
}

func render(t *testing.T, path string, wantErr bool) string {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ParseWithOptions(filepath.Base(path), src, Options{})
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
	job := res.Job
	out, err := json.MarshalIndent(job, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	// Every good testdata job is also a valid job once canonicalized.
	c := job.Copy()
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

// checkGolden compares got with the golden file beside the job file at
// path (<name>.golden); with -update it rewrites the golden file instead.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	golden := strings.TrimSuffix(path, ".hcl") + ".golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./jobspec -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test ./jobspec -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
