package drover

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCanonicalizeDefaults(t *testing.T) {
	j := validJob()
	if j.Namespace != "default" || j.Region != "global" || j.Type != "service" || j.Priority != 50 || j.Name != "web" {
		t.Errorf("job defaults: %+v", j)
	}
	if len(j.Datacenters) != 1 || j.Datacenters[0] != "*" || j.NodePool != "default" {
		t.Errorf("placement defaults: %v %q", j.Datacenters, j.NodePool)
	}
	g := j.TaskGroups[0]
	task := g.Tasks[0]
	if task.Resources.CPU != 100 || task.Resources.MemoryMB != 300 || task.KillTimeout != 5*time.Second {
		t.Errorf("task defaults: %+v %v", task.Resources, task.KillTimeout)
	}
	if task.LogConfig.MaxFiles != 10 || task.LogConfig.MaxFileSizeMB != 10 || g.EphemeralDisk.SizeMB != 300 {
		t.Errorf("logs/disk defaults: %+v %+v", task.LogConfig, g.EphemeralDisk)
	}
	if rp := task.RestartPolicy; rp.Attempts != 2 || rp.Interval != 30*time.Minute || rp.Mode != "fail" {
		t.Errorf("service restart default: %+v", rp)
	}
	if g.Update != nil {
		t.Errorf("a service group without update block got one: %+v", g.Update)
	}
	if want := DefaultMigrateStrategy(); !reflect.DeepEqual(g.Migrate, want) {
		t.Errorf("migrate = %+v, want %+v", g.Migrate, want)
	}
	if want := (&ReschedulePolicy{Delay: 30 * time.Second, DelayFunction: "exponential", MaxDelay: time.Hour, Unlimited: true}); !reflect.DeepEqual(g.ReschedulePolicy, want) {
		t.Errorf("service reschedule = %+v, want %+v", g.ReschedulePolicy, want)
	}
	b := &Job{ID: "b", Type: JobTypeBatch, TaskGroups: []*TaskGroup{{Name: "g", Tasks: []*Task{{Name: "t", Driver: "mock"}}}}}
	b.Canonicalize()
	bg := b.TaskGroups[0]
	if rp := bg.RestartPolicy; rp.Attempts != 3 || rp.Interval != 24*time.Hour {
		t.Errorf("batch restart default: %+v", rp)
	}
	if want := (&ReschedulePolicy{Attempts: 1, Interval: 24 * time.Hour, Delay: 5 * time.Second, DelayFunction: "constant"}); !reflect.DeepEqual(bg.ReschedulePolicy, want) {
		t.Errorf("batch reschedule = %+v, want %+v", bg.ReschedulePolicy, want)
	}
	if bg.Migrate != nil || bg.Update != nil {
		t.Errorf("batch group got migrate %+v / update %+v", bg.Migrate, bg.Update)
	}
	// A group's restart policy is each task's default, as a copy.
	bg.Tasks[0].RestartPolicy.Attempts = 9
	if bg.RestartPolicy.Attempts == 9 {
		t.Error("task restart policy aliases the group's")
	}
	s := &Job{ID: "s", Type: JobTypeSystem, TaskGroups: []*TaskGroup{{Name: "g", Tasks: []*Task{{Name: "t", Driver: "mock"}}}}}
	s.Canonicalize()
	if sg := s.TaskGroups[0]; sg.ReschedulePolicy != nil || sg.Migrate != nil || sg.Count != 1 {
		t.Errorf("system group: reschedule %+v migrate %+v count %d", sg.ReschedulePolicy, sg.Migrate, sg.Count)
	}
}

func TestCanonicalizeUpdateMerge(t *testing.T) {
	tests := []struct {
		name       string
		job, group *UpdateStrategy
		want       *UpdateStrategy
	}{
		{"none", nil, nil, nil},
		{"job only gets defaults", &UpdateStrategy{Canary: 1, AutoRevert: true}, nil,
			&UpdateStrategy{Stagger: 30 * time.Second, MaxParallel: 1, HealthCheck: "checks", MinHealthyTime: 10 * time.Second,
				HealthyDeadline: 5 * time.Minute, ProgressDeadline: 10 * time.Minute, Canary: 1, AutoRevert: true}},
		{"group wins field by field", &UpdateStrategy{MaxParallel: 2, Canary: 1, HealthCheck: "task_states"},
			&UpdateStrategy{MaxParallel: 3, MinHealthyTime: 30 * time.Second},
			&UpdateStrategy{Stagger: 30 * time.Second, MaxParallel: 3, HealthCheck: "task_states", MinHealthyTime: 30 * time.Second,
				HealthyDeadline: 5 * time.Minute, ProgressDeadline: 10 * time.Minute, Canary: 1}},
		{"empty job block is not inherited", &UpdateStrategy{}, nil, nil},
		{"empty group block turns deployments off", nil, &UpdateStrategy{}, &UpdateStrategy{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := validJob()
			j.Update, j.TaskGroups[0].Update = tt.job, tt.group
			j.Canonicalize()
			if got := j.TaskGroups[0].Update; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("update = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCanonicalizeReschedule(t *testing.T) {
	tests := []struct {
		name, jobType string
		job, group    *ReschedulePolicy
		want          *ReschedulePolicy
	}{
		{"off stays off", JobTypeService, nil, &ReschedulePolicy{}, &ReschedulePolicy{}},
		{"service partial gets unlimited", JobTypeService, nil, &ReschedulePolicy{Delay: time.Minute},
			&ReschedulePolicy{Delay: time.Minute, DelayFunction: "exponential", MaxDelay: time.Hour, Unlimited: true}},
		{"attempts stay limited", JobTypeService, nil, &ReschedulePolicy{Attempts: 3, Interval: time.Hour},
			&ReschedulePolicy{Attempts: 3, Interval: time.Hour, Delay: 30 * time.Second, DelayFunction: "exponential", MaxDelay: time.Hour}},
		{"batch partial", JobTypeBatch, nil, &ReschedulePolicy{Delay: time.Minute},
			&ReschedulePolicy{Attempts: 1, Interval: 24 * time.Hour, Delay: time.Minute, DelayFunction: "constant"}},
		{"job merged under group", JobTypeBatch, &ReschedulePolicy{Attempts: 5, Interval: time.Hour}, &ReschedulePolicy{Delay: 10 * time.Second},
			&ReschedulePolicy{Attempts: 5, Interval: time.Hour, Delay: 10 * time.Second, DelayFunction: "constant"}},
		{"system has none", JobTypeSystem, nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := validJob()
			j.Type, j.Reschedule = tt.jobType, tt.job
			g := j.TaskGroups[0]
			g.ReschedulePolicy, g.Migrate, g.RestartPolicy = tt.group, nil, nil
			j.Canonicalize()
			if got := g.ReschedulePolicy; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("reschedule = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// fullJob is a job using every block, before canonicalization.
func fullJob() *Job {
	lost := 5 * time.Minute
	stop := time.Minute
	return &Job{
		ID: "full", Type: JobTypeService,
		Meta:        map[string]string{},
		Constraints: []*Constraint{{LTarget: "${attr.kernel.name}", RTarget: "linux"}},
		Affinities:  []*Affinity{{LTarget: "${node.datacenter}", RTarget: "dc1"}},
		Spreads:     []*Spread{{Attribute: "${node.datacenter}", SpreadTarget: []*SpreadTarget{{Value: "dc1", Percent: 60}}}},
		Update:      &UpdateStrategy{Canary: 1, AutoRevert: true},
		Migrate:     &MigrateStrategy{MaxParallel: 2},
		Reschedule:  &ReschedulePolicy{Delay: time.Minute},
		TaskGroups: []*TaskGroup{{
			Name: "web", Count: 2,
			Networks:            []*NetworkResource{{DynamicPorts: []Port{{Label: "http", To: 8080}}}},
			Services:            []*Service{{PortLabel: "http", Checks: []*ServiceCheck{{Type: "http", Path: "/", Interval: time.Second, Timeout: time.Second}}, CheckRestart: &CheckRestart{Limit: 3}}},
			Volumes:             map[string]*VolumeRequest{"data": {Source: "data"}},
			MaxClientDisconnect: &lost, StopAfterClientDisconnect: &stop,
			Tasks: []*Task{{
				Name: "api", Driver: "docker", Config: map[string]any{"image": "nginx"}, Env: map[string]string{},
				Templates:    []*Template{{EmbeddedTmpl: "x", DestPath: "local/x", ChangeMode: "signal", ChangeSignal: "sighup"}},
				Artifacts:    []*TaskArtifact{{GetterSource: "https://example.com/app.tar.gz?checksum=sha256:ab", GetterMode: "file"}},
				Services:     []*Service{{Name: "api", PortLabel: "http"}},
				VolumeMounts: []*VolumeMount{{Volume: "data", Destination: "/data"}},
			}},
		}},
		Periodic:         &PeriodicConfig{Spec: "@daily"},
		ParameterizedJob: &ParameterizedJobConfig{},
	}
}

func TestCanonicalizeBlocks(t *testing.T) {
	j := fullJob()
	j.Canonicalize()
	g := j.TaskGroups[0]
	task := g.Tasks[0]
	if j.Meta != nil || task.Env != nil {
		t.Errorf("empty maps are not nil: %v %v", j.Meta, task.Env)
	}
	if c, a, s := j.Constraints[0], j.Affinities[0], j.Spreads[0]; c.Operand != "=" || a.Operand != "=" || a.Weight != 50 || s.Weight != 50 {
		t.Errorf("placement defaults: %+v %+v %+v", c, a, s)
	}
	if p := j.Periodic; p.SpecType != "cron" || len(p.Specs) != 1 || p.Specs[0] != "@daily" || p.TimeZone != "UTC" {
		t.Errorf("periodic = %+v", p)
	}
	if j.ParameterizedJob.Payload != "optional" {
		t.Errorf("payload = %q", j.ParameterizedJob.Payload)
	}
	if g.Migrate.MaxParallel != 2 || g.Migrate.HealthCheck != "checks" || g.Update.Canary != 1 || g.Update.MaxParallel != 1 {
		t.Errorf("merged policies: %+v %+v", g.Migrate, g.Update)
	}
	if g.Networks[0].Mode != "host" || g.Volumes["data"].Type != "host" {
		t.Errorf("network/volume defaults: %+v %+v", g.Networks[0], g.Volumes["data"])
	}
	if d := g.Disconnect; d == nil || d.LostAfter != 5*time.Minute || d.StopOnClientAfter == nil || *d.StopOnClientAfter != time.Minute ||
		!*d.Replace || d.Reconcile != "best_score" || g.MaxClientDisconnect == nil {
		t.Errorf("disconnect = %+v", d)
	}
	nd := &TaskGroup{Disconnect: &DisconnectStrategy{LostAfter: time.Hour}}
	nd.canonicalizeDisconnect()
	if nd.MaxClientDisconnect == nil || *nd.MaxClientDisconnect != time.Hour || nd.StopAfterClientDisconnect != nil {
		t.Errorf("older fields from disconnect: %v %v", nd.MaxClientDisconnect, nd.StopAfterClientDisconnect)
	}
	gs := g.Services[0]
	if gs.Name != "full-web" || gs.Provider != "nomad" || gs.AddressMode != "auto" || gs.CheckRestart != nil {
		t.Errorf("group service = %+v", gs)
	}
	if c := gs.Checks[0]; c.Name != `service: "full-web" check` || c.CheckRestart == nil || c.CheckRestart.Limit != 3 {
		t.Errorf("check = %+v", c)
	}
	tmpl := task.Templates[0]
	if tmpl.ChangeSignal != "SIGHUP" || tmpl.Splay != 5*time.Second || tmpl.Perms != "0644" || tmpl.LeftDelim != "{{" || tmpl.RightDelim != "}}" {
		t.Errorf("template = %+v", tmpl)
	}
	if a := task.Artifacts[0]; a.RelativeDest != "local/app.tar.gz" {
		t.Errorf("artifact dest = %q", a.RelativeDest)
	}
	if (&TaskArtifact{GetterSource: "x"}).canonicalizedDest() != "local/" {
		t.Error("an artifact in mode any lands in local/")
	}
}

func (a *TaskArtifact) canonicalizedDest() string {
	c := *a
	c.canonicalize()
	return c.RelativeDest
}

func TestCanonicalizeIsIdempotent(t *testing.T) {
	for _, mk := range []func() *Job{fullJob, validJob, func() *Job {
		j := fullJob()
		j.Type = JobTypeBatch
		j.Update = nil
		return j
	}} {
		once := mk()
		once.Canonicalize()
		twice := once.Copy()
		twice.Canonicalize()
		if !reflect.DeepEqual(once, twice) {
			d, _ := once.Diff(twice, false)
			t.Errorf("canonicalizing twice differs from once: %+v", d)
		}
	}
}

func TestNullsInListsDoNotPanic(t *testing.T) {
	mk := func() *Job {
		return &Job{ID: "x", Constraints: []*Constraint{nil}, TaskGroups: []*TaskGroup{nil, {
			Name: "g", Count: 1, Services: []*Service{nil}, Networks: []*NetworkResource{nil},
			Volumes: map[string]*VolumeRequest{"v": nil},
			Tasks: []*Task{nil, {Name: "t", Driver: "raw_exec", Services: []*Service{{Name: "s", Checks: []*ServiceCheck{nil}}},
				Templates: []*Template{nil}, Artifacts: []*TaskArtifact{nil}, Resources: &Resources{Networks: []*NetworkResource{nil}}}},
		}}}
	}
	if err := mk().Validate(); err == nil || !strings.Contains(err.Error(), "TaskGroups[0] is null") ||
		!strings.Contains(err.Error(), "TaskGroups[1].Tasks[1].Services[0].Checks[0] is null") {
		t.Errorf("Validate of a raw job with a null group = %v", err)
	}
	if _, err := mk().Diff(mk(), true); err != nil {
		t.Errorf("Diff of raw jobs with nulls: %v", err)
	}
	j := mk()
	j.Canonicalize()
	if len(j.TaskGroups) != 1 || len(j.TaskGroups[0].Tasks) != 1 || j.Constraints != nil || len(j.TaskGroups[0].Volumes) != 0 {
		t.Fatalf("nulls survived Canonicalize: %+v", j)
	}
	if err := j.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if _, err := j.Diff(mk(), false); err != nil {
		t.Errorf("Diff: %v", err)
	}
}
