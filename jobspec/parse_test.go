package jobspec

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover"
)

// wrap puts a task body into a minimal job.
func wrap(taskBody string) string {
	return "job \"j\" {\n group \"g\" {\n  task \"t\" {\n   driver = \"mock\"\n" + taskBody + "\n  }\n }\n}\n"
}

// jobWith puts job-level attributes into a minimal job.
func jobWith(attrs string) string {
	return "job \"j\" {\n" + attrs + "\ngroup \"g\" {}\n}\n"
}

func mustParse(t *testing.T, src string) *drover.Job {
	t.Helper()
	job, err := Parse("t.hcl", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v\nsource:\n%s", err, src)
	}
	return job
}

func TestParseMapping(t *testing.T) {
	task := func(j *drover.Job) *drover.Task { return j.TaskGroups[0].Tasks[0] }
	group := func(j *drover.Job) *drover.TaskGroup { return j.TaskGroups[0] }
	tests := []struct {
		name string
		src  string
		get  func(*drover.Job) any
		want any
	}{
		{"job id", wrap(""), func(j *drover.Job) any { return j.ID }, "j"},
		{"job name", jobWith(`name = "N"`), func(j *drover.Job) any { return j.Name }, "N"},
		{"region", jobWith(`region = "eu"`), func(j *drover.Job) any { return j.Region }, "eu"},
		{"namespace", jobWith(`namespace = "ns"`), func(j *drover.Job) any { return j.Namespace }, "ns"},
		{"type", jobWith(`type = "batch"`), func(j *drover.Job) any { return j.Type }, "batch"},
		{"priority", jobWith(`priority = 80`), func(j *drover.Job) any { return j.Priority }, 80},
		{"node_pool", jobWith(`node_pool = "x"`), func(j *drover.Job) any { return j.NodePool }, "x"},
		{"all_at_once", jobWith(`all_at_once = true`), func(j *drover.Job) any { return j.AllAtOnce }, true},
		{"datacenters", jobWith(`datacenters = ["a", "b"]`), func(j *drover.Job) any { return j.Datacenters }, []string{"a", "b"}},
		{"job meta block", jobWith("meta {\n a = \"1\"\n b = 2\n c = true\n}"), func(j *drover.Job) any { return j.Meta },
			map[string]string{"a": "1", "b": "2", "c": "true"}},
		{"job meta attr", jobWith(`meta = { "x.y" = "z" }`), func(j *drover.Job) any { return j.Meta }, map[string]string{"x.y": "z"}},
		{"count default", wrap(""), func(j *drover.Job) any { return group(j).Count }, 1},
		{"count", "job \"j\" {\ngroup \"g\" { count = 7 }\n}", func(j *drover.Job) any { return group(j).Count }, 7},
		{"count zero", "job \"j\" {\ngroup \"g\" { count = 0 }\n}", func(j *drover.Job) any { return group(j).Count }, 0},
		{"group meta", "job \"j\" {\ngroup \"g\" {\nmeta { k = \"v\" }\n}\n}", func(j *drover.Job) any { return group(j).Meta }, map[string]string{"k": "v"}},
		{"group restart", "job \"j\" {\ngroup \"g\" {\nrestart {\nattempts = 1\ninterval = \"1m\"\ndelay = \"5s\"\nmode = \"delay\"\n}\n}\n}",
			func(j *drover.Job) any { return *group(j).RestartPolicy },
			drover.RestartPolicy{Attempts: 1, Interval: time.Minute, Delay: 5 * time.Second, Mode: "delay"}},
		{"group restart partial from service default", "job \"j\" {\ngroup \"g\" {\nrestart {\nattempts = 9\n}\n}\n}",
			func(j *drover.Job) any { return *group(j).RestartPolicy },
			drover.RestartPolicy{Attempts: 9, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: "fail"}},
		{"group network", "job \"j\" {\ngroup \"g\" {\nnetwork {\nmode = \"host\"\nport \"http\" { to = 80 }\nport \"s\" {\nstatic = 22\nhost_network = \"pub\"\n}\n}\n}\n}",
			func(j *drover.Job) any { return *group(j).Networks[0] },
			drover.NetworkResource{Mode: "host",
				ReservedPorts: []drover.Port{{Label: "s", Value: 22, HostNetwork: "pub"}},
				DynamicPorts:  []drover.Port{{Label: "http", To: 80}}}},
		{"ephemeral_disk", "job \"j\" {\ngroup \"g\" {\nephemeral_disk {\nsize = 1000\nsticky = true\nmigrate = true\n}\n}\n}",
			func(j *drover.Job) any { return *group(j).EphemeralDisk }, drover.EphemeralDisk{SizeMB: 1000, Sticky: true, Migrate: true}},
		{"ephemeral_disk default size", "job \"j\" {\ngroup \"g\" {\nephemeral_disk {\nsticky = true\n}\n}\n}",
			func(j *drover.Job) any { return group(j).EphemeralDisk.SizeMB }, drover.DefaultDiskMB},
		{"driver", wrap(""), func(j *drover.Job) any { return task(j).Driver }, "mock"},
		{"user", wrap(`user = "nobody"`), func(j *drover.Job) any { return task(j).User }, "nobody"},
		{"kill_timeout", wrap(`kill_timeout = "1m30s"`), func(j *drover.Job) any { return task(j).KillTimeout }, 90 * time.Second},
		{"kill_signal", wrap(`kill_signal = "SIGUSR1"`), func(j *drover.Job) any { return task(j).KillSignal }, "SIGUSR1"},
		{"leader", wrap(`leader = true`), func(j *drover.Job) any { return task(j).Leader }, true},
		{"env block", wrap("env {\nA = \"1\"\n}"), func(j *drover.Job) any { return task(j).Env }, map[string]string{"A": "1"}},
		{"env attr", wrap(`env = { B = "2" }`), func(j *drover.Job) any { return task(j).Env }, map[string]string{"B": "2"}},
		{"task meta", wrap("meta {\nm = \"x\"\n}"), func(j *drover.Job) any { return task(j).Meta }, map[string]string{"m": "x"}},
		{"resources", wrap("resources {\ncpu = 250\nmemory = 128\nmemory_max = 256\n}"),
			func(j *drover.Job) any { return *task(j).Resources }, drover.Resources{CPU: 250, MemoryMB: 128, MemoryMaxMB: 256}},
		{"resources cores", wrap("resources {\ncores = 2\n}"), func(j *drover.Job) any { return task(j).Resources.Cores }, 2},
		{"resources network", wrap("resources {\nnetwork {\nmbits = 5\nport \"a\" {}\nport \"b\" { static = 8080 }\n}\n}"),
			func(j *drover.Job) any { return *task(j).Resources.Networks[0] },
			drover.NetworkResource{MBits: 5, ReservedPorts: []drover.Port{{Label: "b", Value: 8080}}, DynamicPorts: []drover.Port{{Label: "a"}}}},
		{"task restart inherits group", "job \"j\" {\ngroup \"g\" {\nrestart {\nattempts = 4\nmode = \"delay\"\n}\ntask \"t\" {\ndriver = \"mock\"\nrestart {\ndelay = \"2s\"\n}\n}\n}\n}",
			func(j *drover.Job) any { return *task(j).RestartPolicy },
			drover.RestartPolicy{Attempts: 4, Interval: 30 * time.Minute, Delay: 2 * time.Second, Mode: "delay"}},
		{"logs", wrap("logs {\nmax_files = 2\nmax_file_size = 5\ndisabled = true\n}"),
			func(j *drover.Job) any { return *task(j).LogConfig }, drover.LogConfig{MaxFiles: 2, MaxFileSizeMB: 5, Disabled: true}},
		{"logs partial", wrap("logs {\nmax_files = 2\n}"),
			func(j *drover.Job) any { return *task(j).LogConfig }, drover.LogConfig{MaxFiles: 2, MaxFileSizeMB: drover.DefaultLogMaxFileSizeMB}},
		{"config values", wrap("config {\ns = \"x\"\ni = 3\nf = 2.5\nb = false\nl = [1, \"a\"]\nm = { k = 1 }\n}"),
			func(j *drover.Job) any { return task(j).Config },
			map[string]any{"s": "x", "i": int64(3), "f": 2.5, "b": false, "l": []any{int64(1), "a"}, "m": map[string]any{"k": int64(1)}}},
		{"config blocks", wrap("config {\none { a = 1 }\ntwo { b = 1 }\ntwo { b = 2 }\n}"),
			func(j *drover.Job) any { return task(j).Config },
			map[string]any{"one": map[string]any{"a": int64(1)}, "two": []any{map[string]any{"b": int64(1)}, map[string]any{"b": int64(2)}}}},
		{"null attribute is unset", wrap(`user = null`), func(j *drover.Job) any { return task(j).User }, ""},
		{"two groups in order", `job "j" {` + "\ngroup \"b\" {}\ngroup \"a\" {}\n}",
			func(j *drover.Job) any { return []string{j.TaskGroups[0].Name, j.TaskGroups[1].Name} }, []string{"b", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := mustParse(t, tt.src)
			if got := tt.get(job); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // each must appear in the error text, in this order
	}{
		{"negative count", "job \"j\" {\n group \"g\" { count = -2 }\n}", []string{`t.hcl:2:22: Invalid count; count must not be negative, got -2.`}},
		{"type not a string", `job "j" { type = ["service"]` + "\n" + `group "g" {} }`, []string{`t.hcl:1:18: Incorrect attribute value type; inappropriate value for attribute "type": string required.`}},
		{"bad duration", wrap(`kill_timeout = "30x"`), []string{`t.hcl:5:16: Invalid duration; kill_timeout: "30x" is not a duration`}},
		{"duration not string", wrap(`kill_timeout = 30`), []string{`t.hcl:5:16: Incorrect attribute value type`}},
		{"bad restart mode", wrap("restart {\nmode = \"dely\"\n}"), []string{`t.hcl:6:8: Invalid mode; mode "dely" is not one of "fail", "delay". Did you mean "delay"?`}},
		{"no job", ``, []string{`t.hcl:1:1: Missing job block`}},
		{"two jobs", "job \"a\" {\ngroup \"g\" {}\n}\njob \"b\" {\ngroup \"g\" {}\n}", []string{`t.hcl:4:1: Duplicate job block`}},
		{"no group", `job "a" {}`, []string{`t.hcl:1:1: Missing group block`}},
		{"duplicate group", `job "a" {` + "\n" + `group "g" {}` + "\n" + `group "g" {}` + "\n}", []string{`t.hcl:3:7: Duplicate group; a group named "g" is already defined at line 2`}},
		{"duplicate task", "job \"a\" {\ngroup \"g\" {\ntask \"t\" {}\ntask \"t\" {}\n}\n}", []string{`t.hcl:4:6: Duplicate task`}},
		{"did you mean block", `job "a" {` + "\n  grup \"x\" {}\n" + `group "g" {} }`, []string{`t.hcl:2:3: Unsupported block type; blocks of type "grup" are not expected here. Did you mean "group"?`}},
		{"did you mean attribute", `job "a" {` + "\n  datacentres = []\n" + `group "g" {} }`, []string{`t.hcl:2:3: Unsupported argument; an argument named "datacentres" is not expected here. Did you mean "datacenters"?`}},
		{"no suggestion when far", `job "a" {` + "\n  zzzzzz {}\n" + `group "g" {} }`, []string{`blocks of type "zzzzzz" are not expected here.`}},
		{"unsupported connect", wrap("service {\nname = \"x\"\nconnect {}\n}"), []string{`t.hcl:7:1: Unsupported block; block "connect" is not supported yet by drover`}},
		{"unsupported multiregion", `job "a" {` + "\n multiregion {}\n" + `group "g" {}` + "\n}", []string{`t.hcl:2:2: Unsupported block; block "multiregion" is not supported yet by drover`}},
		{"unsupported csi_plugin", wrap(`csi_plugin {}`), []string{`block "csi_plugin" is not supported yet by drover`}},
		{"syntax error", `job "a" {`, []string{`t.hcl:1:`}},
		{"all together", `job "a" {` + "\n type = 1\n group \"g\" {\n  count = -1\n  tsk \"x\" {}\n }\n}",
			[]string{`t.hcl:2:9: Incorrect attribute value type`, `t.hcl:4:11: Invalid count`, `t.hcl:5:3: Unsupported block type; blocks of type "tsk" are not expected here. Did you mean "task"?`}},
		{"count not whole", "job \"j\" {\ngroup \"g\" { count = 1.5 }\n}", []string{`count must be a whole number from 0 to`}},
		{"port static not number", wrap("resources {\nnetwork {\nport \"a\" { static = \"80\" }\n}\n}"), []string{`inappropriate value for attribute "static": number required.`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, err := Parse("t.hcl", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want an error", job)
			}
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %T is not a *jobspec.Error: %v", err, err)
			}
			if !errors.Is(err, drover.ErrInvalid) {
				t.Errorf("error is not of kind ErrInvalid")
			}
			text := err.Error()
			rest := text
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error text lacks %q (in order)\nfull text:\n%s", w, text)
				}
				rest = rest[i+len(w):]
			}
			if got := strings.Count(text, "\n") + 1; got != len(perr.Diagnostics()) {
				t.Errorf("Error() has %d lines for %d diagnostics", got, len(perr.Diagnostics()))
			}
		})
	}
}

func TestTooManyErrors(t *testing.T) {
	src := wrap("config {\n" + strings.Repeat("a = 1\n", MaxDiagnostics+11) + "}")
	_, err := Parse("t.hcl", []byte(src))
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("got %v, want *Error", err)
	}
	diags := perr.Diagnostics()
	if len(diags) != MaxDiagnostics+1 {
		t.Fatalf("got %d diagnostics, want %d", len(diags), MaxDiagnostics+1)
	}
	if last := diags[len(diags)-1]; last.Summary != "Too many errors" || !strings.Contains(last.Detail, "10 more errors") {
		t.Errorf("last diagnostic = %+v", last)
	}
}

func TestDiagnosticsFields(t *testing.T) {
	_, err := Parse("hello.hcl", []byte("job \"hello\" {\n  group \"g\" {}\n    grup \"x\" {}\n}\n"))
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("got %v, want *Error", err)
	}
	want := []Diagnostic{{File: "hello.hcl", Line: 3, Column: 5, Summary: "Unsupported block type",
		Detail: `Blocks of type "grup" are not expected here. Did you mean "group"?`}}
	if !reflect.DeepEqual(perr.Diagnostics(), want) {
		t.Errorf("Diagnostics() = %+v, want %+v", perr.Diagnostics(), want)
	}
	if got, w := err.Error(), `hello.hcl:3:5: Unsupported block type; blocks of type "grup" are not expected here. Did you mean "group"?`; got != w {
		t.Errorf("Error() = %q, want %q", got, w)
	}
}

// TestInterpolationPreserved checks that runtime interpolations come out of
// the parser as exactly the characters the client will interpolate.
func TestInterpolationPreserved(t *testing.T) {
	tests := []struct{ hcl, want string }{
		{`"${NOMAD_ALLOC_ID}"`, "${NOMAD_ALLOC_ID}"},
		{`"${attr.unique.hostname}"`, "${attr.unique.hostname}"},
		{`"${node.datacenter}"`, "${node.datacenter}"},
		{`"${meta.foo}"`, "${meta.foo}"},
		{`"${NOMAD_PORT_http}"`, "${NOMAD_PORT_http}"},
		{`"${env.HOME}"`, "${env.HOME}"},
		{`"${DROVER_TASK_DIR}"`, "${DROVER_TASK_DIR}"},
		{`"--port=${NOMAD_PORT_http}"`, "--port=${NOMAD_PORT_http}"},
		{`"${NOMAD_IP_a}:${NOMAD_PORT_a}/x"`, "${NOMAD_IP_a}:${NOMAD_PORT_a}/x"},
		{`"${meta.a}${meta.b}"`, "${meta.a}${meta.b}"},
		{`"${ attr.x }"`, "${attr.x}"},
		{`"${env["X-Y"]}"`, `${env["X-Y"]}`},
		{`"${node.class}"`, "${node.class}"},
		{`"${unknown_root}"`, "${unknown_root}"},
		{`"$${literal}"`, "${literal}"},
		{`"$NOMAD_ALLOC_ID"`, "$NOMAD_ALLOC_ID"},
		{`"100%"`, "100%"},
		{`"x${2 * 3}"`, "x6"},
		{`"%{ if false }${meta.a}%{ else }${meta.b}%{ endif }"`, "${meta.b}"},
		{`"${true ? meta.a : meta.b}"`, "${meta.a}"},
		{`"a${"b"}c"`, "abc"},
		{`attr.kernel.name`, "${attr.kernel.name}"},
		{"<<EOT\necho ${NOMAD_ALLOC_ID} $HOME\nEOT\n", "echo ${NOMAD_ALLOC_ID} $HOME\n"},
		{"<<-EOT\n    x=${meta.x}\n      y\n    EOT\n", "x=${meta.x}\n  y\n"},
		{`"%{ if true }yes ${NOMAD_ALLOC_ID}%{ endif }"`, "yes ${NOMAD_ALLOC_ID}"},
	}
	for _, tt := range tests {
		t.Run(tt.hcl, func(t *testing.T) {
			for _, place := range []struct {
				body string
				get  func(*drover.Task) any
			}{
				{"config {\nv = " + tt.hcl + "\n}", func(t *drover.Task) any { return t.Config["v"] }},
				{"env {\nV = " + tt.hcl + "\n}", func(t *drover.Task) any { return t.Env["V"] }},
				{"config {\nv = [" + strings.TrimSuffix(tt.hcl, "\n") + "\n]\n}", func(t *drover.Task) any { return t.Config["v"].([]any)[0] }},
			} {
				job := mustParse(t, wrap(place.body))
				if got := place.get(job.TaskGroups[0].Tasks[0]); got != tt.want {
					t.Errorf("in %q: got %q, want %q", place.body, got, tt.want)
				}
			}
		})
	}
}

func TestSizeLimit(t *testing.T) {
	big := wrap("meta { a = \"" + strings.Repeat("x", MaxFileSize) + "\" }")
	_, err := Parse("big.hcl", []byte(big))
	if err == nil || !strings.Contains(err.Error(), "big.hcl:1:1: Job file too large") {
		t.Fatalf("got %v, want a size error", err)
	}
	path := filepath.Join(t.TempDir(), "big.hcl")
	if err := os.WriteFile(path, []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseFile(path); err == nil || !strings.Contains(err.Error(), "Job file too large") {
		t.Fatalf("ParseFile: got %v, want a size error", err)
	}
	// A file of exactly the limit passes the limits (parsing it whole is
	// slow under -race, and the parser's part is covered elsewhere).
	pad := MaxFileSize - len(wrap("meta { a = \"\" }"))
	if diags := checkLimits("ok.hcl", []byte(wrap("meta { a = \""+strings.Repeat("x", pad)+"\" }"))); diags.HasErrors() {
		t.Fatalf("file at the limit: %v", diags)
	}
}

func TestDepthLimit(t *testing.T) {
	n := 200000
	tests := []struct {
		name, src string
	}{
		{"blocks", wrap("config {\n" + strings.Repeat("a {\n", n) + strings.Repeat("}\n", n) + "}")},
		{"tuples", wrap("config {\nv = " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n}")},
		{"objects", wrap("config {\nv = " + strings.Repeat("{a = ", n) + "1" + strings.Repeat("}", n) + "\n}")},
		{"parens", wrap("config {\nv = " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n) + "\n}")},
		{"unary", wrap("config {\nv = " + strings.Repeat("!", n) + "true\n}")},
		{"minus", wrap("config {\nv = " + strings.Repeat("- ", n) + "1\n}")},
		{"ternary", wrap("config {\nv = " + strings.Repeat("true ? 1 : ", n) + "2\n}")},
		{"interpolation", wrap("config {\nv = " + strings.Repeat(`"${`, n) + "1" + strings.Repeat(`}"`, n) + "\n}")},
		{"directives", wrap("config {\nv = \"" + strings.Repeat("%{if true}", n) + strings.Repeat("%{endif}", n) + "\"\n}")},
		{"heredoc interpolation", wrap("config {\nv = <<EOT\n" + strings.Repeat("${(", n) + "\nEOT\n}")},
		{"unterminated", strings.Repeat("{", n)},
		{"ternary lines in interpolation", wrap("config {\nv = \"${" + strings.Repeat("true ? 1 :\n", n) + "2}\"\n}")},
		{"ternary lines in parens", wrap("config {\nv = (" + strings.Repeat("true ? 1 :\n", n) + "2)\n}")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := Parse("deep.hcl", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), "Nesting too deep") {
				t.Fatalf("got %.300v, want a nesting error", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("refusing took %s", d)
			}
		})
	}
	// Reasonable nesting is fine.
	ok := wrap("config {\nv = " + strings.Repeat("[", 20) + strings.Repeat("]", 20) + "\nw = [for x in [1] : x ? 1 : 2 ? 3 : 4]\n}")
	if _, err := Parse("ok.hcl", []byte(ok)); err != nil && strings.Contains(err.Error(), "Nesting") {
		t.Fatalf("shallow nesting refused: %v", err)
	}
	long := wrap("config {\nv = [" + strings.Repeat("true ? 1 : 2, ", 1000) + "]\nw = \"" + strings.Repeat("%{if true}x%{endif}", 1000) + "\"\n}")
	if _, err := Parse("ok.hcl", []byte(long)); err != nil {
		t.Fatalf("many flat ternaries or directives refused: %v", err)
	}
}

// TestExamples checks that every job file under examples/ parses,
// canonicalizes and validates.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob("../examples/*.hcl")
	if err != nil || len(files) < 3 {
		t.Fatalf("examples: %v %v", files, err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			job, err := ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			job.Canonicalize()
			if err := job.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
	job, err := ParseFile("../examples/hello.hcl")
	if err != nil {
		t.Fatal(err)
	}
	task := job.TaskGroups[0].Tasks[0]
	if job.ID != "hello" || job.Type != drover.JobTypeService || task.Driver != "raw_exec" ||
		task.Resources.CPU != 50 || task.Resources.MemoryMB != 32 || job.TaskGroups[0].Count != 1 {
		t.Errorf("hello.hcl is not the documented job: %+v / %+v", job, task)
	}
	if args := task.Config["args"].([]any); !strings.Contains(args[1].(string), "hello from $NOMAD_ALLOC_ID") {
		t.Errorf("hello args = %q", args)
	}
}

func TestParseFileMissing(t *testing.T) {
	if _, err := ParseFile(filepath.Join(t.TempDir(), "nope.hcl")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v, want a not-exist error", err)
	}
}
