package drover_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/jobspec"
)

// TestJobFilesCanonicalizeOnce runs every good job file of the parser's
// testdata and the examples through Canonicalize twice and checks that the
// second pass changes nothing, that the job validates, and that it diffs
// against itself as unchanged.
func TestJobFilesCanonicalizeOnce(t *testing.T) {
	var files []string
	for _, pattern := range []string{"jobspec/testdata/*.hcl", "examples/*.hcl"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	n := 0
	for _, path := range files {
		if strings.HasPrefix(filepath.Base(path), "bad_") {
			continue
		}
		job, err := jobspec.ParseFile(path)
		if err != nil {
			continue // files that need variables or are meant to fail are the parser's business
		}
		n++
		t.Run(path, func(t *testing.T) {
			job.Canonicalize()
			twice := job.Copy()
			twice.Canonicalize()
			if !reflect.DeepEqual(job, twice) {
				d, _ := job.Diff(twice, false)
				t.Errorf("second Canonicalize changed the job: %+v", d)
			}
			if err := job.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			d, err := job.Diff(job.Copy(), true)
			if err != nil || d.Type != drover.DiffTypeNone {
				t.Errorf("a job diffs against itself as %q (%v)", d.Type, err)
			}
		})
	}
	if n < 5 {
		t.Fatalf("only %d job files parsed; the test would prove little", n)
	}
}
