package jobspec

import (
	"time"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/drover-sh/drover"
)

// This file holds the task block and what only a task declares:
// resources, logs, lifecycle, template, artifact, dispatch_payload,
// volume_mount and identity. The driver config is in config.go.

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
		"driver":         str(func(t *drover.Task) *string { return &t.Driver }),
		"user":           str(func(t *drover.Task) *string { return &t.User }),
		"kill_timeout":   duration(func(t *drover.Task) *time.Duration { return &t.KillTimeout }),
		"kill_signal":    str(func(t *drover.Task) *string { return &t.KillSignal }),
		"leader":         boolean(func(t *drover.Task) *bool { return &t.Leader }),
		"shutdown_delay": duration(func(t *drover.Task) *time.Duration { return &t.ShutdownDelay }),
		"env":            stringMapAttr(func(t *drover.Task) *map[string]string { return &t.Env }),
		"meta":           stringMapAttr(func(t *drover.Task) *map[string]string { return &t.Meta }),
		"config":         configAttr,
		"artifact":       artifactAttr,
	},
	blocks: map[string]blockRule{
		"config":    configBlock,
		"env":       stringMapBlock(func(t *drover.Task) *map[string]string { return &t.Env }),
		"meta":      stringMapBlock(func(t *drover.Task) *map[string]string { return &t.Meta }),
		"restart":   one(nested(nil, restartSpec, setTo(func(t *drover.Task) **drover.RestartPolicy { return &t.RestartPolicy }, nil), nil)),
		"resources": one(nested(nil, resourcesSpec, setTo(func(t *drover.Task) **drover.Resources { return &t.Resources }, nil), nil)),
		"logs": one(nested(nil, logsSpec, setTo(func(t *drover.Task) **drover.LogConfig { return &t.LogConfig }, func(l *drover.LogConfig) {
			// Fields left out keep their defaults, as in Nomad.
			l.MaxFiles, l.MaxFileSizeMB = drover.DefaultLogMaxFiles, drover.DefaultLogMaxFileSizeMB
		}), nil)),
		"constraint":       constraintRule(func(t *drover.Task) *[]*drover.Constraint { return &t.Constraints }),
		"affinity":         affinityRule(func(t *drover.Task) *[]*drover.Affinity { return &t.Affinities }),
		"service":          serviceRule(func(t *drover.Task) *[]*drover.Service { return &t.Services }),
		"template":         many(nested(nil, templateSpec, appendTo(func(t *drover.Task) *[]*drover.Template { return &t.Templates }, nil), nil)),
		"artifact":         many(nested(nil, artifactSpec, appendTo(func(t *drover.Task) *[]*drover.TaskArtifact { return &t.Artifacts }, nil), nil)),
		"lifecycle":        one(nested(nil, lifecycleSpec, setTo(func(t *drover.Task) **drover.TaskLifecycleConfig { return &t.Lifecycle }, nil), nil)),
		"dispatch_payload": one(nested(nil, dispatchPayloadSpec, setTo(func(t *drover.Task) **drover.DispatchPayloadConfig { return &t.DispatchPayload }, nil), nil)),
		"volume_mount":     many(nested(nil, volumeMountSpec, appendTo(func(t *drover.Task) *[]*drover.VolumeMount { return &t.VolumeMounts }, nil), nil)),
		"identity":         many(nested(nil, identitySpec, openIdentity, finishIdentity)),
		"vault":            refusedVault,
	},
}, []string{"consul", "csi_plugin", "scaling", "action", "schedule"},
	[]string{"kind"})

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
		"network": many(nested(nil, taskNetworkSpec, openTaskNetwork, nil)),
	},
}, []string{"device", "numa"}, []string{"disk", "iops", "secrets"})

// openTaskNetwork opens the older network block of a task's resources,
// which Nomad deprecated in favour of the group's network.
func openTaskNetwork(d *decoder, r *drover.Resources, b *hclsyntax.Block) (*drover.NetworkResource, bool) {
	d.warnf(b.TypeRange, "Deprecated block", "a network block in a task's resources is deprecated: declare the ports in the group's network block instead.")
	n := &drover.NetworkResource{}
	r.Networks = append(r.Networks, n)
	return n, true
}

var taskNetworkSpec = &blockSpec{
	attrs: map[string]attrFunc{
		"mbits": integer(func(n *drover.NetworkResource) *int { return &n.MBits }, true),
	},
	blocks: map[string]blockRule{
		"port": many(nested([]string{"label"}, portSpec, openPort, finishPort)),
	},
}

var lifecycleSpec = &blockSpec{
	attrs: map[string]attrFunc{
		"hook": oneOf(func(l *drover.TaskLifecycleConfig) *string { return &l.Hook },
			drover.TaskLifecycleHookPrestart, drover.TaskLifecycleHookPoststart, drover.TaskLifecycleHookPoststop),
		"sidecar": boolean(func(l *drover.TaskLifecycleConfig) *bool { return &l.Sidecar }),
	},
	blocks: map[string]blockRule{},
}

var dispatchPayloadSpec = &blockSpec{
	attrs: map[string]attrFunc{
		"file": str(func(p *drover.DispatchPayloadConfig) *string { return &p.File }),
	},
	blocks: map[string]blockRule{},
}

var volumeMountSpec = withNotYet(&blockSpec{
	attrs: map[string]attrFunc{
		"volume":           str(func(m *drover.VolumeMount) *string { return &m.Volume }),
		"destination":      str(func(m *drover.VolumeMount) *string { return &m.Destination }),
		"read_only":        boolean(func(m *drover.VolumeMount) *bool { return &m.ReadOnly }),
		"propagation_mode": oneOf(func(m *drover.VolumeMount) *string { return &m.PropagationMode }, "private", "host-to-task", "bidirectional"),
	},
	blocks: map[string]blockRule{},
}, nil, []string{"selinux_label"})

var identitySpec = &blockSpec{
	attrs: map[string]attrFunc{
		"name":          str(func(w *identityTarget) *string { return &w.Name }),
		"aud":           stringList(func(w *identityTarget) *[]string { return &w.Audience }),
		"env":           boolean(func(w *identityTarget) *bool { return &w.Env }),
		"file":          boolean(func(w *identityTarget) *bool { return &w.File }),
		"change_mode":   oneOf(func(w *identityTarget) *string { return &w.ChangeMode }, "noop", "restart", "signal"),
		"change_signal": str(func(w *identityTarget) *string { return &w.ChangeSignal }),
		"ttl":           duration(func(w *identityTarget) *time.Duration { return &w.TTL }),
	},
	blocks: map[string]blockRule{},
}

// identityTarget is an identity being decoded: whether it is the task's
// default identity or a named one is known only after its body.
type identityTarget struct {
	task *drover.Task
	*drover.WorkloadIdentity
}

func openIdentity(_ *decoder, t *drover.Task, _ *hclsyntax.Block) (*identityTarget, bool) {
	return &identityTarget{task: t, WorkloadIdentity: &drover.WorkloadIdentity{}}, true
}

// finishIdentity files an identity: without a name (or named "default")
// it is the task's default identity, Task.Identity; with another name it
// joins Task.Identities.
func finishIdentity(d *decoder, w *identityTarget, b *hclsyntax.Block) {
	t := w.task
	key := w.Name
	if key == "" {
		key = "default"
	}
	// The address of the Identities field stands for the task's
	// identity names.
	if prev, dup := d.claimName(&t.Identities, key, b.TypeRange); dup {
		d.errorf(b.TypeRange, "Duplicate identity", "The identity %q of this task is already defined at line %d.", key, prev.Start.Line)
		return
	}
	if key == "default" {
		t.Identity = w.WorkloadIdentity
		return
	}
	t.Identities = append(t.Identities, w.WorkloadIdentity)
}

var templateSpec = withNotYet(&blockSpec{
	attrs: map[string]attrFunc{
		"source":      str(func(t *drover.Template) *string { return &t.SourcePath }),
		"destination": str(func(t *drover.Template) *string { return &t.DestPath }),
		"data":        str(func(t *drover.Template) *string { return &t.EmbeddedTmpl }),
		"change_mode": oneOf(func(t *drover.Template) *string { return &t.ChangeMode },
			"restart", "signal", "noop", "script"),
		"change_signal":        str(func(t *drover.Template) *string { return &t.ChangeSignal }),
		"splay":                duration(func(t *drover.Template) *time.Duration { return &t.Splay }),
		"perms":                str(func(t *drover.Template) *string { return &t.Perms }),
		"uid":                  intPtr(func(t *drover.Template) **int { return &t.Uid }),
		"gid":                  intPtr(func(t *drover.Template) **int { return &t.Gid }),
		"left_delimiter":       str(func(t *drover.Template) *string { return &t.LeftDelim }),
		"right_delimiter":      str(func(t *drover.Template) *string { return &t.RightDelim }),
		"env":                  boolean(func(t *drover.Template) *bool { return &t.Envvars }),
		"error_on_missing_key": boolean(func(t *drover.Template) *bool { return &t.ErrMissingKey }),
	},
	blocks: map[string]blockRule{},
}, []string{"change_script", "wait"}, []string{"vault_grace"})

var artifactSpec = withNotYet(&blockSpec{
	attrs: map[string]attrFunc{
		"source":      str(func(a *drover.TaskArtifact) *string { return &a.GetterSource }),
		"destination": str(func(a *drover.TaskArtifact) *string { return &a.RelativeDest }),
		"mode":        oneOf(func(a *drover.TaskArtifact) *string { return &a.GetterMode }, "any", "file", "dir"),
		"options":     stringMapAttr(func(a *drover.TaskArtifact) *map[string]string { return &a.GetterOptions }),
		"headers":     stringMapAttr(func(a *drover.TaskArtifact) *map[string]string { return &a.GetterHeaders }),
	},
	blocks: map[string]blockRule{
		"options": stringMapBlock(func(a *drover.TaskArtifact) *map[string]string { return &a.GetterOptions }),
		"headers": stringMapBlock(func(a *drover.TaskArtifact) *map[string]string { return &a.GetterHeaders }),
	},
}, nil, []string{"chown"})

// artifactAttr decodes the older attribute form artifact = { ... } (or a
// list of such objects), with a warning.
func artifactAttr(d *decoder, target any, a *hclsyntax.Attribute) {
	d.warnf(a.NameRange, "Deprecated argument", "artifact = { ... } is the older form of an artifact block: write artifact { ... } instead.")
	t := target.(*drover.Task)
	for _, body := range d.objectBodies(a) {
		art := &drover.TaskArtifact{}
		t.Artifacts = append(t.Artifacts, art)
		d.decodeBody(body, artifactSpec, art)
	}
}
