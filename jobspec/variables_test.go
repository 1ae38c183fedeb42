package jobspec

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/drover-sh/drover"
)

// langJob wraps decls (variables, locals) and a job whose task config holds
// v = expr, so a test can read the value expr evaluated to.
func langJob(decls, expr string) string {
	return decls + `
job "j" {
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        v = ` + expr + `
      }
    }
  }
}
`
}

// configValue parses src and returns the task config's v.
func configValue(t *testing.T, src string, opts Options) (any, *Result, error) {
	t.Helper()
	res, err := ParseWithOptions("job.hcl", []byte(src), opts)
	if err != nil {
		return nil, nil, err
	}
	return res.Job.TaskGroups[0].Tasks[0].Config["v"], res, nil
}

// writeFile writes content to dir/name and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestVariableSources(t *testing.T) {
	dir := t.TempDir()
	hclFile := writeFile(t, dir, "a.hcl", "port = 7070\nnames = [\"x\", \"y\"]\n")
	jsonFile := writeFile(t, dir, "b.json", `{"port": 6060}`)
	portDecl := `variable "port" {
  type    = number
  default = 8080
}
`
	tests := []struct {
		name  string
		decls string
		expr  string
		opts  Options
		want  any
	}{
		{"default", portDecl, "var.port", Options{}, int64(8080)},
		{"NOMAD_VAR env", portDecl, "var.port", Options{Environ: []string{"NOMAD_VAR_port=9090", "PATH=/bin"}}, int64(9090)},
		{"DROVER_VAR beats NOMAD_VAR", portDecl, "var.port",
			Options{Environ: []string{"DROVER_VAR_port=9191", "NOMAD_VAR_port=9090"}}, int64(9191)},
		{"var-file beats env", portDecl, "var.port",
			Options{Environ: []string{"NOMAD_VAR_port=9090"}, VarFiles: []string{hclFile}}, int64(7070)},
		{"json var-file", portDecl, "var.port", Options{VarFiles: []string{jsonFile}}, int64(6060)},
		{"later var-file wins", portDecl, "var.port", Options{VarFiles: []string{hclFile, jsonFile}}, int64(6060)},
		{"-var beats var-file", portDecl, "var.port",
			Options{VarFiles: []string{hclFile}, Vars: []string{"port=5050"}, Environ: []string{"NOMAD_VAR_port=9090"}}, int64(5050)},
		{"later -var wins", portDecl, "var.port", Options{Vars: []string{"port=1", "port=2"}}, int64(2)},
		{"string -var kept verbatim", `variable "s" { type = string }`, "var.s",
			Options{Vars: []string{"s=hello = world [1]"}}, "hello = world [1]"},
		{"untyped -var is a string", `variable "s" {}`, "var.s", Options{Vars: []string{"s=8080"}}, "8080"},
		{"bool -var converted", `variable "b" { type = bool }`, "var.b", Options{Vars: []string{"b=true"}}, true},
		{"list -var is an expression", `variable "l" { type = list(string) }`, "var.l",
			Options{Vars: []string{`l=["a", "b"]`}}, []any{"a", "b"}},
		{"map env is an expression", `variable "m" { type = map(number) }`, "var.m",
			Options{Environ: []string{`NOMAD_VAR_m={ a = 1 }`}}, map[string]any{"a": int64(1)}},
		{"list from var-file", `variable "names" { type = list(string) }
variable "port" { default = 1 }`, "var.names", Options{VarFiles: []string{hclFile}}, []any{"x", "y"}},
		{"object optional defaults", `variable "o" {
  type    = object({ a = string, b = optional(number, 3) })
  default = { a = "x" }
}`, "var.o", Options{}, map[string]any{"a": "x", "b": int64(3)}},
		{"default converted to type", `variable "n" {
  type    = number
  default = "42"
}`, "var.n", Options{}, int64(42)},
		{"older variables block", `variables {
  region = "eu"
  count  = 2
}`, `"${var.region}-${var.count}"`, Options{Vars: []string{"count=3"}}, "eu-3"},
		{"runtime interpolation kept beside var", portDecl, `"${var.port}-${NOMAD_ALLOC_INDEX}"`, Options{}, "8080-${NOMAD_ALLOC_INDEX}"},
		{"var in directive", portDecl, `"%{ if var.port > 80 }high%{ else }low%{ endif }:${NOMAD_PORT_http}"`, Options{}, "high:${NOMAD_PORT_http}"},
		{"sensitive and description accepted", `variable "token" {
  type        = string
  description = "the token"
  sensitive   = true
  default     = "t0"
}`, "var.token", Options{}, "t0"},
		{"validation passes", `variable "port" {
  type    = number
  default = 8080
  validation {
    condition     = var.port > 1024
    error_message = "The port must be above 1024."
  }
}`, "var.port", Options{}, int64(8080)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := configValue(t, langJob(tt.decls, tt.expr), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestVariableErrors(t *testing.T) {
	dir := t.TempDir()
	badFile := writeFile(t, dir, "bad.hcl", "port = \"abc\"\n")
	tests := []struct {
		name  string
		decls string
		expr  string
		opts  Options
		want  []string // substrings of the error, positions included
	}{
		{"required", `variable "x" {
  type = string
}`, "var.x", Options{}, []string{`job.hcl:1:1: Missing variable value; variable "x" is required: set it with -var x=..., -var-file, or NOMAD_VAR_x.`}},
		{"undeclared -var with suggestion", `variable "port" { default = 1 }`, "var.port", Options{Vars: []string{"prot=2"}},
			[]string{`<-var prot>:1:1: Undeclared variable`, `Did you mean "port"?`}},
		{"-var without =", `variable "port" { default = 1 }`, "var.port", Options{Vars: []string{"port"}},
			[]string{`Invalid -var option; "port" is not name=value`}},
		{"-var not a number", `variable "port" { type = number }`, "var.port", Options{Vars: []string{"port=abc"}},
			[]string{`<-var port>:1:1: Invalid value for variable; the -var value of variable "port" does not fit its type number`}},
		{"env not a bool", `variable "b" { type = bool }`, "var.b", Options{Environ: []string{"NOMAD_VAR_b=maybe"}},
			[]string{`<NOMAD_VAR_b>:1:1: Invalid value for variable`, "does not fit its type bool"}},
		{"var-file value not a number", `variable "port" { type = number }`, "var.port", Options{VarFiles: []string{badFile}},
			[]string{badFile + `:1:8: Invalid value for variable`}},
		{"missing var-file", `variable "port" { default = 1 }`, "var.port", Options{VarFiles: []string{filepath.Join(dir, "nope.hcl")}},
			[]string{"Cannot read variables file"}},
		{"default of the wrong type", `variable "l" {
  type    = list(number)
  default = ["a"]
}`, "var.l", Options{}, []string{`job.hcl:3:13: Invalid value for variable; the default of variable "l" does not fit its type list(number): value[0]: a number is required.`}},
		{"validation fails at its condition", `variable "port" {
  type    = number
  default = 80
  validation {
    condition     = var.port > 1024
    error_message = "The port must be above 1024."
  }
}`, "var.port", Options{}, []string{`job.hcl:5:21: Invalid value for variable; variable "port": The port must be above 1024.`}},
		{"validation of a -var", `variable "env" {
  type = string
  validation {
    condition     = contains(["dev", "prod"], var.env)
    error_message = "env is dev or prod."
  }
}`, "var.env", Options{Vars: []string{"env=qa"}}, []string{`job.hcl:4:21: Invalid value for variable; variable "env": env is dev or prod.`}},
		{"validation refers to another variable", `variable "a" { default = 1 }
variable "b" {
  default = 2
  validation {
    condition     = var.b > var.a
    error_message = "b above a."
  }
}`, "var.b", Options{}, []string{`job.hcl:5:29: Invalid reference in variable validation; the condition of a validation of variable "b" may refer only to var.b.`}},
		{"validation without message", `variable "p" {
  default = 1
  validation {
    condition = true
  }
}`, "var.p", Options{}, []string{"Missing error_message"}},
		{"unknown attribute", `variable "p" {
  tpye = string
}`, "1", Options{}, []string{`job.hcl:2:3: Unsupported argument`, `Did you mean "type"?`}},
		{"bad type", `variable "p" {
  type = strng
}`, "1", Options{}, []string{`job.hcl:2:10: Invalid type specification`}},
		{"duplicate variable", `variable "p" { default = 1 }
variable "p" { default = 2 }`, "1", Options{}, []string{`job.hcl:2:1: Duplicate variable`}},
		{"default refers to a variable", `variable "a" { default = 1 }
variable "b" { default = var.a }`, "1", Options{}, []string{`job.hcl:2:26: Variables not allowed`}},
		{"misspelt reference", `variable "port" { default = 1 }`, "var.prot", Options{},
			[]string{`job.hcl:7:16: Reference to undeclared variable; no variable "prot" is declared. Did you mean "port"?`}},
		{"unknown function", ``, `uper("x")`, Options{}, []string{`Call to unknown function`, `Did you mean "upper"?`}},
		{"every problem reported", `variable "a" {}
variable "b" {}`, "1", Options{}, []string{`job.hcl:1:1: Missing variable value`, `job.hcl:2:1: Missing variable value`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := configValue(t, langJob(tt.decls, tt.expr), tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, drover.ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestVarFileUndeclaredIsAWarning(t *testing.T) {
	f := writeFile(t, t.TempDir(), "v.hcl", "prot = 1\n")
	got, res, err := configValue(t, langJob(`variable "port" { default = 8 }`, "var.port"), Options{VarFiles: []string{f}})
	if err != nil {
		t.Fatal(err)
	}
	if got != int64(8) {
		t.Errorf("got %v", got)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].String(), `v.hcl:1:1: Undeclared variable`) ||
		!strings.Contains(res.Warnings[0].Detail, `Did you mean "port"?`) {
		t.Errorf("warnings: %v", res.Warnings)
	}
}

func TestLocals(t *testing.T) {
	tests := []struct {
		name  string
		decls string
		expr  string
		want  any
	}{
		{"dependency order across blocks", `variable "x" { default = "x" }
locals { c = "${local.b}-c" }
locals {
  b = "${local.a}-b"
  a = var.x
}`, "local.c", "x-b-c"},
		{"functions", `locals { names = [for n in ["a", "b"] : upper(n)] }`, `join(",", local.names)`, "A,B"},
		{"runtime interpolation kept", `variable "port" { default = 8080 }
locals { addr = "${NOMAD_IP_http}:${var.port}" }`, "local.addr", "${NOMAD_IP_http}:8080"},
		{"structured", `locals {
  ports = { http = 80, https = 443 }
}`, "local.ports.https", int64(443)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := configValue(t, langJob(tt.decls, tt.expr), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestLocalErrors(t *testing.T) {
	tests := []struct {
		name  string
		decls string
		want  []string
	}{
		{"cycle", `locals {
  a = local.b
  b = "${local.a}"
}`, []string{`job.hcl:3:3: Cycle in locals; the locals refer to each other in a cycle: local.a → local.b → local.a.`}},
		{"self", `locals {
  a = local.a + 1
}`, []string{`job.hcl:2:3: Cycle in locals`, `local.a → local.a`}},
		{"duplicate", `locals { a = 1 }
locals { a = 2 }`, []string{`job.hcl:2:10: Duplicate local value`}},
		{"unknown local", `locals { a = 1 }
locals { b = local.c }`, []string{`job.hcl:2:19: Reference to undeclared local value; no local value "c" is defined.`}},
		{"block inside locals", `locals {
  x { }
}`, []string{`job.hcl:2:3: Unsupported block type`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := configValue(t, langJob(tt.decls, "1"), Options{})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestHeredocs(t *testing.T) {
	decls := `variable "name" { default = "web" }`
	tests := []struct {
		name, expr string
		want       any
	}{
		{"plain", "<<EOF\nname=${var.name}\nalloc=${NOMAD_ALLOC_ID}\nEOF\n", "name=web\nalloc=${NOMAD_ALLOC_ID}\n"},
		{"indented", "<<-EOF\n    host=${attr.unique.hostname}\n      dc=${upper(var.name)}\n    EOF\n", "host=${attr.unique.hostname}\n  dc=WEB\n"},
		{"directive", "<<EOF\n%{ for p in [80, 443] }port ${p}\n%{ endfor }on ${NOMAD_IP_http}\nEOF\n", "port 80\nport 443\non ${NOMAD_IP_http}\n"},
		{"escaped", "<<EOF\n$${NOMAD_ALLOC_ID} ${var.name}\nEOF\n", "${NOMAD_ALLOC_ID} web\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := configValue(t, langJob(decls, tt.expr), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
