package drover

import (
	"fmt"
	"path"
	"strings"
	"time"
)

// Defaults of the policy blocks, as Nomad applies them.
const (
	DefaultUpdateMaxParallel      = 1
	DefaultUpdateMinHealthyTime   = 10 * time.Second
	DefaultUpdateHealthyDeadline  = 5 * time.Minute
	DefaultUpdateProgressDeadline = 10 * time.Minute
	DefaultUpdateStagger          = 30 * time.Second
	DefaultTemplateSplay          = 5 * time.Second
	DefaultTemplatePerms          = "0644"
	DefaultServiceProvider        = "nomad"
	DefaultAddressMode            = "auto"
	DefaultNetworkMode            = "host"
	DefaultPeriodicTimeZone       = "UTC"
	DefaultDisconnectReconcile    = "best_score"
	DefaultOnUpdate               = "require_healthy"
)

// Payload requirements of a parameterized job.
const (
	DispatchPayloadOptional  = "optional"
	DispatchPayloadRequired  = "required"
	DispatchPayloadForbidden = "forbidden"
)

// PeriodicSpecCron is the only periodic spec type: cron expressions.
const PeriodicSpecCron = "cron"

// Template change modes.
const (
	TemplateChangeModeRestart = "restart"
	TemplateChangeModeSignal  = "signal"
	TemplateChangeModeNoop    = "noop"
	TemplateChangeModeScript  = "script"
)

// Artifact getter modes.
const (
	GetterModeAny  = "any"
	GetterModeFile = "file"
	GetterModeDir  = "dir"
)

// Canonicalize fills in defaults for everything a job file may leave out, in
// place, with Nomad's defaults. It is idempotent: canonicalizing twice gives
// the same job as once. It is called when a job is submitted, planned or
// validated.
//
// Because drover's job types hold values rather than pointers, a zero value
// means "not set" wherever a default exists. Where that loses information the
// rule chosen is:
//   - update: a block whose every field is zero is the documented way to turn
//     deployments off (max_parallel = 0) and is kept as written; any other
//     block gets the defaults for its zero fields (max_parallel 1, ...).
//   - reschedule: a block whose every field is zero is the documented way to
//     turn rescheduling off (attempts = 0, unlimited = false) and is kept;
//     otherwise zero fields get the job type's defaults, except that a block
//     with attempts or interval set stays limited.
//   - job-level update/migrate/reschedule merge into each group field by
//     field, the group's non-zero values winning; a group cannot set a field
//     back to zero over a non-zero job value.
//   - periodic: Enabled is left as decoded; the job file decoder sets it to
//     true when the file omits it (Nomad's default).
func (j *Job) Canonicalize() {
	if j.Namespace == "" {
		j.Namespace = DefaultNamespace
	}
	if j.Region == "" {
		j.Region = DefaultRegion
	}
	if j.Name == "" {
		j.Name = j.ID
	}
	if j.Type == "" {
		j.Type = JobTypeService
	}
	if j.Priority == 0 {
		j.Priority = DefaultPriority
	}
	if len(j.Datacenters) == 0 {
		j.Datacenters = []string{"*"}
	}
	if j.NodePool == "" {
		j.NodePool = DefaultNodePool
	}
	if len(j.Meta) == 0 {
		j.Meta = nil
	}
	j.Constraints, j.Affinities, j.Spreads = compact(j.Constraints), compact(j.Affinities), compact(j.Spreads)
	j.TaskGroups = compact(j.TaskGroups)
	canonicalizePlacement(j.Constraints, j.Affinities, j.Spreads)
	j.Periodic.canonicalize()
	if p := j.ParameterizedJob; p != nil && p.Payload == "" {
		p.Payload = DispatchPayloadOptional
	}
	for _, tg := range j.TaskGroups {
		tg.canonicalize(j)
	}
}

func (p *PeriodicConfig) canonicalize() {
	if p == nil {
		return
	}
	if len(p.Specs) == 0 && p.Spec != "" {
		p.Specs = []string{p.Spec}
	}
	if len(p.Specs) > 0 {
		p.Spec = p.Specs[0]
	}
	if p.SpecType == "" {
		p.SpecType = PeriodicSpecCron
	}
	if p.TimeZone == "" {
		p.TimeZone = DefaultPeriodicTimeZone
	}
}

func (tg *TaskGroup) canonicalize(j *Job) {
	if j.Type == JobTypeSystem && tg.Count == 0 {
		tg.Count = 1
	}
	if len(tg.Meta) == 0 {
		tg.Meta = nil
	}
	tg.Constraints, tg.Affinities, tg.Spreads = compact(tg.Constraints), compact(tg.Affinities), compact(tg.Spreads)
	tg.Tasks, tg.Networks, tg.Services = compact(tg.Tasks), compact(tg.Networks), compact(tg.Services)
	for name, v := range tg.Volumes {
		if v == nil {
			delete(tg.Volumes, name)
		}
	}
	canonicalizePlacement(tg.Constraints, tg.Affinities, tg.Spreads)
	if tg.RestartPolicy == nil {
		tg.RestartPolicy = DefaultRestartPolicy(j.Type)
	}
	if tg.EphemeralDisk == nil {
		tg.EphemeralDisk = &EphemeralDisk{}
	}
	if tg.EphemeralDisk.SizeMB == 0 {
		tg.EphemeralDisk.SizeMB = DefaultDiskMB
	}
	tg.Update = mergeUpdate(j.Update, tg.Update)
	tg.Update.canonicalize()
	tg.Migrate = mergeMigrate(j.Migrate, tg.Migrate)
	if tg.Migrate == nil && j.Type == JobTypeService {
		tg.Migrate = &MigrateStrategy{}
	}
	tg.Migrate.canonicalize()
	tg.ReschedulePolicy = mergeReschedule(j.Reschedule, tg.ReschedulePolicy)
	if tg.ReschedulePolicy == nil {
		tg.ReschedulePolicy = DefaultReschedulePolicy(j.Type)
	} else {
		tg.ReschedulePolicy.canonicalize(j.Type)
	}
	tg.canonicalizeDisconnect()
	for _, n := range tg.Networks {
		if n.Mode == "" {
			n.Mode = DefaultNetworkMode
		}
	}
	for _, s := range tg.Services {
		s.canonicalize(fmt.Sprintf("%s-%s", j.Name, tg.Name))
	}
	for _, v := range tg.Volumes {
		if v.Type == "" {
			v.Type = "host"
		}
	}
	for _, t := range tg.Tasks {
		t.canonicalize(j, tg)
	}
}

// DefaultPlacementWeight is the weight of an affinity or spread that sets
// none.
const DefaultPlacementWeight = 50

// canonicalizePlacement gives constraints and affinities the operator "="
// and affinities and spreads the weight 50 when they set none.
func canonicalizePlacement(cons []*Constraint, affs []*Affinity, spreads []*Spread) {
	for _, c := range cons {
		pickZero(&c.Operand, ConstraintEqual)
	}
	for _, a := range affs {
		pickZero(&a.Operand, ConstraintEqual)
		pickZero(&a.Weight, DefaultPlacementWeight)
	}
	for _, s := range spreads {
		pickZero(&s.Weight, DefaultPlacementWeight)
		s.SpreadTarget = compact(s.SpreadTarget)
	}
}

// compact drops nil entries (a JSON job may hold nulls in its lists), so
// that everything after Canonicalize can rely on non-nil elements. An empty
// result is nil.
func compact[T any](s []*T) []*T {
	var out []*T
	for _, e := range s {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

// canonicalizeDisconnect keeps the disconnect block and the older
// max_client_disconnect and stop_after_client_disconnect fields in step,
// each filled from the other, so either reader finds its own.
func (tg *TaskGroup) canonicalizeDisconnect() {
	if tg.Disconnect == nil && (tg.MaxClientDisconnect != nil || tg.StopAfterClientDisconnect != nil) {
		tg.Disconnect = &DisconnectStrategy{}
	}
	d := tg.Disconnect
	if d == nil {
		return
	}
	if d.LostAfter == 0 && tg.MaxClientDisconnect != nil {
		d.LostAfter = *tg.MaxClientDisconnect
	}
	if d.StopOnClientAfter == nil && tg.StopAfterClientDisconnect != nil {
		v := *tg.StopAfterClientDisconnect
		d.StopOnClientAfter = &v
	}
	if tg.MaxClientDisconnect == nil && d.LostAfter > 0 {
		v := d.LostAfter
		tg.MaxClientDisconnect = &v
	}
	if tg.StopAfterClientDisconnect == nil && d.StopOnClientAfter != nil {
		v := *d.StopOnClientAfter
		tg.StopAfterClientDisconnect = &v
	}
	if d.Replace == nil {
		v := true
		d.Replace = &v
	}
	if d.Reconcile == "" {
		d.Reconcile = DefaultDisconnectReconcile
	}
}

func (t *Task) canonicalize(j *Job, tg *TaskGroup) {
	if len(t.Meta) == 0 {
		t.Meta = nil
	}
	if len(t.Env) == 0 {
		t.Env = nil
	}
	if len(t.Config) == 0 {
		t.Config = nil
	}
	t.Constraints, t.Affinities, t.Services = compact(t.Constraints), compact(t.Affinities), compact(t.Services)
	t.Templates, t.Artifacts, t.VolumeMounts = compact(t.Templates), compact(t.Artifacts), compact(t.VolumeMounts)
	t.Identities = compact(t.Identities)
	canonicalizePlacement(t.Constraints, t.Affinities, nil)
	if t.RestartPolicy == nil {
		rp := *tg.RestartPolicy
		t.RestartPolicy = &rp
	}
	if t.Resources == nil {
		t.Resources = &Resources{}
	}
	t.Resources.Networks = compact(t.Resources.Networks)
	if t.Resources.CPU == 0 && t.Resources.Cores == 0 {
		t.Resources.CPU = DefaultCPU
	}
	if t.Resources.MemoryMB == 0 {
		t.Resources.MemoryMB = DefaultMemoryMB
	}
	if t.KillTimeout == 0 {
		t.KillTimeout = DefaultKillTimeout
	}
	if t.LogConfig == nil {
		t.LogConfig = &LogConfig{}
	}
	if t.LogConfig.MaxFiles == 0 {
		t.LogConfig.MaxFiles = DefaultLogMaxFiles
	}
	if t.LogConfig.MaxFileSizeMB == 0 {
		t.LogConfig.MaxFileSizeMB = DefaultLogMaxFileSizeMB
	}
	for _, s := range t.Services {
		s.canonicalize(fmt.Sprintf("%s-%s-%s", j.Name, tg.Name, t.Name))
	}
	for _, tmpl := range t.Templates {
		tmpl.canonicalize()
	}
	for _, a := range t.Artifacts {
		a.canonicalize()
	}
}

// canonicalize fills a service's defaults; defaultName is Nomad's generated
// name for a service that has none.
func (s *Service) canonicalize(defaultName string) {
	if s.Name == "" {
		s.Name = defaultName
	}
	if s.Provider == "" {
		s.Provider = DefaultServiceProvider
	}
	if s.AddressMode == "" {
		s.AddressMode = DefaultAddressMode
	}
	if s.OnUpdate == "" {
		s.OnUpdate = DefaultOnUpdate
	}
	if len(s.Meta) == 0 {
		s.Meta = nil
	}
	if len(s.CanaryMeta) == 0 {
		s.CanaryMeta = nil
	}
	s.Checks = compact(s.Checks)
	unnamed := 0
	for _, c := range s.Checks {
		if c.Name == "" {
			// Nomad's default name; a second unnamed check gets a number so
			// that check names stay unique within the service.
			unnamed++
			c.Name = fmt.Sprintf("service: %q check", s.Name)
			if unnamed > 1 {
				c.Name = fmt.Sprintf("service: %q check %d", s.Name, unnamed)
			}
		}
		if c.OnUpdate == "" {
			c.OnUpdate = s.OnUpdate
		}
		c.CheckRestart = mergeCheckRestart(s.CheckRestart, c.CheckRestart)
	}
	// Like Nomad, the service-level check_restart lives on in its checks.
	s.CheckRestart = nil
}

func mergeCheckRestart(svc, check *CheckRestart) *CheckRestart {
	if svc == nil {
		return check
	}
	if check == nil {
		c := *svc
		return &c
	}
	c := *check
	if c.Limit == 0 {
		c.Limit = svc.Limit
	}
	if c.Grace == 0 {
		c.Grace = svc.Grace
	}
	c.IgnoreWarnings = c.IgnoreWarnings || svc.IgnoreWarnings
	return &c
}

func (t *Template) canonicalize() {
	if t.ChangeMode == "" {
		t.ChangeMode = TemplateChangeModeRestart
	}
	t.ChangeSignal = strings.ToUpper(t.ChangeSignal)
	if t.ChangeSignal == "" && t.ChangeMode == TemplateChangeModeSignal {
		t.ChangeSignal = "SIGHUP"
	}
	if t.Splay == 0 {
		t.Splay = DefaultTemplateSplay
	}
	if t.Perms == "" {
		t.Perms = DefaultTemplatePerms
	}
	if t.LeftDelim == "" {
		t.LeftDelim = "{{"
	}
	if t.RightDelim == "" {
		t.RightDelim = "}}"
	}
}

func (a *TaskArtifact) canonicalize() {
	if a.GetterMode == "" {
		a.GetterMode = GetterModeAny
	}
	if a.RelativeDest == "" {
		if a.GetterMode == GetterModeFile {
			src, _, _ := strings.Cut(a.GetterSource, "?")
			a.RelativeDest = path.Join("local", path.Base(src))
		} else {
			a.RelativeDest = "local/"
		}
	}
	if len(a.GetterOptions) == 0 {
		a.GetterOptions = nil
	}
	if len(a.GetterHeaders) == 0 {
		a.GetterHeaders = nil
	}
}
