package jobspec

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestFunctions(t *testing.T) {
	tests := []struct {
		expr string
		want any
	}{
		// Strings.
		{`chomp("a\n")`, "a"},
		{`format("%s-%03d", "web", 7)`, "web-007"},
		{`formatlist("%s:80", ["a", "b"])`, []any{"a:80", "b:80"}},
		{`indent(2, "a\nb")`, "a\n  b"},
		{`join("-", ["a", "b"])`, "a-b"},
		{`lower("AbC")`, "abc"},
		{`upper("abc")`, "ABC"},
		{`replace("a.b.c", ".", "/")`, "a/b/c"},
		{`replace("a1b22", "/[0-9]+/", "#")`, "a#b#"},
		{`regex("v([0-9]+)", "v42")`, []any{"42"}},
		{`regexall("[0-9]", "a1b2")`, []any{"1", "2"}},
		{`split(",", "a,b")`, []any{"a", "b"}},
		{`strrev("abc")`, "cba"},
		{`substr("hello", 1, 3)`, "ell"},
		{`title("hello world")`, "Hello World"},
		{`trim("?!a?!", "!?")`, "a"},
		{`trimprefix("web-1", "web-")`, "1"},
		{`trimsuffix("a.hcl", ".hcl")`, "a"},
		{`trimspace("  a ")`, "a"},
		// Collections.
		{`coalesce("", "b")`, "b"},
		{`coalescelist([], ["x"])`, []any{"x"}},
		{`compact(["a", "", "b"])`, []any{"a", "b"}},
		{`concat(["a"], ["b"])`, []any{"a", "b"}},
		{`contains(["a", "b"], "b")`, true},
		{`distinct(["a", "a", "b"])`, []any{"a", "b"}},
		{`element(["a", "b"], 3)`, "b"},
		{`flatten([["a"], ["b", ["c"]]])`, []any{"a", "b", "c"}},
		{`index(["a", "b"], "b")`, int64(1)},
		{`keys({ b = 1, a = 2 })`, []any{"a", "b"}},
		{`length(["a", "b"])`, int64(2)},
		{`length("héllo")`, int64(5)},
		{`length({ a = 1 })`, int64(1)},
		{`lookup({ a = "x" }, "b", "dflt")`, "dflt"},
		{`merge({ a = 1 }, { b = 2 })`, map[string]any{"a": int64(1), "b": int64(2)}},
		{`range(3)`, []any{int64(0), int64(1), int64(2)}},
		{`reverse([1, 2])`, []any{int64(2), int64(1)}},
		{`sort(setintersection(["a", "b"], ["b", "c"]))`, []any{"b"}},
		{`length(setproduct(["a", "b"], [1, 2]))`, int64(4)},
		{`sort(setsubtract(["a", "b"], ["b"]))`, []any{"a"}},
		{`sort(setunion(["b"], ["a"]))`, []any{"a", "b"}},
		{`slice(["a", "b", "c"], 1, 3)`, []any{"b", "c"}},
		{`sort(["b", "a"])`, []any{"a", "b"}},
		{`values({ a = 1, b = 2 })`, []any{int64(1), int64(2)}},
		{`zipmap(["a"], [1])`, map[string]any{"a": int64(1)}},
		{`chunklist(["a", "b", "c"], 2)`, []any{[]any{"a", "b"}, []any{"c"}}},
		// Numbers.
		{`abs(-3)`, int64(3)},
		{`ceil(1.2)`, int64(2)},
		{`floor(1.8)`, int64(1)},
		{`log(8, 2)`, int64(3)},
		{`max(1, 5, 3)`, int64(5)},
		{`min(4, 2)`, int64(2)},
		{`parseint("ff", 16)`, int64(255)},
		{`pow(2, 10)`, int64(1024)},
		{`signum(-7)`, int64(-1)},
		// Encodings.
		{`base64encode("hi")`, "aGk="},
		{`base64decode("aGk=")`, "hi"},
		{`csvdecode("a,b\n1,2\n")`, []any{map[string]any{"a": "1", "b": "2"}}},
		{`jsondecode("{\"a\": [1]}")`, map[string]any{"a": []any{int64(1)}}},
		{`jsonencode({ a = "b" })`, `{"a":"b"}`},
		{`urlencode("a b&c")`, "a+b%26c"},
		// Dates.
		{`formatdate("YYYY-MM-DD", "2024-03-05T10:00:00Z")`, "2024-03-05"},
		{`timeadd("2024-01-01T00:00:00Z", "90m")`, "2024-01-01T01:30:00Z"},
		// Type conversions.
		{`tobool("true")`, true},
		{`tolist(["a"])`, []any{"a"}},
		{`tomap({ a = "b" })`, map[string]any{"a": "b"}},
		{`tonumber("12")`, int64(12)},
		{`length(toset(["a", "a"]))`, int64(1)},
		{`tostring(5)`, "5"},
		// Errors.
		{`try(tonumber("x"), 7)`, int64(7)},
		{`can(tonumber("x"))`, false},
		// Runtime variables are left for the client, function and all.
		{`"${upper("a")}-${NOMAD_TASK_NAME}"`, "A-${NOMAD_TASK_NAME}"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, _, err := configValue(t, langJob("", tt.expr), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestFunctionErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{`base64decode("%%%")`, "not valid Base64"},
		{`index(["a"], "z")`, "not in the list"},
		{`range(100000)`, "more than 1024 values"},
		{`setproduct(range(1000), range(1000))`, "more than 10000 elements"},
		{`tonumber("x")`, "Invalid function argument"},
		{`file("x")`, "the source has no directory"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, _, err := configValue(t, langJob("", tt.expr), Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "job.hcl:7:") {
				t.Fatalf("want an error at job.hcl:7 containing %q, got %v", tt.want, err)
			}
		})
	}
}

func TestFileFunction(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "jobs")
	if err := os.MkdirAll(filepath.Join(dir, "conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "conf/app.conf", "listen ${NOMAD_PORT_http}\n")
	writeFile(t, base, "secret", "s3cret")
	writeFile(t, dir, "big", strings.Repeat("x", MaxIncludedFileSize+1))
	if err := os.WriteFile(filepath.Join(dir, "bin"), []byte{0xff, 0xfe}, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(base, "secret"), filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("conf/app.conf", filepath.Join(dir, "inside")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		expr string
		want any    // the value, when err is ""
		err  string // a substring of the error
	}{
		{expr: `file("conf/app.conf")`, want: "listen ${NOMAD_PORT_http}\n"},
		{expr: `file("./conf/../conf/app.conf")`, err: `(".." is not allowed)`},
		{expr: `file("inside")`, want: "listen ${NOMAD_PORT_http}\n"},
		{expr: `fileexists("conf/app.conf")`, want: true},
		{expr: `fileexists("conf/none")`, want: false},
		{expr: `file("../secret")`, err: `leaves the job file's directory`},
		{expr: `file("` + filepath.Join(base, "secret") + `")`, err: "is absolute"},
		{expr: `file("escape")`, err: `"escape" leaves the job file's directory`},
		{expr: `file("none")`, err: `no file "none"`},
		{expr: `file("big")`, err: "file() reads at most"},
		{expr: `file("bin")`, err: "not UTF-8"},
		{expr: `file("conf")`, err: "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			path := writeFile(t, dir, "job.hcl", langJob("", tt.expr))
			res, err := ParseFileWithOptions(path, Options{})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("want an error containing %q, got %v", tt.err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Job.TaskGroups[0].Tasks[0].Config["v"]; !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}
