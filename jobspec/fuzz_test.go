package jobspec

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics and returns exactly one of a job
// or a *jobspec.Error. The seed corpus is every testdata/*.hcl and
// testdata/lang/*.hcl file plus testdata/fuzz/FuzzParse. Parse has no
// directory, so file() never reads while fuzzing.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.hcl")
	lang, _ := filepath.Glob("testdata/lang/*.hcl")
	examples, _ := filepath.Glob("../examples/*.hcl")
	for _, path := range append(append(files, lang...), examples...) {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		job, err := Parse("fuzz.hcl", src)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || len(perr.Diagnostics()) == 0 {
				t.Fatalf("error %T %v is not a *jobspec.Error with diagnostics", err, err)
			}
			if job != nil {
				t.Fatalf("both a job and an error")
			}
			return
		}
		if job == nil {
			t.Fatalf("neither a job nor an error")
		}
		job.Canonicalize()
		_ = job.Validate()
	})
}

// FuzzParseJSON checks that ParseJSON never panics and returns exactly one
// of a job or a *jobspec.Error. The seed corpus is testdata/fuzz/FuzzParseJSON
// plus a Nomad API job.
func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(nomadJSON))
	f.Add([]byte(`{"ID": "x", "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t", "Config": {"a": [1, 2.5, {"b": null}]}}]}]}`))
	f.Fuzz(func(t *testing.T, src []byte) {
		job, err := ParseJSON("fuzz.json", src)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || len(perr.Diagnostics()) == 0 {
				t.Fatalf("error %T %v is not a *jobspec.Error with diagnostics", err, err)
			}
			if job != nil {
				t.Fatalf("both a job and an error")
			}
			return
		}
		if job == nil {
			t.Fatalf("neither a job nor an error")
		}
		job.Canonicalize()
		_ = job.Validate()
	})
}
