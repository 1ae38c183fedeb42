// Package taskenv builds a task's environment — the DROVER_* variables, their
// NOMAD_* aliases and the task's own env — and interpolates ${...}
// references in driver config, args and env values: ${NOMAD_*} and
// ${DROVER_*} (any variable of the environment), ${node.*}, ${attr.*},
// ${meta.*} (the node's) and ${env.*}. An unknown reference is left as
// written, as Nomad does, so a typo shows up in the task's behaviour rather
// than as an empty string.
package taskenv

import (
	"maps"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/drover-sh/drover"
)

// Input is what an environment is built from.
type Input struct {
	Alloc *drover.Allocation // with Job set
	Task  *drover.Task
	Node  *drover.Node // may be nil
	// AllocDir is the allocation directory; TaskDir the task's directory
	// inside it.
	AllocDir string
	TaskDir  string
	// Path is the agent's PATH, inherited by the task.
	Path string
}

// Env is a task's built environment.
type Env struct {
	vars map[string]string
	node *drover.Node
}

// Build returns the task's environment. The task's own env values are
// interpolated against the generated variables and override them.
func Build(in Input) *Env {
	e := &Env{vars: map[string]string{}, node: in.Node}
	set := func(name, val string) {
		e.vars["NOMAD_"+name] = val
		e.vars["DROVER_"+name] = val
	}
	a, t := in.Alloc, in.Task
	set("ALLOC_ID", a.ID)
	set("ALLOC_NAME", a.Name)
	set("ALLOC_INDEX", strconv.Itoa(a.Index()))
	set("GROUP_NAME", a.TaskGroup)
	set("TASK_NAME", t.Name)
	set("NAMESPACE", a.Namespace)
	set("ALLOC_DIR", in.AllocDir+"/alloc")
	set("TASK_DIR", in.TaskDir+"/local")
	set("SECRETS_DIR", in.TaskDir+"/secrets")
	if in.Node != nil {
		set("DC", in.Node.Datacenter)
	}
	meta := map[string]string{}
	if j := a.Job; j != nil {
		set("JOB_NAME", j.Name)
		set("JOB_ID", j.ID)
		set("REGION", j.Region)
		maps.Copy(meta, j.Meta)
		if tg := j.LookupTaskGroup(a.TaskGroup); tg != nil {
			maps.Copy(meta, tg.Meta)
		}
	}
	maps.Copy(meta, t.Meta)
	for k, v := range meta {
		set("META_"+k, v)
		if up := envName(k); up != k {
			set("META_"+up, v)
		}
	}
	cpu, mem := taskLimits(a, t)
	set("CPU_LIMIT", strconv.FormatInt(cpu, 10))
	set("MEMORY_LIMIT", strconv.FormatInt(mem, 10))
	e.setPorts(a, t, set)
	if in.Path != "" {
		e.vars["PATH"] = in.Path
	}
	for k, v := range t.Env {
		e.vars[k] = e.Replace(v)
	}
	return e
}

// envName turns a meta key into an environment variable name: upper case,
// with anything but letters, digits and '_' turned into '_'.
func envName(k string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			return r
		}
		return '_'
	}, k)
}

func taskLimits(a *drover.Allocation, t *drover.Task) (cpu, mem int64) {
	if a.AllocatedResources != nil {
		if tr := a.AllocatedResources.Tasks[t.Name]; tr != nil {
			return tr.Cpu.CpuShares, tr.Memory.MemoryMB
		}
	}
	if t.Resources != nil {
		return int64(t.Resources.CPU), int64(t.Resources.MemoryMB)
	}
	return 0, 0
}

// setPorts sets NOMAD_PORT_, NOMAD_HOST_PORT_, NOMAD_IP_ and NOMAD_ADDR_ for
// every port of the allocation: the group's and the task's own networks.
func (e *Env) setPorts(a *drover.Allocation, t *drover.Task, set func(string, string)) {
	add := func(label, ip string, host, to int) {
		port := host
		if to > 0 {
			port = to
		}
		set("PORT_"+label, strconv.Itoa(port))
		set("HOST_PORT_"+label, strconv.Itoa(host))
		set("IP_"+label, ip)
		set("ADDR_"+label, net.JoinHostPort(ip, strconv.Itoa(host)))
	}
	addNets := func(nets []*drover.NetworkResource) {
		for _, n := range nets {
			for _, p := range n.ReservedPorts {
				add(p.Label, n.IP, p.Value, p.To)
			}
			for _, p := range n.DynamicPorts {
				add(p.Label, n.IP, p.Value, p.To)
			}
		}
	}
	if ar := a.AllocatedResources; ar != nil {
		addNets(ar.Shared.Networks)
		for _, p := range ar.Shared.Ports {
			add(p.Label, p.HostIP, p.Value, p.To)
		}
		if tr := ar.Tasks[t.Name]; tr != nil {
			addNets(tr.Networks)
		}
	}
}

// Map returns a copy of the environment.
func (e *Env) Map() map[string]string { return maps.Clone(e.vars) }

var ref = regexp.MustCompile(`\$\{([^{}]+)\}`)

// Replace interpolates every ${...} reference in s it can resolve.
func (e *Env) Replace(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	return ref.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := e.lookup(strings.TrimSpace(m[2 : len(m)-1])); ok {
			return v
		}
		return m
	})
}

func (e *Env) lookup(name string) (string, bool) {
	if rest, ok := strings.CutPrefix(name, "env."); ok {
		v, ok := e.vars[rest]
		return v, ok
	}
	if v, ok := e.vars[name]; ok {
		return v, true
	}
	n := e.node
	if n == nil {
		return "", false
	}
	if rest, ok := strings.CutPrefix(name, "attr."); ok {
		v, ok := n.Attributes[rest]
		return v, ok
	}
	if rest, ok := strings.CutPrefix(name, "meta."); ok {
		v, ok := n.Meta[rest]
		return v, ok
	}
	switch name {
	case "node.unique.id":
		return n.ID, true
	case "node.unique.name":
		return n.Name, true
	case "node.datacenter":
		return n.Datacenter, true
	case "node.class":
		return n.NodeClass, true
	case "node.pool":
		return n.NodePool, true
	}
	return "", false
}

// ReplaceConfig returns a copy of a driver config with every string in it —
// values, list elements, nested maps — interpolated.
func (e *Env) ReplaceConfig(cfg map[string]any) map[string]any {
	if cfg == nil {
		return nil
	}
	out := make(map[string]any, len(cfg))
	for k, v := range cfg {
		out[k] = e.replaceValue(v)
	}
	return out
}

func (e *Env) replaceValue(v any) any {
	switch v := v.(type) {
	case string:
		return e.Replace(v)
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = e.replaceValue(x)
		}
		return out
	case []string:
		out := make([]string, len(v))
		for i, x := range v {
			out[i] = e.Replace(x)
		}
		return out
	case map[string]any:
		return e.ReplaceConfig(v)
	case []map[string]any:
		out := make([]map[string]any, len(v))
		for i, x := range v {
			out[i] = e.ReplaceConfig(x)
		}
		return out
	}
	return v
}
