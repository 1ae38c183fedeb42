package jobspec

import (
	"time"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/drover-sh/drover"
)

// This file holds the job block and the policies a job or group declares:
// update, migrate, reschedule, periodic and parameterized. Fields an
// update, migrate or reschedule block leaves out stay zero: Canonicalize
// merges them with the job's block and Nomad's defaults.

var jobSpec = withNotYet(&blockSpec{
	attrs: map[string]attrFunc{
		"name":      str(func(j *drover.Job) *string { return &j.Name }),
		"region":    str(func(j *drover.Job) *string { return &j.Region }),
		"namespace": str(func(j *drover.Job) *string { return &j.Namespace }),
		"type": oneOf(func(j *drover.Job) *string { return &j.Type },
			drover.JobTypeService, drover.JobTypeBatch, drover.JobTypeSystem, drover.JobTypeSysBatch),
		"node_pool":       str(func(j *drover.Job) *string { return &j.NodePool }),
		"datacenters":     stringList(func(j *drover.Job) *[]string { return &j.Datacenters }),
		"priority":        integer(func(j *drover.Job) *int { return &j.Priority }, true),
		"all_at_once":     boolean(func(j *drover.Job) *bool { return &j.AllAtOnce }),
		"meta":            stringMapAttr(func(j *drover.Job) *map[string]string { return &j.Meta }),
		"vault_token":     refusedVaultAttr,
		"vault_namespace": refusedVaultAttr,
	},
	blocks: map[string]blockRule{
		"meta":       stringMapBlock(func(j *drover.Job) *map[string]string { return &j.Meta }),
		"group":      many(nested([]string{"name"}, groupSpec, openGroup, nil)),
		"constraint": constraintRule(func(j *drover.Job) *[]*drover.Constraint { return &j.Constraints }),
		"affinity":   affinityRule(func(j *drover.Job) *[]*drover.Affinity { return &j.Affinities }),
		"spread":     spreadRule(func(j *drover.Job) *[]*drover.Spread { return &j.Spreads }),
		"update":     one(nested(nil, updateSpec, setTo(func(j *drover.Job) **drover.UpdateStrategy { return &j.Update }, nil), nil)),
		"migrate":    one(nested(nil, migrateSpec, setTo(func(j *drover.Job) **drover.MigrateStrategy { return &j.Migrate }, nil), nil)),
		"reschedule": one(nested(nil, rescheduleSpec, setTo(func(j *drover.Job) **drover.ReschedulePolicy { return &j.Reschedule }, nil), nil)),
		"periodic": one(nested(nil, periodicSpec, setTo(func(j *drover.Job) **drover.PeriodicConfig { return &j.Periodic }, func(p *drover.PeriodicConfig) {
			// Nomad's meaning of what a periodic block leaves out.
			p.Enabled = true
			p.SpecType = "cron"
		}), finishPeriodic)),
		"parameterized": one(nested(nil, parameterizedSpec, setTo(func(j *drover.Job) **drover.ParameterizedJobConfig { return &j.ParameterizedJob }, nil), nil)),
		"vault":         refusedVault,
	},
}, []string{"multiregion", "consul", "ui"},
	[]string{"consul_token", "consul_namespace", "id"})

var updateSpec = &blockSpec{
	attrs: map[string]attrFunc{
		"stagger":      staggerAttr,
		"max_parallel": integer(func(u *drover.UpdateStrategy) *int { return &u.MaxParallel }, true),
		"health_check": oneOf(func(u *drover.UpdateStrategy) *string { return &u.HealthCheck },
			drover.UpdateHealthCheckChecks, drover.UpdateHealthCheckTaskStates, drover.UpdateHealthCheckManual),
		"min_healthy_time":  duration(func(u *drover.UpdateStrategy) *time.Duration { return &u.MinHealthyTime }),
		"healthy_deadline":  duration(func(u *drover.UpdateStrategy) *time.Duration { return &u.HealthyDeadline }),
		"progress_deadline": duration(func(u *drover.UpdateStrategy) *time.Duration { return &u.ProgressDeadline }),
		"auto_revert":       boolean(func(u *drover.UpdateStrategy) *bool { return &u.AutoRevert }),
		"auto_promote":      boolean(func(u *drover.UpdateStrategy) *bool { return &u.AutoPromote }),
		"canary":            integer(func(u *drover.UpdateStrategy) *int { return &u.Canary }, true),
	},
	blocks: map[string]blockRule{},
}

var stagger = duration(func(u *drover.UpdateStrategy) *time.Duration { return &u.Stagger })

// staggerAttr decodes stagger, which Nomad still honours for system jobs
// only: service jobs update through deployments.
func staggerAttr(d *decoder, target any, a *hclsyntax.Attribute) {
	if t := d.jobType(); t != drover.JobTypeSystem && t != drover.JobTypeSysBatch {
		d.warnf(a.NameRange, "Deprecated argument",
			"stagger applies only to system jobs; other jobs update through deployments paced by max_parallel, min_healthy_time and healthy_deadline.")
	}
	stagger(d, target, a)
}

var migrateSpec = &blockSpec{
	attrs: map[string]attrFunc{
		"max_parallel": integer(func(m *drover.MigrateStrategy) *int { return &m.MaxParallel }, true),
		"health_check": oneOf(func(m *drover.MigrateStrategy) *string { return &m.HealthCheck },
			drover.UpdateHealthCheckChecks, drover.UpdateHealthCheckTaskStates),
		"min_healthy_time": duration(func(m *drover.MigrateStrategy) *time.Duration { return &m.MinHealthyTime }),
		"healthy_deadline": duration(func(m *drover.MigrateStrategy) *time.Duration { return &m.HealthyDeadline }),
	},
	blocks: map[string]blockRule{},
}

var rescheduleSpec = &blockSpec{
	attrs: map[string]attrFunc{
		"attempts": integer(func(r *drover.ReschedulePolicy) *int { return &r.Attempts }, true),
		"interval": duration(func(r *drover.ReschedulePolicy) *time.Duration { return &r.Interval }),
		"delay":    duration(func(r *drover.ReschedulePolicy) *time.Duration { return &r.Delay }),
		"delay_function": oneOf(func(r *drover.ReschedulePolicy) *string { return &r.DelayFunction },
			"constant", "exponential", "fibonacci"),
		"max_delay": duration(func(r *drover.ReschedulePolicy) *time.Duration { return &r.MaxDelay }),
		"unlimited": boolean(func(r *drover.ReschedulePolicy) *bool { return &r.Unlimited }),
	},
	blocks: map[string]blockRule{},
}

var periodicSpec = &blockSpec{
	attrs: map[string]attrFunc{
		"crons": tracked(stringList(func(p *drover.PeriodicConfig) *[]string { return &p.Specs })),
		"cron": tracked(deprecated(str(func(p *drover.PeriodicConfig) *string { return &p.Spec }),
			"cron is deprecated in favour of crons, a list of cron expressions: crons = [\"...\"].")),
		"prohibit_overlap": boolean(func(p *drover.PeriodicConfig) *bool { return &p.ProhibitOverlap }),
		"time_zone":        str(func(p *drover.PeriodicConfig) *string { return &p.TimeZone }),
		"enabled":          boolean(func(p *drover.PeriodicConfig) *bool { return &p.Enabled }),
	},
	blocks: map[string]blockRule{},
}

// finishPeriodic keeps Spec and Specs in step: Spec is the first cron, as
// older clients read it.
func finishPeriodic(d *decoder, p *drover.PeriodicConfig, b *hclsyntax.Block) {
	switch {
	case d.isSet(p, "cron") && d.isSet(p, "crons"):
		d.errorf(b.TypeRange, "Conflicting periodic arguments", "Give either crons (a list) or the older cron, not both.")
	case d.isSet(p, "cron"):
		p.Specs = []string{p.Spec}
	case len(p.Specs) > 0:
		p.Spec = p.Specs[0]
	}
}

var parameterizedSpec = &blockSpec{
	attrs: map[string]attrFunc{
		"payload": oneOf(func(p *drover.ParameterizedJobConfig) *string { return &p.Payload },
			"optional", "required", "forbidden"),
		"meta_required": stringList(func(p *drover.ParameterizedJobConfig) *[]string { return &p.MetaRequired }),
		"meta_optional": stringList(func(p *drover.ParameterizedJobConfig) *[]string { return &p.MetaOptional }),
	},
	blocks: map[string]blockRule{},
}
