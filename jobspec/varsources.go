package jobspec

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"
)

// Where variable values come from besides defaults, in increasing
// precedence: the environment, -var-file files, -var flags.

// Environment variable prefixes that set a variable; DROVER_VAR_ wins over
// NOMAD_VAR_ when both are set.
const (
	nomadVarPrefix  = "NOMAD_VAR_"
	droverVarPrefix = "DROVER_VAR_"
)

// assignFromEnv gives variables their values from NOMAD_VAR_<name> and then
// DROVER_VAR_<name>. Entries naming no declared variable are ignored: the
// environment is shared by every job.
func (d *decoder) assignFromEnv(s *languageScope, environ []string) {
	for _, prefix := range []string{nomadVarPrefix, droverVarPrefix} {
		for _, kv := range environ {
			key, raw, ok := strings.Cut(kv, "=")
			if !ok || !strings.HasPrefix(key, prefix) {
				continue
			}
			v := s.varByName[strings.TrimPrefix(key, prefix)]
			if v == nil {
				continue
			}
			d.assignRaw(v, raw, "<"+key+">", "value of environment variable "+key)
		}
	}
}

// assignFromFlag applies one -var name=value.
func (d *decoder) assignFromFlag(s *languageScope, kv string) {
	name, raw, ok := strings.Cut(kv, "=")
	file := "<-var " + name + ">"
	if !ok || name == "" {
		d.errorf(flagRange(file), "Invalid -var option", "%q is not name=value; use -var name=value.", kv)
		return
	}
	v := s.varByName[name]
	if v == nil {
		hint := didYouMean(name, s)
		if hint == "" {
			hint = fmt.Sprintf(" Declare it with a variable %q block.", name)
		}
		d.errorf(flagRange(file), "Undeclared variable", "-var %q: the job file declares no variable %q.%s", name, name, hint)
		return
	}
	d.assignRaw(v, raw, file, "-var value")
}

func flagRange(file string) hcl.Range {
	return hcl.Range{Filename: file, Start: hcl.InitialPos, End: hcl.InitialPos}
}

func didYouMean(name string, s *languageScope) string {
	names := make([]string, len(s.vars))
	for i, v := range s.vars {
		names[i] = v.name
	}
	if sg := suggest(name, names); sg != "" {
		return fmt.Sprintf(" Did you mean %q?", sg)
	}
	return ""
}

// assignRaw sets v from a string given outside any file (-var or the
// environment). As in Nomad and Terraform, the string is the value for a
// variable of a primitive type or of no type (converted, so "8080" is a
// number for a number variable); for a collection or structural type it is
// an HCL expression, like ["a", "b"] or { x = 1 }.
func (d *decoder) assignRaw(v *variable, raw, file, source string) {
	if v.typ.IsPrimitiveType() || v.typ == cty.DynamicPseudoType {
		v.value, v.set = d.convertVar(v, cty.StringVal(raw), flagRange(file), source), true
		return
	}
	src := []byte(raw)
	if diags := checkLimits(file, src); diags.HasErrors() {
		d.diags = append(d.diags, diags...)
		v.value, v.set = cty.DynamicVal, true
		return
	}
	expr, diags := hclsyntax.ParseExpression(src, file, hcl.InitialPos)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() {
		v.value, v.set = cty.DynamicVal, true
		return
	}
	val, diags := expr.Value(nil)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() {
		v.value, v.set = cty.DynamicVal, true
		return
	}
	v.value, v.set = d.convertVar(v, val, expr.Range(), source), true
}

// assignFromFile applies a -var-file: HCL name = value lines, or a JSON
// object when the name ends in .json. Values are literals: no variables,
// no functions. A name the job does not declare is a warning, since one
// variables file often serves several jobs.
func (d *decoder) assignFromFile(s *languageScope, path string) {
	src, diags := readVarFile(path)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() {
		return
	}
	var body hcl.Body
	if strings.EqualFold(filepath.Ext(path), ".json") {
		if diags := jsonLimits(path, src); diags.HasErrors() {
			d.diags = append(d.diags, diags...)
			return
		}
		f, diags := hcljson.Parse(src, path)
		d.diags = append(d.diags, diags...)
		if diags.HasErrors() || f == nil {
			return
		}
		body = f.Body
	} else {
		if diags := checkLimits(path, src); diags.HasErrors() {
			d.diags = append(d.diags, diags...)
			return
		}
		f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
		d.diags = append(d.diags, diags...)
		if diags.HasErrors() || f == nil {
			return
		}
		body = f.Body
	}
	attrs, diags := body.JustAttributes()
	d.diags = append(d.diags, diags...)
	for _, a := range sortedHCLAttrs(attrs) {
		v := s.varByName[a.Name]
		if v == nil {
			d.warnf(a.NameRange, "Undeclared variable", "The variables file sets %q, which the job file does not declare; it is ignored.%s",
				a.Name, didYouMean(a.Name, s))
			continue
		}
		val, diags := a.Expr.Value(nil)
		d.diags = append(d.diags, diags...)
		if diags.HasErrors() {
			v.value, v.set = cty.DynamicVal, true
			continue
		}
		v.value, v.set = d.convertVar(v, val, a.Expr.Range(), "value in "+path), true
	}
}

func sortedHCLAttrs(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Range.Start.Byte < out[j].Range.Start.Byte })
	return out
}

// readVarFile reads a -var-file, refusing one over MaxFileSize.
func readVarFile(path string) ([]byte, hcl.Diagnostics) {
	fail := func(format string, args ...any) ([]byte, hcl.Diagnostics) {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read variables file",
			Detail: fmt.Sprintf(format, args...), Subject: flagRange(path).Ptr()}}
	}
	f, err := os.Open(path)
	if err != nil {
		return fail("%v.", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fail("%v.", err)
	}
	if fi.Size() > MaxFileSize {
		return nil, tooLarge(path, fi.Size())
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return fail("%v.", err)
	}
	return src, nil
}
