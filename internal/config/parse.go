package config

import (
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Keys of Nomad's agent configuration that drover accepts but does not act
// on yet. Each is reported as a warning naming where it was set.
var (
	unbuiltTop = schemaOf(
		[]string{"plugin_dir", "log_file", "log_rotate_bytes", "log_rotate_duration", "log_rotate_max_files",
			"log_include_location", "enable_debug", "leave_on_interrupt", "leave_on_terminate", "enable_syslog",
			"syslog_facility", "disable_update_check", "disable_anonymous_signature", "http_api_response_headers"},
		[]string{"advertise", "acl", "audit", "telemetry", "consul", "vault", "tls", "limits", "sentinel", "ui",
			"reporting", "keyring", "dns", "autopilot"})
	unbuiltServer = schemaOf(
		[]string{"rejoin_after_leave", "retry_join", "retry_interval", "retry_max", "start_join", "encrypt",
			"raft_protocol", "raft_multiplier", "node_gc_threshold", "job_gc_interval", "job_gc_threshold",
			"eval_gc_threshold", "deployment_gc_threshold", "failover_heartbeat_ttl",
			"enabled_schedulers", "license_path", "authoritative_region", "non_voting_server", "redundancy_zone",
			"upgrade_version", "raft_snapshot_threshold", "raft_snapshot_interval", "raft_trailing_logs"},
		[]string{"server_join", "default_scheduler_config", "plan_rejection_tracker"})
	unbuiltClient = schemaOf(
		[]string{"network_speed", "cpu_total_compute", "memory_total_mb", "disk_total_mb", "disk_free_mb",
			"no_host_uuid", "cni_path", "cni_config_dir",
			"bridge_network_name", "bridge_network_subnet", "options", "cgroup_parent",
			"host_network_interface"},
		[]string{"server_join", "host_network", "template", "drain_on_shutdown"})
)

func schemaOf(attrs, blocks []string) *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, a := range attrs {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: a})
	}
	for _, b := range blocks {
		s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: b, LabelNames: labelsOf(b)})
	}
	return s
}

func labelsOf(block string) []string {
	switch block {
	case "host_network":
		return []string{"name"}
	}
	return nil
}

// LoadPaths reads each path (a file, or a directory whose *.hcl files are
// read in name order) and merges them in order onto base.
func LoadPaths(base *Config, paths []string) error {
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("config: %w", err)
		}
		files := []string{p}
		if fi.IsDir() {
			matches, err := filepath.Glob(filepath.Join(p, "*.hcl"))
			if err != nil {
				return fmt.Errorf("config: %w", err)
			}
			sort.Strings(matches)
			files = matches
		}
		for _, f := range files {
			c, err := ParseFile(f)
			if err != nil {
				return err
			}
			base.Merge(c)
		}
	}
	return nil
}

// ParseFile parses one agent config file.
func ParseFile(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, src)
}

// Parse parses agent config source. Every error names file:line:col; all of
// a file's errors are reported together.
func Parse(filename string, src []byte) (*Config, error) {
	const maxConfigBytes = 1 << 20
	if len(src) > maxConfigBytes {
		return nil, fmt.Errorf("%s: config file is %d bytes, over the limit of %d", filename, len(src), maxConfigBytes)
	}
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	c := &Config{}
	diags = gohcl.DecodeBody(file.Body, nil, c)
	var warns []string
	check := func(where string, body hcl.Body, unbuilt *hcl.BodySchema, built any, extra ...hcl.BlockHeaderSchema) {
		if body == nil {
			return
		}
		// The schema holds the built keys too, so that a misspelt key gets
		// a suggestion among every key of its block.
		schema := &hcl.BodySchema{Attributes: unbuilt.Attributes, Blocks: append(unbuilt.Blocks, extra...)}
		bs, _ := gohcl.ImpliedBodySchema(built)
		schema.Attributes = append(schema.Attributes, bs.Attributes...)
		schema.Blocks = append(schema.Blocks, bs.Blocks...)
		content, d := body.Content(schema)
		diags = append(diags, d...)
		if content == nil {
			return
		}
		for _, a := range sortedAttrs(content.Attributes) {
			if schemaHasAttr(bs, a.Name) {
				continue
			}
			warns = append(warns, fmt.Sprintf("%s: %s%s is not supported yet and is ignored", posOf(a.NameRange), where, a.Name))
		}
		for _, b := range content.Blocks {
			if schemaHasBlock(bs, b.Type) {
				continue
			}
			warns = append(warns, fmt.Sprintf("%s: block %s%s is not supported yet and is ignored", posOf(b.DefRange), where, b.Type))
		}
	}
	if !diags.HasErrors() {
		check("", c.Rest, unbuiltTop, c, hcl.BlockHeaderSchema{Type: "plugin", LabelNames: []string{"name"}})
		if c.Server != nil {
			check("server.", c.Server.Rest, unbuiltServer, c.Server)
		}
		if c.Client != nil {
			meta, rest, d := takeMeta(c.Client.Rest)
			diags = append(diags, d...)
			c.Client.Meta = meta
			check("client.", rest, unbuiltClient, c.Client)
			if a := c.Client.Artifact; a != nil {
				check("client.artifact.", a.Rest, unbuiltArtifact, a)
			}
		}
		for _, p := range c.Plugins {
			cfg, d := pluginConfig(p.Body)
			diags = append(diags, d...)
			p.Config = cfg
		}
	}
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	c.Warnings = warns
	return c, nil
}

func sortedAttrs(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].NameRange.Start.Byte < out[j].NameRange.Start.Byte })
	return out
}

func posOf(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// pluginConfig decodes plugin "x" { config { ... } } into Go values.
func pluginConfig(body hcl.Body) (map[string]any, hcl.Diagnostics) {
	content, diags := body.Content(&hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "args"}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "config"}},
	})
	if diags.HasErrors() {
		return nil, diags
	}
	if len(content.Blocks) == 0 {
		return map[string]any{}, nil
	}
	sb, ok := content.Blocks[0].Body.(*hclsyntax.Body)
	if !ok {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "plugin config must be HCL native syntax", Subject: &content.Blocks[0].DefRange}}
	}
	return bodyToMap(sb)
}

// bodyToMap turns an arbitrary HCL body into Go values: attributes by name,
// nested blocks as lists of maps under their type.
func bodyToMap(b *hclsyntax.Body) (map[string]any, hcl.Diagnostics) {
	out := map[string]any{}
	var diags hcl.Diagnostics
	for name, attr := range b.Attributes {
		v, d := attr.Expr.Value(nil)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		out[name] = ctyToGo(v)
	}
	for _, blk := range b.Blocks {
		m, d := bodyToMap(blk.Body)
		diags = append(diags, d...)
		list, _ := out[blk.Type].([]any)
		out[blk.Type] = append(list, m)
	}
	return out, diags
}

func ctyToGo(v cty.Value) any {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString()
	case t == cty.Bool:
		return v.True()
	case t == cty.Number:
		bf := v.AsBigFloat()
		if bf.IsInt() {
			i, acc := bf.Int64()
			if acc == big.Exact {
				return i
			}
		}
		f, _ := bf.Float64()
		return f
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		var out []any
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			out = append(out, ctyToGo(ev))
		}
		return out
	case t.IsMapType() || t.IsObjectType():
		out := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			out[k.AsString()] = ctyToGo(ev)
		}
		return out
	}
	return nil
}

// diagError renders every diagnostic as "file:line:col: summary; detail".
func diagError(diags hcl.Diagnostics) error {
	var errs []error
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += "; " + strings.TrimSuffix(d.Detail, ".")
		}
		if d.Subject != nil {
			msg = posOf(*d.Subject) + ": " + msg
		}
		errs = append(errs, errors.New(msg))
	}
	return errors.Join(errs...)
}

func schemaHasBlock(s *hcl.BodySchema, name string) bool {
	for _, b := range s.Blocks {
		if b.Type == name {
			return true
		}
	}
	return false
}

func schemaHasAttr(s *hcl.BodySchema, name string) bool {
	for _, a := range s.Attributes {
		if a.Name == name {
			return true
		}
	}
	return false
}

// takeMeta decodes the client's meta, written as a block or an attribute,
// and returns the body without it.
func takeMeta(body hcl.Body) (map[string]string, hcl.Body, hcl.Diagnostics) {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return nil, body, nil
	}
	schema := &hcl.BodySchema{}
	if _, isAttr := sb.Attributes["meta"]; isAttr {
		schema.Attributes = []hcl.AttributeSchema{{Name: "meta"}}
	} else {
		schema.Blocks = []hcl.BlockHeaderSchema{{Type: "meta"}}
	}
	content, rest, diags := body.PartialContent(schema)
	if diags.HasErrors() {
		return nil, rest, diags
	}
	var m map[string]any
	if a, ok := content.Attributes["meta"]; ok {
		v, d := a.Expr.Value(nil)
		if d.HasErrors() {
			return nil, rest, d
		}
		m, _ = ctyToGo(v).(map[string]any)
	}
	for _, b := range content.Blocks {
		bm, d := bodyToMap(b.Body.(*hclsyntax.Body))
		if d.HasErrors() {
			return nil, rest, d
		}
		m = bm
	}
	if m == nil {
		return nil, rest, nil
	}
	out := map[string]string{}
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out, rest, nil
}
