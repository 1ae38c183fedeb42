package jobspec

import (
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/drover-sh/drover"
)

// This file holds the group block and what only a group declares: count,
// restart (shared with tasks), network, ephemeral_disk, volume and
// disconnect.

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
		"count":          countAttr,
		"meta":           stringMapAttr(func(tg *drover.TaskGroup) *map[string]string { return &tg.Meta }),
		"shutdown_delay": durationPtr(func(tg *drover.TaskGroup) **time.Duration { return &tg.ShutdownDelay }),
		"max_client_disconnect": deprecated(durationPtr(func(tg *drover.TaskGroup) **time.Duration { return &tg.MaxClientDisconnect }),
			"max_client_disconnect is deprecated in favour of disconnect { lost_after = ... }."),
		"stop_after_client_disconnect": deprecated(durationPtr(func(tg *drover.TaskGroup) **time.Duration { return &tg.StopAfterClientDisconnect }),
			"stop_after_client_disconnect is deprecated in favour of disconnect { stop_on_client_after = ... }."),
	},
	blocks: map[string]blockRule{
		"meta":    stringMapBlock(func(tg *drover.TaskGroup) *map[string]string { return &tg.Meta }),
		"restart": one(nested(nil, restartSpec, setTo(func(tg *drover.TaskGroup) **drover.RestartPolicy { return &tg.RestartPolicy }, nil), nil)),
		"network": one(nested(nil, groupNetworkSpec, appendTo(func(tg *drover.TaskGroup) *[]*drover.NetworkResource { return &tg.Networks }, nil), nil)),
		"ephemeral_disk": one(nested(nil, ephemeralDiskSpec, setTo(func(tg *drover.TaskGroup) **drover.EphemeralDisk { return &tg.EphemeralDisk },
			func(e *drover.EphemeralDisk) { e.SizeMB = drover.DefaultDiskMB }), nil)),
		"task":       many(nested([]string{"name"}, taskSpec, openTask, nil)),
		"constraint": constraintRule(func(tg *drover.TaskGroup) *[]*drover.Constraint { return &tg.Constraints }),
		"affinity":   affinityRule(func(tg *drover.TaskGroup) *[]*drover.Affinity { return &tg.Affinities }),
		"spread":     spreadRule(func(tg *drover.TaskGroup) *[]*drover.Spread { return &tg.Spreads }),
		"update":     one(nested(nil, updateSpec, setTo(func(tg *drover.TaskGroup) **drover.UpdateStrategy { return &tg.Update }, nil), nil)),
		"migrate":    one(nested(nil, migrateSpec, setTo(func(tg *drover.TaskGroup) **drover.MigrateStrategy { return &tg.Migrate }, nil), nil)),
		"reschedule": one(nested(nil, rescheduleSpec, setTo(func(tg *drover.TaskGroup) **drover.ReschedulePolicy { return &tg.ReschedulePolicy }, nil), nil)),
		"service":    serviceRule(func(tg *drover.TaskGroup) *[]*drover.Service { return &tg.Services }),
		"volume":     many(nested([]string{"name"}, volumeSpec, openVolume, nil)),
		"disconnect": one(nested(nil, disconnectSpec, setTo(func(tg *drover.TaskGroup) **drover.DisconnectStrategy { return &tg.Disconnect }, nil), nil)),
		"vault":      refusedVault,
	},
}, []string{"scaling", "consul", "task_group_update"},
	[]string{"prevent_reschedule_on_lost"})

// countAttr decodes count, a whole number. Older job files wrote it as a
// string (count = "3"): accepted, with a warning.
func countAttr(d *decoder, target any, a *hclsyntax.Attribute) {
	v, ok := d.attrValue(a)
	if !ok {
		return
	}
	if v.Type() == cty.String {
		n, err := strconv.Atoi(strings.TrimSpace(v.AsString()))
		if err != nil {
			d.errorf(a.Expr.Range(), "Invalid count", "count must be a whole number, got %q.", v.AsString())
			return
		}
		d.warnf(a.Expr.Range(), "Deprecated count string", "count is a number: write count = %d, without quotes.", n)
		v = cty.NumberIntVal(int64(n))
	}
	if i, ok := d.checkInt(a, v, 0, 1<<31-1); ok {
		target.(*drover.TaskGroup).Count = int(i)
	}
}

var ephemeralDiskSpec = &blockSpec{
	attrs: map[string]attrFunc{
		"size":    integer(func(e *drover.EphemeralDisk) *int { return &e.SizeMB }, true),
		"sticky":  boolean(func(e *drover.EphemeralDisk) *bool { return &e.Sticky }),
		"migrate": boolean(func(e *drover.EphemeralDisk) *bool { return &e.Migrate }),
	},
	blocks: map[string]blockRule{},
}

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

var restartFields = fieldCopy[drover.RestartPolicy]{
	"attempts": func(d, s *drover.RestartPolicy) { d.Attempts = s.Attempts },
	"interval": func(d, s *drover.RestartPolicy) { d.Interval = s.Interval },
	"delay":    func(d, s *drover.RestartPolicy) { d.Delay = s.Delay },
	"mode":     func(d, s *drover.RestartPolicy) { d.Mode = s.Mode },
}

// completeRestarts gives the attributes a restart block left out their
// value from the enclosing level: a group's from the job type's default
// policy, a task's from its group's policy (as Nomad merges them).
func (d *decoder) completeRestarts(j *drover.Job) {
	for _, tg := range j.TaskGroups {
		base := drover.DefaultRestartPolicy(j.Type)
		if tg.RestartPolicy != nil {
			fillUnset(d, tg.RestartPolicy, base, restartFields)
			base = tg.RestartPolicy
		}
		for _, t := range tg.Tasks {
			if t.RestartPolicy != nil {
				fillUnset(d, t.RestartPolicy, base, restartFields)
			}
		}
	}
}

var groupNetworkSpec = withNotYet(&blockSpec{
	attrs: map[string]attrFunc{
		"mode":     str(func(n *drover.NetworkResource) *string { return &n.Mode }),
		"hostname": str(func(n *drover.NetworkResource) *string { return &n.Hostname }),
		"mbits":    integer(func(n *drover.NetworkResource) *int { return &n.MBits }, true),
	},
	blocks: map[string]blockRule{
		"port": many(nested([]string{"label"}, portSpec, openPort, finishPort)),
		"dns":  one(nested(nil, dnsSpec, setTo(func(n *drover.NetworkResource) **drover.DNSConfig { return &n.DNS }, nil), nil)),
	},
}, []string{"cni"}, nil)

var dnsSpec = &blockSpec{
	attrs: map[string]attrFunc{
		"servers":  stringList(func(c *drover.DNSConfig) *[]string { return &c.Servers }),
		"searches": stringList(func(c *drover.DNSConfig) *[]string { return &c.Searches }),
		"options":  stringList(func(c *drover.DNSConfig) *[]string { return &c.Options }),
	},
	blocks: map[string]blockRule{},
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

func finishPort(_ *decoder, p *portTarget, _ *hclsyntax.Block) {
	if p.port.Value > 0 {
		p.net.ReservedPorts = append(p.net.ReservedPorts, p.port)
	} else {
		p.net.DynamicPorts = append(p.net.DynamicPorts, p.port)
	}
}

var volumeSpec = withNotYet(&blockSpec{
	attrs: map[string]attrFunc{
		"type":            str(func(v *drover.VolumeRequest) *string { return &v.Type }),
		"source":          str(func(v *drover.VolumeRequest) *string { return &v.Source }),
		"read_only":       boolean(func(v *drover.VolumeRequest) *bool { return &v.ReadOnly }),
		"access_mode":     str(func(v *drover.VolumeRequest) *string { return &v.AccessMode }),
		"attachment_mode": str(func(v *drover.VolumeRequest) *string { return &v.AttachmentMode }),
		"per_alloc":       boolean(func(v *drover.VolumeRequest) *bool { return &v.PerAlloc }),
	},
	blocks: map[string]blockRule{},
}, []string{"mount_options"}, []string{"sticky"})

func openVolume(d *decoder, tg *drover.TaskGroup, b *hclsyntax.Block) (*drover.VolumeRequest, bool) {
	name := b.Labels[0]
	// The address of the Volumes field stands for the group's volume
	// names, apart from its task names.
	if prev, dup := d.claimName(&tg.Volumes, name, b.TypeRange); dup {
		d.errorf(b.LabelRanges[0], "Duplicate volume", "A volume named %q is already defined in this group at line %d.", name, prev.Start.Line)
		return nil, false
	}
	if tg.Volumes == nil {
		tg.Volumes = map[string]*drover.VolumeRequest{}
	}
	v := &drover.VolumeRequest{Name: name}
	tg.Volumes[name] = v
	return v, true
}

var disconnectSpec = &blockSpec{
	attrs: map[string]attrFunc{
		"lost_after":           duration(func(s *drover.DisconnectStrategy) *time.Duration { return &s.LostAfter }),
		"stop_on_client_after": durationPtr(func(s *drover.DisconnectStrategy) **time.Duration { return &s.StopOnClientAfter }),
		"replace":              boolPtr(func(s *drover.DisconnectStrategy) **bool { return &s.Replace }),
		"reconcile": oneOf(func(s *drover.DisconnectStrategy) *string { return &s.Reconcile },
			"best_score", "keep_original", "keep_replacement", "longest_running"),
	},
	blocks: map[string]blockRule{},
}
