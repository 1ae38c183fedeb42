package drover

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"
)

var validJobID = regexp.MustCompile(`^[a-zA-Z0-9_.\-]+$`)

// problems collects validation errors, each prefixed with where it was found
// ("group \"web\": task \"api\": "), so that every line of the joined error
// stands on its own.
type problems struct {
	prefix string
	errs   *[]error
}

func newProblems() problems { return problems{errs: new([]error)} }

// addf records one problem at the current place.
func (p problems) addf(format string, args ...any) {
	*p.errs = append(*p.errs, fmt.Errorf(p.prefix+format, args...))
}

// in returns a collector for a place nested in this one.
func (p problems) in(format string, args ...any) problems {
	return problems{prefix: p.prefix + fmt.Sprintf(format, args...) + ": ", errs: p.errs}
}

// merge records every problem of err (a joined error or a single one).
func (p problems) merge(err error) {
	for _, msg := range SplitErrors(err) {
		p.addf("%s", msg)
	}
}

func (p problems) err() error { return errors.Join(*p.errs...) }

// SplitErrors returns the messages of a joined error, one per problem, as
// Validate reports them; nil gives nil. Each message names where the problem
// is, so the list suits JobValidateResponse.ValidationErrors.
func SplitErrors(err error) []string {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, SplitErrors(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

// Validate checks a canonicalized job and reports every problem it finds,
// joined, one per line, each naming where it is ("group \"web\": task
// \"api\": ..."). It does not check drivers' configs: drivers do, at
// validation and placement time.
func (j *Job) Validate() error {
	p := newProblems()
	if nulls := findNulls(reflect.ValueOf(j).Elem(), ""); len(nulls) > 0 {
		// Canonicalize drops these; a job that skipped it is refused
		// before anything dereferences them.
		for _, n := range nulls {
			p.addf("%s is null", n)
		}
		return p.err()
	}
	j.validateJob(p)
	groups := map[string]bool{}
	for i, tg := range j.TaskGroups {
		switch {
		case tg.Name == "":
			p.addf("group %d has no name", i+1)
		case groups[tg.Name]:
			p.addf("group %q is defined twice", tg.Name)
		}
		groups[tg.Name] = true
		tg.validate(j, p.in("group %q", tg.Name))
	}
	return p.err()
}

func (j *Job) validateJob(p problems) {
	switch {
	case j.ID == "":
		p.addf("job ID is required")
	case len(j.ID) > 128:
		p.addf("job ID %q is longer than 128 characters", j.ID)
	case !validJobID.MatchString(j.ID):
		p.addf("job ID %q may contain only letters, digits, '_', '-' and '.'", j.ID)
	}
	switch j.Type {
	case JobTypeService, JobTypeBatch, JobTypeSystem, JobTypeSysBatch:
	default:
		p.addf("job type %q is unknown: expected one of service, batch, system, sysbatch", j.Type)
	}
	if j.Priority < MinPriority || j.Priority > MaxPriority {
		p.addf("priority %d is out of range: expected %d to %d", j.Priority, MinPriority, MaxPriority)
	}
	for _, dc := range j.Datacenters {
		if strings.TrimSpace(dc) == "" {
			p.addf("datacenters: a datacenter name is empty")
		}
	}
	if len(j.TaskGroups) == 0 {
		p.addf("job has no task group: a job needs at least one group")
	}
	validatePlacement(p, j.Type, "job", j.Constraints, j.Affinities, j.Spreads)
	if j.Periodic != nil {
		if j.Type != JobTypeBatch && j.Type != JobTypeSysBatch {
			p.addf("periodic: a %s job cannot be periodic: periodic is for batch and sysbatch jobs", j.Type)
		}
		p.in("periodic").merge(j.Periodic.Validate())
	}
	if j.ParameterizedJob != nil {
		if j.Type != JobTypeBatch && j.Type != JobTypeSysBatch {
			p.addf("parameterized: a %s job cannot be parameterized: parameterized is for batch and sysbatch jobs", j.Type)
		}
		p.in("parameterized").merge(j.ParameterizedJob.Validate())
	}
}

func (tg *TaskGroup) validate(j *Job, p problems) {
	if tg.Count < 0 {
		p.addf("count %d is negative", tg.Count)
	}
	if j.Type == JobTypeSystem && tg.Count > 1 {
		p.addf("count %d: a system job runs one allocation per node; count cannot exceed 1", tg.Count)
	}
	if len(tg.Tasks) == 0 {
		p.addf("group has no task")
	}
	validatePlacement(p, j.Type, "group", tg.Constraints, tg.Affinities, tg.Spreads)
	p.in("restart").merge(tg.RestartPolicy.Validate())
	tg.validatePolicies(j, p)
	if tg.EphemeralDisk != nil && tg.EphemeralDisk.SizeMB <= 0 {
		p.addf("ephemeral_disk: size %d MB must be positive", tg.EphemeralDisk.SizeMB)
	}
	if tg.ShutdownDelay != nil && *tg.ShutdownDelay < 0 {
		p.addf("shutdown_delay %s is negative", *tg.ShutdownDelay)
	}
	tg.validateDisconnect(j, p)
	tg.validateVolumes(p)
	tg.validateNetworks(p)
	tg.validateTasks(j, p)
	tg.validateServices(p)
}

// validatePolicies checks the update, migrate and reschedule blocks against
// the job type.
func (tg *TaskGroup) validatePolicies(j *Job, p problems) {
	if u := tg.Update; u != nil {
		switch j.Type {
		case JobTypeService, JobTypeSystem:
			p.in("update").merge(u.Validate(j.Type))
		default:
			p.addf("update: a %s job cannot have an update block: updates are for service and system jobs", j.Type)
		}
	}
	if m := tg.Migrate; m != nil {
		if j.Type == JobTypeService {
			p.in("migrate").merge(m.Validate())
		} else {
			p.addf("migrate: a %s job cannot have a migrate block: migrate is for service jobs", j.Type)
		}
	}
	if r := tg.ReschedulePolicy; r != nil {
		if j.Type == JobTypeSystem || j.Type == JobTypeSysBatch {
			p.addf("reschedule: a %s job cannot have a reschedule block: it runs on every node and is never placed elsewhere", j.Type)
		} else {
			p.in("reschedule").merge(r.Validate())
		}
	}
}

func (tg *TaskGroup) validateDisconnect(j *Job, p problems) {
	if d := tg.StopAfterClientDisconnect; d != nil {
		if *d < 0 {
			p.addf("stop_after_client_disconnect %s is negative", *d)
		} else if *d > 0 && j.Type != JobTypeBatch && j.Type != JobTypeService {
			p.addf("stop_after_client_disconnect: only batch and service jobs can set it")
		}
	}
	if d := tg.MaxClientDisconnect; d != nil && *d < 0 {
		p.addf("max_client_disconnect %s is negative", *d)
	}
	d := tg.Disconnect
	if d == nil {
		return
	}
	dp := p.in("disconnect")
	if d.LostAfter < 0 {
		dp.addf("lost_after %s is negative", d.LostAfter)
	}
	if tg.MaxClientDisconnect != nil && *tg.MaxClientDisconnect != d.LostAfter {
		dp.addf("lost_after %s and the older max_client_disconnect %s disagree: set only one", d.LostAfter, *tg.MaxClientDisconnect)
	}
	if d.StopOnClientAfter != nil && *d.StopOnClientAfter < 0 {
		dp.addf("stop_on_client_after %s is negative", *d.StopOnClientAfter)
	}
	if tg.StopAfterClientDisconnect != nil && d.StopOnClientAfter != nil && *tg.StopAfterClientDisconnect != *d.StopOnClientAfter {
		dp.addf("stop_on_client_after and the older stop_after_client_disconnect disagree: set only one")
	}
	switch d.Reconcile {
	case "", "best_score", "keep_original", "keep_replacement", "longest_running":
	default:
		dp.addf("reconcile %q is unknown: expected best_score, keep_original, keep_replacement or longest_running", d.Reconcile)
	}
}

func (tg *TaskGroup) validateTasks(j *Job, p problems) {
	tasks := map[string]bool{}
	leaders, mains, lifecycles := 0, 0, 0
	for i, t := range tg.Tasks {
		switch {
		case t.Name == "":
			p.addf("task %d has no name", i+1)
		case tasks[t.Name]:
			p.addf("task %q is defined twice", t.Name)
		}
		tasks[t.Name] = true
		if t.Leader {
			leaders++
		}
		if t.Lifecycle == nil {
			mains++
		} else {
			lifecycles++
		}
		t.validate(j, tg, p.in("task %q", t.Name))
	}
	if leaders > 1 {
		p.addf("%d tasks are marked leader: at most one task may be the leader", leaders)
	}
	if lifecycles > 0 && mains == 0 {
		p.addf("every task has a lifecycle block: a group needs at least one main task (one without lifecycle)")
	}
}

func (t *Task) validate(j *Job, tg *TaskGroup, p problems) {
	if strings.ContainsAny(t.Name, "/\\\x00") {
		p.addf("name may not contain slashes or NUL characters")
	}
	if strings.TrimSpace(t.Driver) == "" {
		p.addf("driver is required")
	}
	t.Resources.validate(p.in("resources"))
	if t.KillTimeout < 0 {
		p.addf("kill_timeout %s is negative", t.KillTimeout)
	}
	if t.ShutdownDelay < 0 {
		p.addf("shutdown_delay %s is negative", t.ShutdownDelay)
	}
	if t.RestartPolicy != nil && tg.RestartPolicy != nil && *t.RestartPolicy != *tg.RestartPolicy {
		p.in("restart").merge(t.RestartPolicy.Validate()) // the group's is checked once, with the group
	}
	t.LogConfig.validate(tg.EphemeralDisk, p.in("logs"))
	validatePlacement(p, j.Type, "task", t.Constraints, t.Affinities, nil)
	for i, a := range t.Artifacts {
		a.validate(p.in("artifact %d", i+1))
	}
	t.validateTemplates(p)
	t.validateLifecycle(p)
	t.validateTaskServices(tg, p)
	if t.DispatchPayload != nil {
		dp := p.in("dispatch_payload")
		if j.ParameterizedJob == nil && !j.Dispatched {
			dp.addf("only a parameterized job's tasks receive a dispatch payload")
		}
		if escapes(t.DispatchPayload.File) {
			dp.addf("file %q escapes the task's local directory", t.DispatchPayload.File)
		}
	}
	for i, vm := range t.VolumeMounts {
		vm.validate(tg, p.in("volume_mount %d", i+1))
	}
	t.validateIdentities(p)
}

func (t *Task) validateIdentities(p problems) {
	ids := append([]*WorkloadIdentity(nil), t.Identities...)
	if t.Identity != nil {
		ids = append([]*WorkloadIdentity{t.Identity}, ids...)
	}
	names := map[string]bool{}
	for _, id := range ids {
		name := id.Name
		if name == "" {
			name = "default"
		}
		ip := p.in("identity %q", name)
		if names[name] {
			ip.addf("is defined twice")
		}
		names[name] = true
		switch id.ChangeMode {
		case "", "noop", "restart":
		case "signal":
			if id.ChangeSignal == "" {
				ip.addf("change_mode signal needs change_signal")
			}
		default:
			ip.addf("change_mode %q is unknown: expected noop, restart or signal", id.ChangeMode)
		}
		if id.TTL < 0 {
			ip.addf("ttl %s is negative", id.TTL)
		}
	}
}

func (r *Resources) validate(p problems) {
	if r == nil {
		return
	}
	if r.CPU < 0 {
		p.addf("cpu %d is negative", r.CPU)
	}
	if r.Cores < 0 {
		p.addf("cores %d is negative", r.Cores)
	}
	if r.CPU > 0 && r.Cores > 0 {
		p.addf("cpu and cores are exclusive; set one")
	}
	if r.CPU == 0 && r.Cores == 0 {
		p.addf("cpu must be positive (or set cores)")
	}
	if r.MemoryMB <= 0 {
		p.addf("memory %d MB must be positive", r.MemoryMB)
	}
	if r.MemoryMaxMB != 0 && r.MemoryMaxMB < r.MemoryMB {
		p.addf("memory_max %d MB is below memory %d MB", r.MemoryMaxMB, r.MemoryMB)
	}
	if r.DiskMB < 0 {
		p.addf("disk %d MB is negative", r.DiskMB)
	}
	for _, n := range r.Networks {
		if n.MBits < 0 {
			p.addf("network: mbits %d is negative", n.MBits)
		}
	}
}

func (l *LogConfig) validate(disk *EphemeralDisk, p problems) {
	if l == nil || l.Disabled {
		return
	}
	if l.MaxFiles < 1 {
		p.addf("max_files %d must be at least 1", l.MaxFiles)
	}
	if l.MaxFileSizeMB < 1 {
		p.addf("max_file_size %d MB must be at least 1", l.MaxFileSizeMB)
	}
	if disk != nil && disk.SizeMB > 0 && l.MaxFiles*l.MaxFileSizeMB >= disk.SizeMB {
		p.addf("log storage (%d files of %d MB) must be less than the group's ephemeral_disk (%d MB)", l.MaxFiles, l.MaxFileSizeMB, disk.SizeMB)
	}
}

func (t *Task) validateLifecycle(p problems) {
	lc := t.Lifecycle
	if lc == nil {
		return
	}
	lp := p.in("lifecycle")
	switch lc.Hook {
	case TaskLifecycleHookPrestart, TaskLifecycleHookPoststart:
	case TaskLifecycleHookPoststop:
		if lc.Sidecar {
			lp.addf("sidecar cannot be set on a poststop task: sidecars run beside the main tasks (prestart or poststart)")
		}
	case "":
		lp.addf("hook is required: prestart, poststart or poststop")
	default:
		lp.addf("hook %q is unknown: expected prestart, poststart or poststop", lc.Hook)
	}
}

// findNulls returns the paths ("TaskGroups[0].Tasks[1]") of nil entries in
// the lists and maps of a struct value, recursively.
func findNulls(v reflect.Value, path string) []string {
	var out []string
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			out = findNulls(v.Elem(), path)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Type().Field(i); f.IsExported() {
				out = append(out, findNulls(v.Field(i), strings.TrimPrefix(path+"."+f.Name, "."))...)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Pointer {
			return nil
		}
		for i := 0; i < v.Len(); i++ {
			e := v.Index(i)
			if e.IsNil() {
				out = append(out, fmt.Sprintf("%s[%d]", path, i))
			} else {
				out = append(out, findNulls(e, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	case reflect.Map:
		if v.Type().Elem().Kind() != reflect.Pointer {
			return nil
		}
		for _, k := range v.MapKeys() {
			if e := v.MapIndex(k); e.IsNil() {
				out = append(out, fmt.Sprintf("%s[%v]", path, k.Interface()))
			} else {
				out = append(out, findNulls(e, fmt.Sprintf("%s[%v]", path, k.Interface()))...)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Validate checks the policy's fields.
func (p *RestartPolicy) Validate() error {
	if p == nil {
		return nil
	}
	var errs []error
	if p.Mode != RestartModeFail && p.Mode != RestartModeDelay {
		errs = append(errs, fmt.Errorf("mode %q is unknown: expected %q or %q", p.Mode, RestartModeFail, RestartModeDelay))
	}
	if p.Attempts < 0 {
		errs = append(errs, fmt.Errorf("attempts %d is negative", p.Attempts))
	}
	if p.Delay < 0 {
		errs = append(errs, fmt.Errorf("delay %s is negative", p.Delay))
	}
	if p.Interval < 0 {
		errs = append(errs, fmt.Errorf("interval %s is negative", p.Interval))
	}
	if p.Attempts > 0 && p.Interval > 0 && time.Duration(p.Attempts)*p.Delay > p.Interval {
		errs = append(errs, fmt.Errorf("%d attempts with delay %s do not fit in interval %s", p.Attempts, p.Delay, p.Interval))
	}
	return errors.Join(errs...)
}

// Warnings returns what is dubious or deprecated in a canonicalized job but
// not wrong: each message names where it is. Nomad reports the same kinds of
// warnings on register and plan.
func (j *Job) Warnings() []string {
	var out []string
	promote := 0
	for _, tg := range j.TaskGroups {
		where := fmt.Sprintf("group %q: ", tg.Name)
		if u := tg.Update; u != nil && !u.IsEmpty() {
			if u.MaxParallel > tg.Count && tg.Count > 0 {
				out = append(out, fmt.Sprintf("%supdate: max_parallel %d is greater than count %d: a destructive change replaces every allocation at once", where, u.MaxParallel, tg.Count))
			}
			if u.AutoPromote {
				promote++
			}
		}
		ports := map[string]string{}
		for _, s := range tg.allServices() {
			if port, ok := ports[s.Name]; ok && port != s.PortLabel {
				out = append(out, fmt.Sprintf("%sservice %q is registered on ports %q and %q: instances of both share one name", where, s.Name, port, s.PortLabel))
			}
			ports[s.Name] = s.PortLabel
		}
		for _, t := range tg.Tasks {
			if t.Resources != nil && len(t.Resources.Networks) > 0 {
				out = append(out, fmt.Sprintf("%stask %q: a network block inside resources is deprecated: use the group's network block", where, t.Name))
			}
		}
	}
	if promote > 0 && promote < len(j.TaskGroups) {
		out = append(out, "update: auto_promote must be set on every group to promote automatically")
	}
	return out
}

// allServices returns the group's services followed by its tasks'.
func (tg *TaskGroup) allServices() []*Service {
	out := append([]*Service(nil), tg.Services...)
	for _, t := range tg.Tasks {
		out = append(out, t.Services...)
	}
	return out
}
