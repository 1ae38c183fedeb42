package jobspec

import (
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/drover-sh/drover"
)

// This file declares the job file's schema: one blockSpec per block type,
// from the file's root down to a port. To support a new block, add its spec
// here (or in a file of its own when it is large) and move its name out of
// the notYet lists.

// rootTarget collects what the file's top level declares.
type rootTarget struct {
	jobs []*drover.Job
}

var rootSpec = withNotYet(&blockSpec{
	attrs: map[string]attrFunc{},
	blocks: map[string]blockRule{
		"job": many(nested([]string{"id"}, jobSpec, openJob, finishJob)),
	},
}, []string{"variable", "variables", "locals"}, nil)

func openJob(d *decoder, root *rootTarget, b *hclsyntax.Block) (*drover.Job, bool) {
	if len(root.jobs) > 0 {
		d.errorf(b.TypeRange, "Duplicate job block", "A job file holds exactly one job; job %q was already defined at line %d.",
			root.jobs[0].ID, d.names[root]["job"].Start.Line)
		return nil, false
	}
	j := &drover.Job{ID: b.Labels[0]}
	d.claimName(root, "job", b.TypeRange)
	root.jobs = append(root.jobs, j)
	return j, true
}

func finishJob(d *decoder, j *drover.Job, b *hclsyntax.Block) {
	if len(j.TaskGroups) == 0 {
		d.errorf(b.TypeRange, "Missing group block", "Job %q has no group: a job needs at least one group block.", j.ID)
	}
	d.completeRestarts(j)
}

var jobSpec = withNotYet(&blockSpec{
	attrs: map[string]attrFunc{
		"name":        str(func(j *drover.Job) *string { return &j.Name }),
		"region":      str(func(j *drover.Job) *string { return &j.Region }),
		"namespace":   str(func(j *drover.Job) *string { return &j.Namespace }),
		"type":        str(func(j *drover.Job) *string { return &j.Type }),
		"node_pool":   str(func(j *drover.Job) *string { return &j.NodePool }),
		"datacenters": stringList(func(j *drover.Job) *[]string { return &j.Datacenters }),
		"priority":    integer(func(j *drover.Job) *int { return &j.Priority }, true),
		"all_at_once": boolean(func(j *drover.Job) *bool { return &j.AllAtOnce }),
		"meta":        stringMapAttr(func(j *drover.Job) *map[string]string { return &j.Meta }),
	},
	blocks: map[string]blockRule{
		"meta":  stringMapBlock(func(j *drover.Job) *map[string]string { return &j.Meta }),
		"group": many(nested([]string{"name"}, groupSpec, openGroup, nil)),
	},
}, []string{"constraint", "affinity", "spread", "update", "migrate", "reschedule", "periodic",
	"parameterized", "multiregion", "vault", "consul", "ui"},
	[]string{"vault_token", "consul_token", "vault_namespace", "consul_namespace", "id"})

func openGroup(d *decoder, j *drover.Job, b *hclsyntax.Block) (*drover.TaskGroup, bool) {
	name := b.Labels[0]
	if prev, dup := d.claimName(j, name, b.TypeRange); dup {
		d.errorf(b.LabelRanges[0], "Duplicate group", "A group named %q is already defined at line %d; group names must be unique in a job.",
			name, prev.Start.Line)
		return nil, false
	}
	// An omitted count means one instance, as in Nomad; Count 0 is a
	// group deliberately scaled to nothing.
	tg := &drover.TaskGroup{Name: name, Count: 1}
	j.TaskGroups = append(j.TaskGroups, tg)
	return tg, true
}

var groupSpec = withNotYet(&blockSpec{
	attrs: map[string]attrFunc{
		"count": integer(func(tg *drover.TaskGroup) *int { return &tg.Count }, true),
		"meta":  stringMapAttr(func(tg *drover.TaskGroup) *map[string]string { return &tg.Meta }),
	},
	blocks: map[string]blockRule{
		"meta": stringMapBlock(func(tg *drover.TaskGroup) *map[string]string { return &tg.Meta }),
		"restart": one(nested(nil, restartSpec, func(d *decoder, tg *drover.TaskGroup, _ *hclsyntax.Block) (*drover.RestartPolicy, bool) {
			tg.RestartPolicy = d.newRestart()
			return tg.RestartPolicy, true
		}, nil)),
		"network": one(nested(nil, groupNetworkSpec, func(_ *decoder, tg *drover.TaskGroup, _ *hclsyntax.Block) (*drover.NetworkResource, bool) {
			n := &drover.NetworkResource{}
			tg.Networks = append(tg.Networks, n)
			return n, true
		}, nil)),
		"ephemeral_disk": one(nested(nil, ephemeralDiskSpec, func(_ *decoder, tg *drover.TaskGroup, _ *hclsyntax.Block) (*drover.EphemeralDisk, bool) {
			tg.EphemeralDisk = &drover.EphemeralDisk{SizeMB: drover.DefaultDiskMB}
			return tg.EphemeralDisk, true
		}, nil)),
		"task": many(nested([]string{"name"}, taskSpec, openTask, nil)),
	},
}, []string{"constraint", "affinity", "spread", "update", "migrate", "reschedule", "service", "volume",
	"scaling", "consul", "vault", "disconnect", "task_group_update"},
	[]string{"shutdown_delay", "stop_after_client_disconnect", "max_client_disconnect", "prevent_reschedule_on_lost"})

var ephemeralDiskSpec = &blockSpec{
	attrs: map[string]attrFunc{
		"size":    integer(func(e *drover.EphemeralDisk) *int { return &e.SizeMB }, true),
		"sticky":  boolean(func(e *drover.EphemeralDisk) *bool { return &e.Sticky }),
		"migrate": boolean(func(e *drover.EphemeralDisk) *bool { return &e.Migrate }),
	},
	blocks: map[string]blockRule{},
}

func openTask(d *decoder, tg *drover.TaskGroup, b *hclsyntax.Block) (*drover.Task, bool) {
	name := b.Labels[0]
	if prev, dup := d.claimName(tg, name, b.TypeRange); dup {
		d.errorf(b.LabelRanges[0], "Duplicate task", "A task named %q is already defined at line %d; task names must be unique in a group.",
			name, prev.Start.Line)
		return nil, false
	}
	t := &drover.Task{Name: name}
	tg.Tasks = append(tg.Tasks, t)
	return t, true
}

var taskSpec = withNotYet(&blockSpec{
	attrs: map[string]attrFunc{
		"driver":       str(func(t *drover.Task) *string { return &t.Driver }),
		"user":         str(func(t *drover.Task) *string { return &t.User }),
		"kill_timeout": duration(func(t *drover.Task) *time.Duration { return &t.KillTimeout }),
		"kill_signal":  str(func(t *drover.Task) *string { return &t.KillSignal }),
		"leader":       boolean(func(t *drover.Task) *bool { return &t.Leader }),
		"env":          stringMapAttr(func(t *drover.Task) *map[string]string { return &t.Env }),
		"meta":         stringMapAttr(func(t *drover.Task) *map[string]string { return &t.Meta }),
	},
	blocks: map[string]blockRule{
		"config": configBlock,
		"env":    stringMapBlock(func(t *drover.Task) *map[string]string { return &t.Env }),
		"meta":   stringMapBlock(func(t *drover.Task) *map[string]string { return &t.Meta }),
		"restart": one(nested(nil, restartSpec, func(d *decoder, t *drover.Task, _ *hclsyntax.Block) (*drover.RestartPolicy, bool) {
			t.RestartPolicy = d.newRestart()
			return t.RestartPolicy, true
		}, nil)),
		"resources": one(nested(nil, resourcesSpec, func(_ *decoder, t *drover.Task, _ *hclsyntax.Block) (*drover.Resources, bool) {
			t.Resources = &drover.Resources{}
			return t.Resources, true
		}, nil)),
		"logs": one(nested(nil, logsSpec, func(_ *decoder, t *drover.Task, _ *hclsyntax.Block) (*drover.LogConfig, bool) {
			// Fields left out keep their defaults, as in Nomad.
			t.LogConfig = &drover.LogConfig{MaxFiles: drover.DefaultLogMaxFiles, MaxFileSizeMB: drover.DefaultLogMaxFileSizeMB}
			return t.LogConfig, true
		}, nil)),
	},
}, []string{"constraint", "affinity", "artifact", "template", "service", "lifecycle", "volume_mount",
	"vault", "consul", "csi_plugin", "scaling", "dispatch_payload", "identity", "action", "schedule"},
	[]string{"kind", "shutdown_delay"})

var logsSpec = &blockSpec{
	attrs: map[string]attrFunc{
		"max_files":     integer(func(l *drover.LogConfig) *int { return &l.MaxFiles }, true),
		"max_file_size": integer(func(l *drover.LogConfig) *int { return &l.MaxFileSizeMB }, true),
		"disabled":      boolean(func(l *drover.LogConfig) *bool { return &l.Disabled }),
	},
	blocks: map[string]blockRule{},
}

var resourcesSpec = withNotYet(&blockSpec{
	attrs: map[string]attrFunc{
		"cpu":        integer(func(r *drover.Resources) *int { return &r.CPU }, true),
		"cores":      integer(func(r *drover.Resources) *int { return &r.Cores }, true),
		"memory":     integer(func(r *drover.Resources) *int { return &r.MemoryMB }, true),
		"memory_max": integer(func(r *drover.Resources) *int { return &r.MemoryMaxMB }, true),
	},
	blocks: map[string]blockRule{
		"network": many(nested(nil, taskNetworkSpec, func(_ *decoder, r *drover.Resources, _ *hclsyntax.Block) (*drover.NetworkResource, bool) {
			n := &drover.NetworkResource{}
			r.Networks = append(r.Networks, n)
			return n, true
		}, nil)),
	},
}, []string{"device", "numa"}, []string{"disk", "iops", "secrets"})

// restartSpec is shared by group and task restart blocks. Each attribute
// records that it was set, so completeRestarts can fill in the others.
var restartSpec = &blockSpec{
	attrs: map[string]attrFunc{
		"attempts": tracked(integer(func(p *drover.RestartPolicy) *int { return &p.Attempts }, true)),
		"interval": tracked(duration(func(p *drover.RestartPolicy) *time.Duration { return &p.Interval })),
		"delay":    tracked(duration(func(p *drover.RestartPolicy) *time.Duration { return &p.Delay })),
		"mode": tracked(oneOf(func(p *drover.RestartPolicy) *string { return &p.Mode },
			drover.RestartModeFail, drover.RestartModeDelay)),
		"render_templates": notYetAttr,
	},
	blocks: map[string]blockRule{},
}

func (d *decoder) newRestart() *drover.RestartPolicy {
	p := &drover.RestartPolicy{}
	d.restartSet[p] = map[string]bool{}
	return p
}

func tracked(f attrFunc) attrFunc {
	return func(d *decoder, target any, a *hclsyntax.Attribute) {
		if set := d.restartSet[target]; set != nil {
			set[a.Name] = true
		}
		f(d, target, a)
	}
}

// completeRestarts gives the attributes a restart block left out their
// value from the enclosing level: a group's from the job type's default
// policy, a task's from its group's policy (as Nomad merges them).
func (d *decoder) completeRestarts(j *drover.Job) {
	for _, tg := range j.TaskGroups {
		base := drover.DefaultRestartPolicy(j.Type)
		if tg.RestartPolicy != nil {
			d.fillRestart(tg.RestartPolicy, base)
			base = tg.RestartPolicy
		}
		for _, t := range tg.Tasks {
			if t.RestartPolicy != nil {
				d.fillRestart(t.RestartPolicy, base)
			}
		}
	}
}

func (d *decoder) fillRestart(p, from *drover.RestartPolicy) {
	set := d.restartSet[p]
	if !set["attempts"] {
		p.Attempts = from.Attempts
	}
	if !set["interval"] {
		p.Interval = from.Interval
	}
	if !set["delay"] {
		p.Delay = from.Delay
	}
	if !set["mode"] {
		p.Mode = from.Mode
	}
}

var groupNetworkSpec = withNotYet(&blockSpec{
	attrs: map[string]attrFunc{
		"mode":  str(func(n *drover.NetworkResource) *string { return &n.Mode }),
		"mbits": integer(func(n *drover.NetworkResource) *int { return &n.MBits }, true),
	},
	blocks: map[string]blockRule{
		"port": many(nested([]string{"label"}, portSpec, openPort, finishPort)),
	},
}, []string{"dns", "cni"}, []string{"hostname"})

var taskNetworkSpec = &blockSpec{
	attrs: map[string]attrFunc{
		"mbits": integer(func(n *drover.NetworkResource) *int { return &n.MBits }, true),
	},
	blocks: map[string]blockRule{
		"port": many(nested([]string{"label"}, portSpec, openPort, finishPort)),
	},
}

// portTarget is a port being decoded: whether it is static is known only
// after its body, so it is filed into its network by finishPort.
type portTarget struct {
	net  *drover.NetworkResource
	port drover.Port
}

var portSpec = &blockSpec{
	attrs: map[string]attrFunc{
		"static":       integer(func(p *portTarget) *int { return &p.port.Value }, true),
		"to":           integer(func(p *portTarget) *int { return &p.port.To }, false),
		"host_network": str(func(p *portTarget) *string { return &p.port.HostNetwork }),
	},
	blocks: map[string]blockRule{},
}

func openPort(d *decoder, n *drover.NetworkResource, b *hclsyntax.Block) (*portTarget, bool) {
	label := b.Labels[0]
	if prev, dup := d.claimName(n, label, b.TypeRange); dup {
		d.errorf(b.LabelRanges[0], "Duplicate port", "A port labelled %q is already defined in this network at line %d.", label, prev.Start.Line)
		return nil, false
	}
	return &portTarget{net: n, port: drover.Port{Label: label}}, true
}

// claimName records that parent has a child called name, defined at rng. If
// the name was already taken it returns where, and true.
func (d *decoder) claimName(parent any, name string, rng hcl.Range) (hcl.Range, bool) {
	names := d.names[parent]
	if names == nil {
		names = map[string]hcl.Range{}
		d.names[parent] = names
	}
	if prev, ok := names[name]; ok {
		return prev, true
	}
	names[name] = rng
	return rng, false
}

func finishPort(_ *decoder, p *portTarget, _ *hclsyntax.Block) {
	if p.port.Value > 0 {
		p.net.ReservedPorts = append(p.net.ReservedPorts, p.port)
	} else {
		p.net.DynamicPorts = append(p.net.DynamicPorts, p.port)
	}
}
