package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// result is what one CLI run did.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the CLI in-process against f (nil: an address nobody serves)
// with the test clock, stdin as its input, and returns what it did.
func runCLI(ctx context.Context, t *testing.T, f *fakeAgent, stdin string, args ...string) result {
	t.Helper()
	addr := "http://127.0.0.1:1"
	if f != nil {
		addr = f.srv.URL
	}
	getenv := func(k string) string {
		if k == "DROVER_ADDR" {
			return addr
		}
		return ""
	}
	var out, errb bytes.Buffer
	ctx = withClock(ctx, func() time.Time { return testNow })
	code := Run(ctx, append([]string{"drover"}, args...), getenv, strings.NewReader(stdin), &out, &errb)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// checkGolden compares the run's transcript with testdata/<name>.golden,
// or rewrites the file with -update. Addresses and temporary paths are
// replaced by stable names first.
func checkGolden(t *testing.T, name string, f *fakeAgent, args []string, r result, replace ...string) {
	t.Helper()
	text := fmt.Sprintf("$ drover %s\n--- exit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	if f != nil {
		replace = append(replace, f.srv.URL, "http://agent")
	}
	text = strings.NewReplacer(replace...).Replace(text)
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if string(want) != text {
		t.Errorf("%s: output differs from %s (run with -update to accept):\n--- got\n%s\n--- want\n%s", name, path, text, want)
	}
}

// TestReadCommands runs each read command against the fixture cluster and
// compares the output with its golden file.
func TestReadCommands(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"job_status_list", []string{"job", "status"}, 0},
		{"job_status_list_json", []string{"job", "status", "-json"}, 0},
		{"job_status", []string{"job", "status", "hello"}, 0},
		{"job_status_short", []string{"job", "status", "-short", "hello"}, 0},
		{"job_status_json", []string{"job", "status", "-json", "hello"}, 0},
		{"job_status_ambiguous", []string{"job", "status", "hel"}, 1},
		{"job_status_unknown", []string{"job", "status", "nope"}, 1},
		{"job_status_too_many_args", []string{"job", "status", "a", "b"}, 2},
		{"alloc_status", []string{"alloc", "status", "cb31"}, 0},
		{"alloc_status_short", []string{"alloc", "status", "-short", allocID}, 0},
		{"alloc_status_json", []string{"alloc", "status", "-json", "cb31"}, 0},
		{"alloc_status_ambiguous", []string{"alloc", "status", "cb"}, 1},
		{"alloc_status_missing_arg", []string{"alloc", "status"}, 2},
		{"node_status_list", []string{"node", "status"}, 0},
		{"node_status", []string{"node", "status", "3e5f"}, 0},
		{"node_status_self_verbose", []string{"node", "status", "-self", "-verbose"}, 0},
		{"node_status_ambiguous", []string{"node", "status", "3e"}, 1},
		{"node_status_json", []string{"node", "status", "-json", "3e5"}, 0},
		{"eval_status", []string{"eval", "status", "d3f"}, 0},
		{"eval_status_complete", []string{"eval", "status", evalID}, 0},
		{"eval_status_ambiguous", []string{"eval", "status", "d3"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeAgent(t)
			cluster(f)
			r := runCLI(context.Background(), t, f, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			checkGolden(t, tt.name, f, tt.args, r)
			for _, req := range f.requested() {
				if !strings.HasPrefix(req, "GET ") {
					t.Errorf("a read command sent %s", req)
				}
			}
		})
	}
}

// TestHelp checks that every help is printed to stdout with exit 0, and
// that the usage goes to stderr with exit 2 on misuse.
func TestHelp(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"help_main", []string{"-help"}, 0},
		{"help_none", nil, 2},
		{"help_noun", []string{"job", "-help"}, 0},
		{"help_noun_missing_verb", []string{"alloc"}, 2},
		{"help_unknown", []string{"jbo"}, 2},
		{"help_unknown_verb", []string{"job", "stats"}, 2},
		{"help_unknown_far", []string{"frobnicate"}, 2},
		{"help_bad_flag", []string{"job", "status", "-bogus"}, 2},
	}
	for _, c := range commands() {
		if c.raw != nil {
			continue
		}
		args := append(strings.Fields(c.name), "-help")
		tests = append(tests, struct {
			name string
			args []string
			code int
		}{"help_" + strings.ReplaceAll(c.name, " ", "_"), args, 0})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(context.Background(), t, nil, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d", r.code, tt.code)
			}
			if tt.code == 0 && (r.stdout == "" || r.stderr != "") {
				t.Errorf("help must go to stdout only; stdout %q, stderr %q", r.stdout, r.stderr)
			}
			if tt.code == 2 && (r.stdout != "" || r.stderr == "") {
				t.Errorf("misuse must be reported on stderr only; stdout %q, stderr %q", r.stdout, r.stderr)
			}
			checkGolden(t, tt.name, nil, tt.args, r, "http://127.0.0.1:1", "http://agent")
		})
	}
}

// TestCommandHelpComplete checks that each command documents itself: a
// description, an example, and a usage for each of its flags.
func TestCommandHelpComplete(t *testing.T) {
	env := &Env{Getenv: func(string) string { return "" }}
	for _, c := range commands() {
		if c.raw != nil {
			continue
		}
		if c.synopsis == "" || c.help == "" || c.example == "" {
			t.Errorf("%s: synopsis, help and example are all required", c.name)
		}
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.setup(fs, env)
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.HasSuffix(f.Usage, ".") {
				t.Errorf("%s: flag -%s: usage %q should be a sentence", c.name, f.Name, f.Usage)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	tests := map[string]string{"jbo": "job", "job stat": "job status", "nod": "node", "verison": "version", "zzzzzzzz": ""}
	for in, want := range tests {
		if got := suggest(in); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAgo(t *testing.T) {
	tests := []struct {
		d    string
		want string
	}{
		{"0s", "0s ago"}, {"45s", "45s ago"}, {"63s", "1m3s ago"}, {"1h0m5s", "1h ago"},
		{"2h5m30s", "2h5m ago"}, {"76h", "3d4h ago"}, {"-10s", "10s from now"},
	}
	for _, tt := range tests {
		d, err := time.ParseDuration(tt.d)
		if err != nil {
			t.Fatal(err)
		}
		if got := ago(testNow, testNow.Add(-d).UnixNano()); got != tt.want {
			t.Errorf("ago(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
	if got := ago(testNow, 0); got != "N/A" {
		t.Errorf("ago(0) = %q, want N/A", got)
	}
}

func TestLastLines(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc\n"}, {"a\nb\nc", 2, "b\nc"}, {"a\nb\n", 5, "a\nb\n"}, {"a\nb\n", 0, ""}, {"", 3, ""},
	}
	for _, tt := range tests {
		if got := string(lastLines([]byte(tt.in), tt.n)); got != tt.want {
			t.Errorf("lastLines(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		args     []string
		wantPos  string
		wantJSON bool
	}{
		{[]string{"hello"}, "hello", false},
		{[]string{"-json", "hello"}, "hello", true},
		{[]string{"hello", "-json"}, "hello", true},
		{[]string{"a", "-json", "b"}, "a,b", true},
		{[]string{"--", "-json"}, "-json", false},
		{[]string{"-"}, "-", false},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		asJSON := fs.Bool("json", false, "")
		pos, err := parseInterspersed(fs, tt.args)
		if err != nil || strings.Join(pos, ",") != tt.wantPos || *asJSON != tt.wantJSON {
			t.Errorf("parseInterspersed(%q) = %q, json=%v, %v; want %q, json=%v", tt.args, pos, *asJSON, err, tt.wantPos, tt.wantJSON)
		}
	}
}
