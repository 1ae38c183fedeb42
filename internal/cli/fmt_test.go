package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclwrite"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/jobspec"
)

const (
	formattedHCL = "job \"a\" {\n  group \"g\" {\n    count = 1\n  }\n}\n"
	// unformattedHCL is formattedHCL badly indented and spaced.
	unformattedHCL = "job \"a\" {\ngroup \"g\" {\n        count=1\n}\n}\n"
	brokenHCL      = "job \"a\" {\n  group \"g\" {\n    count = \n  }\n"
)

// fmtTree writes the files (path → content) under a new directory and
// returns it.
func fmtTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFmt formats files in place, lists what changed, and with -check
// changes nothing and exits 1 when a file is not formatted.
func TestFmt(t *testing.T) {
	tests := []struct {
		name      string
		files     map[string]string
		args      []string // paths relative to the directory; "$D" is the directory
		code      int
		stdout    string // with the directory replaced by "$D"
		stderr    string // a substring
		wantAfter map[string]string
	}{
		{"formatted", map[string]string{"a.hcl": formattedHCL}, []string{"$D"}, 0, "", "",
			map[string]string{"a.hcl": formattedHCL}},
		{"rewrites and lists", map[string]string{"a.hcl": unformattedHCL, "b.nomad": formattedHCL, "c.txt": unformattedHCL},
			[]string{"$D"}, 0, "$D/a.hcl\n", "", map[string]string{"a.hcl": formattedHCL, "c.txt": unformattedHCL}},
		{"-list=false", map[string]string{"a.nomad": unformattedHCL}, []string{"-list=false", "$D"}, 0, "", "",
			map[string]string{"a.nomad": formattedHCL}},
		{"-check formatted", map[string]string{"a.hcl": formattedHCL}, []string{"-check", "$D"}, 0, "", "", nil},
		{"-check unformatted", map[string]string{"a.hcl": unformattedHCL, "b.hcl": formattedHCL},
			[]string{"-check", "$D"}, 1, "$D/a.hcl\n", "", map[string]string{"a.hcl": unformattedHCL}},
		{"broken", map[string]string{"a.hcl": brokenHCL, "b.hcl": unformattedHCL}, []string{"$D"}, 1, "$D/b.hcl\n",
			"$D/a.hcl:3:13: ", map[string]string{"a.hcl": brokenHCL, "b.hcl": formattedHCL}},
		{"-check broken", map[string]string{"a.hcl": brokenHCL}, []string{"-check", "$D/a.hcl"}, 1, "",
			"$D/a.hcl:3:13: ", map[string]string{"a.hcl": brokenHCL}},
		{"not recursive", map[string]string{"sub/a.hcl": unformattedHCL}, []string{"$D"}, 0, "", "",
			map[string]string{"sub/a.hcl": unformattedHCL}},
		{"-recursive", map[string]string{"sub/a.hcl": unformattedHCL, ".git/x.hcl": unformattedHCL}, []string{"-recursive", "$D"}, 0,
			"$D/sub/a.hcl\n", "", map[string]string{"sub/a.hcl": formattedHCL, ".git/x.hcl": unformattedHCL}},
		{"named file of any name", map[string]string{"job.txt": unformattedHCL}, []string{"$D/job.txt"}, 0, "$D/job.txt\n", "",
			map[string]string{"job.txt": formattedHCL}},
		{"-write=false -list=false prints", map[string]string{"a.hcl": unformattedHCL}, []string{"-write=false", "-list=false", "$D/a.hcl"}, 0,
			formattedHCL, "", map[string]string{"a.hcl": unformattedHCL}},
		{"missing path", nil, []string{"$D/nope.hcl"}, 1, "", "nope.hcl", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := fmtTree(t, tt.files)
			args := []string{"fmt"}
			for _, a := range tt.args {
				args = append(args, strings.ReplaceAll(a, "$D", dir))
			}
			r := runCLI(context.Background(), t, nil, "", args...)
			stdout := strings.ReplaceAll(r.stdout, dir, "$D")
			stderr := strings.ReplaceAll(r.stderr, dir, "$D")
			if r.code != tt.code || stdout != tt.stdout || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr with %q", r.code, stdout, stderr, tt.code, tt.stdout, tt.stderr)
			}
			for name, want := range tt.wantAfter {
				if got := readFile(t, filepath.Join(dir, name)); got != want {
					t.Errorf("%s after fmt:\n%s\nwant:\n%s", name, got, want)
				}
			}
		})
	}
}

// TestFmtKeepsMode: a rewritten file keeps its permissions.
func TestFmtKeepsMode(t *testing.T) {
	dir := fmtTree(t, map[string]string{"a.hcl": unformattedHCL})
	p := filepath.Join(dir, "a.hcl")
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(context.Background(), t, nil, "", "fmt", p); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("mode after fmt %v (%v), want 0640", fi.Mode().Perm(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("fmt left temporary files: %v", entries)
	}
}

// TestFmtStdin formats stdin to stdout.
func TestFmtStdin(t *testing.T) {
	tests := []struct {
		name, stdin string
		args        []string
		code        int
		stdout      string
	}{
		{"format", unformattedHCL, []string{"fmt", "-"}, 0, formattedHCL},
		{"check unformatted", unformattedHCL, []string{"fmt", "-check", "-"}, 1, "<stdin>\n"},
		{"check formatted", formattedHCL, []string{"fmt", "-check", "-"}, 0, ""},
		{"broken", brokenHCL, []string{"fmt", "-"}, 1, ""},
	}
	for _, tt := range tests {
		r := runCLI(context.Background(), t, nil, tt.stdin, tt.args...)
		if r.code != tt.code || r.stdout != tt.stdout {
			t.Errorf("%s: exit %d, stdout %q; want %d, %q (stderr %s)", tt.name, r.code, r.stdout, tt.code, tt.stdout, r.stderr)
		}
		if tt.code == 1 && tt.name == "broken" && !strings.Contains(r.stderr, "<stdin>:3:13: ") {
			t.Errorf("broken stdin: stderr %q lacks <stdin>:line:col", r.stderr)
		}
	}
}

// TestJobInit writes the example, refuses to overwrite, and the examples
// parse, validate and are formatted.
func TestJobInit(t *testing.T) {
	t.Chdir(t.TempDir())
	r := runCLI(context.Background(), t, nil, "", "job", "init")
	if r.code != 0 || r.stdout != "Example job file written to example.nomad.hcl\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if got := readFile(t, "example.nomad.hcl"); got != string(exampleJob) {
		t.Errorf("written file is not the example")
	}
	if err := os.WriteFile("example.nomad.hcl", []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runCLI(context.Background(), t, nil, "", "job", "init")
	if r.code != 1 || !strings.Contains(r.stderr, "already exists") || readFile(t, "example.nomad.hcl") != "mine" {
		t.Errorf("second init: exit %d, stderr %q: want exit 1 and the file untouched", r.code, r.stderr)
	}
	r = runCLI(context.Background(), t, nil, "", "job", "init", "-short", "web.hcl")
	if r.code != 0 || readFile(t, "web.hcl") != string(exampleJobShort) {
		t.Errorf("init -short web.hcl: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runCLI(context.Background(), t, nil, "", "job", "init", "-json")
	if r.code != 0 || r.stdout != "Example job file written to example.nomad.json\n" {
		t.Fatalf("init -json: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	var fromJSON struct{ Job *drover.Job }
	if err := json.Unmarshal([]byte(readFile(t, "example.nomad.json")), &fromJSON); err != nil || fromJSON.Job == nil || fromJSON.Job.ID != "example" {
		t.Errorf("example.nomad.json is not {\"Job\": {...}} of the example: %v", err)
	}
	r = runCLI(context.Background(), t, nil, "", "job", "init", "a", "b")
	if r.code != 2 {
		t.Errorf("two arguments: exit %d, want 2", r.code)
	}
}

// uncommentExamples turns the example's commented-out blocks (indented
// "#   " lines) into live ones and drops the other comments.
func uncommentExamples(src []byte) []byte {
	var out []string
	for _, line := range strings.Split(string(src), "\n") {
		trimmed := strings.TrimLeft(line, " ")
		indent := line[:len(line)-len(trimmed)]
		switch {
		case indent != "" && strings.HasPrefix(trimmed, "#   "):
			out = append(out, indent+strings.TrimPrefix(trimmed, "#   "))
		case strings.HasPrefix(trimmed, "#"):
		default:
			out = append(out, line)
		}
	}
	return []byte(strings.Join(out, "\n"))
}

// TestInitExamples: each example parses, validates, is formatted, and its
// JSON form parses back to the same job. The blocks the full example shows
// in comments are valid too.
func TestInitExamples(t *testing.T) {
	uncommented := uncommentExamples(exampleJob)
	if bytes.Equal(uncommented, exampleJob) || !bytes.Contains(uncommented, []byte("\n    service {")) {
		t.Fatalf("uncommenting the example changed nothing:\n%s", uncommented)
	}
	res, err := jobspec.ParseWithOptions("uncommented.nomad.hcl", uncommented, jobspec.Options{})
	if err != nil {
		t.Fatalf("the example's commented blocks do not parse: %v", err)
	}
	res.Job.Canonicalize()
	if err := res.Job.Validate(); err != nil {
		t.Errorf("the example's commented blocks are invalid: %v", err)
	}
	for name, src := range map[string][]byte{"example": exampleJob, "short": exampleJobShort} {
		res, err := jobspec.ParseWithOptions(name+".nomad.hcl", src, jobspec.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(res.Warnings) > 0 {
			t.Errorf("%s: warnings %v", name, res.Warnings)
		}
		res.Job.Canonicalize()
		if err := res.Job.Validate(); err != nil {
			t.Errorf("%s: invalid: %v", name, err)
		}
		if got := hclwrite.Format(src); !bytes.Equal(got, src) {
			t.Errorf("%s is not formatted; formatted:\n%s", name, got)
		}
		js, err := exampleContent(name == "short", true)
		if err != nil {
			t.Fatal(err)
		}
		back, err := jobspec.ParseJSON(name+".json", js)
		if err != nil {
			t.Fatalf("%s: JSON form does not parse: %v", name, err)
		}
		back.Canonicalize()
		a, _ := json.Marshal(back)
		b, _ := json.Marshal(res.Job)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: the JSON form differs from the HCL form:\n%s\n%s", name, a, b)
		}
	}
}
