package drover

import (
	"strings"
	"testing"
	"time"
)

// richJob is a valid canonicalized job with a network, services, checks,
// templates, artifacts and a volume, for mutating into invalid ones.
func richJob() *Job {
	j := &Job{ID: "web", TaskGroups: []*TaskGroup{{
		Name: "g", Count: 2,
		Networks: []*NetworkResource{{
			ReservedPorts: []Port{{Label: "admin", Value: 9000}},
			DynamicPorts:  []Port{{Label: "http", To: 8080}},
		}},
		Volumes: map[string]*VolumeRequest{"data": {Type: "host", Source: "data"}},
		Services: []*Service{{Name: "web", PortLabel: "http",
			Checks: []*ServiceCheck{{Name: "alive", Type: "http", Path: "/health", Interval: 10 * time.Second, Timeout: 2 * time.Second}}}},
		Tasks: []*Task{{
			Name: "t", Driver: "docker", Config: map[string]any{"image": "nginx"},
			Services:     []*Service{{Name: "api", PortLabel: "admin", Checks: []*ServiceCheck{{Name: "tcp", Type: "tcp", Interval: time.Second, Timeout: time.Second}}}},
			Templates:    []*Template{{EmbeddedTmpl: "x={{ env \"A\" }}", DestPath: "local/app.env"}},
			Artifacts:    []*TaskArtifact{{GetterSource: "https://example.com/a.tgz", GetterOptions: map[string]string{"checksum": "sha256:abcd"}}},
			VolumeMounts: []*VolumeMount{{Volume: "data", Destination: "/data"}},
		}},
	}}}
	j.Canonicalize()
	return j
}

func TestJobValidate(t *testing.T) {
	group := func(j *Job) *TaskGroup { return j.TaskGroups[0] }
	task := func(j *Job) *Task { return j.TaskGroups[0].Tasks[0] }
	dur := func(d time.Duration) *time.Duration { return &d }
	tests := []struct {
		name   string
		mutate func(*Job)
		want   []string
	}{
		{"valid", func(*Job) {}, nil},
		{"valid system", func(j *Job) {
			j.Type = JobTypeSystem
			group(j).Count = 1
			group(j).ReschedulePolicy = nil
			group(j).Migrate = nil
		}, nil},
		{"valid periodic batch", func(j *Job) {
			j.Type = JobTypeBatch
			j.Periodic = &PeriodicConfig{Enabled: true, Specs: []string{"*/5 * * * *", "@daily"}, SpecType: "cron", TimeZone: "Europe/Paris"}
			group(j).Migrate = nil
		}, nil},
		// job
		{"no id", func(j *Job) { j.ID = "" }, []string{"job ID is required"}},
		{"bad id", func(j *Job) { j.ID = "a b" }, []string{`job ID "a b" may contain only`}},
		{"unknown type", func(j *Job) { j.Type = "daemon" }, []string{`job type "daemon" is unknown`}},
		{"priority", func(j *Job) { j.Priority = 101 }, []string{"priority 101 is out of range"}},
		{"no groups", func(j *Job) { j.TaskGroups = nil }, []string{"no task group"}},
		{"empty datacenter", func(j *Job) { j.Datacenters = []string{""} }, []string{"datacenter name is empty"}},
		{"periodic service", func(j *Job) { j.Periodic = &PeriodicConfig{Specs: []string{"@daily"}, SpecType: "cron"} },
			[]string{"periodic: a service job cannot be periodic"}},
		{"invalid cron", func(j *Job) {
			j.Type, group(j).Migrate = JobTypeBatch, nil
			j.Periodic = &PeriodicConfig{Specs: []string{"61 * * * *"}, SpecType: "cron"}
		}, []string{`periodic: cron "61 * * * *" is invalid`}},
		{"no cron", func(j *Job) {
			j.Type, group(j).Migrate = JobTypeBatch, nil
			j.Periodic = &PeriodicConfig{SpecType: "cron"}
		}, []string{"periodic: crons is required"}},
		{"bad time zone", func(j *Job) {
			j.Type, group(j).Migrate = JobTypeBatch, nil
			j.Periodic = &PeriodicConfig{Specs: []string{"@daily"}, SpecType: "cron", TimeZone: "Mars/Olympus"}
		}, []string{`time_zone "Mars/Olympus" is unknown`}},
		{"parameterized service", func(j *Job) { j.ParameterizedJob = &ParameterizedJobConfig{Payload: "optional"} },
			[]string{"a service job cannot be parameterized"}},
		{"parameterized payload and meta", func(j *Job) {
			j.Type, group(j).Migrate = JobTypeBatch, nil
			j.ParameterizedJob = &ParameterizedJobConfig{Payload: "sometimes", MetaRequired: []string{"a"}, MetaOptional: []string{"a"}}
		}, []string{`payload "sometimes" is unknown`, `meta key "a" is both required and optional`}},
		{"dispatch payload outside parameterized", func(j *Job) { task(j).DispatchPayload = &DispatchPayloadConfig{File: "in"} },
			[]string{`task "t": dispatch_payload: only a parameterized job's tasks`}},
		{"dispatch payload escapes", func(j *Job) {
			j.Type, group(j).Migrate = JobTypeBatch, nil
			j.ParameterizedJob = &ParameterizedJobConfig{Payload: "optional"}
			task(j).DispatchPayload = &DispatchPayloadConfig{File: "../../../etc/x"}
		}, []string{"escapes the task's local directory"}},
		// placement
		{"constraint unknown operator", func(j *Job) { j.Constraints = []*Constraint{{LTarget: "${attr.x}", RTarget: "1", Operand: "~="}} },
			[]string{`constraint 1: operator "~=" is unknown`}},
		{"constraint bad regexp", func(j *Job) {
			group(j).Constraints = []*Constraint{{LTarget: "${attr.x}", RTarget: "(", Operand: "regexp"}}
		},
			[]string{`group "g": constraint 1: regexp "(" does not compile`}},
		{"constraint bad version", func(j *Job) {
			j.Constraints = []*Constraint{{LTarget: "${attr.x}", RTarget: ">= banana", Operand: "version"}}
		},
			[]string{`version constraint ">= banana" is invalid`}},
		{"valid version constraints", func(j *Job) {
			j.Constraints = []*Constraint{{LTarget: "${attr.x}", RTarget: ">= 1.6.0, < 2.0", Operand: "version"},
				{LTarget: "${attr.y}", RTarget: "~> 1.2", Operand: "version"}, {LTarget: "${attr.z}", RTarget: ">= 22.4.0", Operand: "semver"}}
		}, nil},
		{"constraint bad semver", func(j *Job) {
			j.Constraints = []*Constraint{{LTarget: "${attr.x}", RTarget: "~> 1.2.3", Operand: "semver"}}
		},
			[]string{`semver constraint "~> 1.2.3" is invalid`}},
		{"constraint missing value", func(j *Job) { j.Constraints = []*Constraint{{LTarget: "${attr.x}", Operand: "="}} },
			[]string{`value is required for operator "="`}},
		{"distinct_hosts on task", func(j *Job) { task(j).Constraints = []*Constraint{{Operand: "distinct_hosts"}} },
			[]string{`task "t": constraint 1: operator "distinct_hosts" applies to allocations`}},
		{"distinct_hosts with an attribute", func(j *Job) {
			j.Constraints = []*Constraint{{LTarget: "${node.unique.id}", Operand: "distinct_hosts", RTarget: "true"}}
		}, []string{`constraint 1: distinct_hosts takes no attribute`, `remove attribute "${node.unique.id}"`}},
		{"distinct_hosts not a bool", func(j *Job) { group(j).Constraints = []*Constraint{{Operand: "distinct_hosts", RTarget: "yes please"}} },
			[]string{`group "g": constraint 1: distinct_hosts value "yes please" is not a boolean`}},
		{"valid distinct_hosts", func(j *Job) {
			j.Constraints = []*Constraint{{Operand: "distinct_hosts"}}
			group(j).Constraints = []*Constraint{{Operand: "distinct_hosts", RTarget: "false"}}
		}, nil},
		{"distinct_property count", func(j *Job) {
			j.Constraints = []*Constraint{{LTarget: "${meta.rack}", RTarget: "zero", Operand: "distinct_property"}}
		},
			[]string{`distinct_property value "zero" must be a positive count`}},
		{"affinity weight", func(j *Job) {
			j.Affinities = []*Affinity{{LTarget: "${node.class}", RTarget: "a", Operand: "=", Weight: 0}, {LTarget: "${node.class}", RTarget: "b", Operand: "=", Weight: -101}}
		}, []string{"affinity 1: weight must not be 0", "affinity 2: weight -101 is out of range"}},
		{"affinity operator", func(j *Job) { j.Affinities = []*Affinity{{LTarget: "${node.class}", Operand: "is_set", Weight: 10}} },
			[]string{`operator "is_set" is not allowed in an affinity`}},
		{"spread weight and percents", func(j *Job) {
			group(j).Spreads = []*Spread{{Attribute: "${node.datacenter}", Weight: 101, SpreadTarget: []*SpreadTarget{{Value: "a", Percent: 70}, {Value: "b", Percent: 40}}}}
		}, []string{"spread 1: weight 101 is out of range", "percentages add up to 110"}},
		{"system affinity", func(j *Job) {
			j.Type, group(j).ReschedulePolicy, group(j).Migrate = JobTypeSystem, nil, nil
			j.Affinities = []*Affinity{{LTarget: "${node.class}", RTarget: "a", Operand: "=", Weight: 10}}
		}, []string{"a system job runs on every eligible node: it cannot have an affinity"}},
		// group
		{"negative count", func(j *Job) { group(j).Count = -1 }, []string{`group "g": count -1 is negative`}},
		{"system count", func(j *Job) {
			j.Type, group(j).ReschedulePolicy, group(j).Migrate = JobTypeSystem, nil, nil
		}, []string{"count 2: a system job runs one allocation per node"}},
		{"duplicate group", func(j *Job) { j.TaskGroups = append(j.TaskGroups, j.TaskGroups[0]) }, []string{`group "g" is defined twice`}},
		{"duplicate task", func(j *Job) { group(j).Tasks = append(group(j).Tasks, task(j)) }, []string{`task "t" is defined twice`}},
		{"two leaders", func(j *Job) {
			c := *task(j)
			c.Name, c.Leader = "u", true
			task(j).Leader = true
			group(j).Tasks = append(group(j).Tasks, &c)
		}, []string{"2 tasks are marked leader"}},
		{"restart mode", func(j *Job) { group(j).RestartPolicy.Mode = "sometimes" }, []string{`group "g": restart: mode "sometimes" is unknown`}},
		{"restart does not fit", func(j *Job) {
			group(j).RestartPolicy = &RestartPolicy{Attempts: 5, Delay: time.Minute, Interval: time.Minute, Mode: "fail"}
		}, []string{"do not fit in interval"}},
		{"update on batch", func(j *Job) { j.Type = JobTypeBatch; group(j).Migrate = nil; group(j).Update = DefaultUpdateStrategy() },
			[]string{"update: a batch job cannot have an update block"}},
		{"update values", func(j *Job) {
			group(j).Update = &UpdateStrategy{MaxParallel: -1, HealthCheck: "vibes", MinHealthyTime: 10 * time.Minute,
				HealthyDeadline: 5 * time.Minute, ProgressDeadline: 5 * time.Minute, AutoPromote: true}
		}, []string{"max_parallel -1 is negative", `health_check "vibes" is unknown`,
			"min_healthy_time 10m0s must be less than healthy_deadline 5m0s", "healthy_deadline 5m0s must be less than progress_deadline 5m0s",
			"auto_promote needs canary"}},
		{"update no progress deadline is fine", func(j *Job) {
			u := DefaultUpdateStrategy()
			u.ProgressDeadline = 0
			group(j).Update = u
		}, nil},
		{"canary on system", func(j *Job) {
			j.Type, group(j).Count, group(j).ReschedulePolicy, group(j).Migrate = JobTypeSystem, 1, nil, nil
			u := DefaultUpdateStrategy()
			u.Canary = 1
			group(j).Update = u
		}, []string{"canary 1: system jobs cannot have canaries"}},
		{"migrate on batch", func(j *Job) { j.Type = JobTypeBatch }, []string{"migrate: a batch job cannot have a migrate block"}},
		{"migrate values", func(j *Job) {
			group(j).Migrate = &MigrateStrategy{MaxParallel: -2, HealthCheck: "manual", HealthyDeadline: time.Minute}
		},
			[]string{"max_parallel -2 is negative", `health_check "manual" is unknown`}},
		{"reschedule on system", func(j *Job) {
			j.Type, group(j).Count, group(j).Migrate = JobTypeSystem, 1, nil
		}, []string{"reschedule: a system job cannot have a reschedule block"}},
		{"reschedule values", func(j *Job) {
			group(j).ReschedulePolicy = &ReschedulePolicy{Attempts: 3, Interval: time.Hour, Unlimited: true, Delay: time.Second, DelayFunction: "linear"}
		}, []string{"is ambiguous", "delay 1s is below the minimum 5s", `delay_function "linear" is unknown`}},
		{"reschedule max delay", func(j *Job) {
			group(j).ReschedulePolicy = &ReschedulePolicy{Unlimited: true, Delay: time.Minute, MaxDelay: time.Second, DelayFunction: "fibonacci"}
		}, []string{"max_delay 1s must be at least delay 1m0s"}},
		{"reschedule attempts need interval", func(j *Job) {
			group(j).ReschedulePolicy = &ReschedulePolicy{Attempts: 10, Interval: time.Minute, Delay: 30 * time.Second, DelayFunction: "constant"}
		}, []string{"10 attempts with delay 30s (constant) do not fit in interval 1m0s"}},
		{"reschedule off is valid", func(j *Job) { group(j).ReschedulePolicy = &ReschedulePolicy{} }, nil},
		{"disconnect", func(j *Job) {
			group(j).MaxClientDisconnect = dur(time.Minute)
			group(j).Disconnect = &DisconnectStrategy{LostAfter: time.Hour, Reconcile: "coin_flip"}
		}, []string{"disconnect: lost_after 1h0m0s and the older max_client_disconnect 1m0s disagree", `reconcile "coin_flip" is unknown`}},
		{"stop after disconnect on system", func(j *Job) {
			j.Type, group(j).Count, group(j).Migrate, group(j).ReschedulePolicy = JobTypeSystem, 1, nil, nil
			group(j).StopAfterClientDisconnect = dur(time.Minute)
		}, []string{"stop_after_client_disconnect: only batch and service jobs"}},
		{"negative shutdown delay", func(j *Job) { group(j).ShutdownDelay = dur(-time.Second) }, []string{"shutdown_delay -1s is negative"}},
		// networks
		{"static port twice in group", func(j *Job) {
			group(j).Networks[0].ReservedPorts = append(group(j).Networks[0].ReservedPorts, Port{Label: "b", Value: 9000})
		}, []string{`network: port "b": static port 9000 is already claimed by the group network port "admin"`}},
		{"two tasks claim one static port", func(j *Job) {
			c := *task(j)
			c.Name, c.Services, c.VolumeMounts = "u", nil, nil
			c.Resources = &Resources{CPU: 100, MemoryMB: 64, Networks: []*NetworkResource{{ReservedPorts: []Port{{Label: "u_admin", Value: 8500}}}}}
			task(j).Resources.Networks = []*NetworkResource{{ReservedPorts: []Port{{Label: "t_admin", Value: 8500}}}}
			group(j).Tasks = append(group(j).Tasks, &c)
		}, []string{`task "u": resources: network: port "u_admin": static port 8500 is already claimed by task "t" port "t_admin"`}},
		{"task port collides with group port", func(j *Job) {
			task(j).Resources.Networks = []*NetworkResource{{ReservedPorts: []Port{{Label: "x", Value: 9000}}}}
		}, []string{`static port 9000 is already claimed by the group network port "admin"`}},
		{"port range and label", func(j *Job) {
			group(j).Networks[0].ReservedPorts = append(group(j).Networks[0].ReservedPorts, Port{Label: "http", Value: 70000})
		}, []string{`port "http": label is already used by the group network`, "static 70000 is out of range"}},
		{"network mode", func(j *Job) { group(j).Networks[0].Mode = "overlay" }, []string{`network: mode "overlay" is unknown`}},
		// volumes
		{"volume mount unknown", func(j *Job) { task(j).VolumeMounts[0].Volume = "logs" },
			[]string{`task "t": volume_mount 1: volume "logs" is not defined in the group`}},
		{"volume csi", func(j *Job) { group(j).Volumes["data"].Type = "csi" }, []string{`volume "data": type csi is not supported yet`}},
		{"valid host volume with every field", func(j *Job) {
			*group(j).Volumes["data"] = VolumeRequest{Name: "data", Type: "host", Source: "data", ReadOnly: true, PerAlloc: true,
				AccessMode: "single-node-writer", AttachmentMode: "file-system"}
		}, nil},
		{"host volume modes", func(j *Job) {
			v := group(j).Volumes["data"]
			v.AccessMode, v.AttachmentMode = "multi-node-multi-writer", "nfs"
		}, []string{`volume "data": access_mode "multi-node-multi-writer" is unknown for a host volume`,
			`volume "data": attachment_mode "nfs" is unknown for a host volume`}},
		{"host volume without source", func(j *Job) { group(j).Volumes["data"].Source = "" }, []string{`volume "data": source is required`}},
		// tasks
		{"no driver", func(j *Job) { task(j).Driver = "" }, []string{`task "t": driver is required`}},
		{"zero memory", func(j *Job) { task(j).Resources.MemoryMB = 0 }, []string{"memory 0 MB must be positive"}},
		{"negative memory", func(j *Job) { task(j).Resources.MemoryMB = -5 }, []string{"memory -5 MB must be positive"}},
		{"negative cpu", func(j *Job) { task(j).Resources.CPU = -1 }, []string{"cpu -1 is negative"}},
		{"zero cpu", func(j *Job) { task(j).Resources.CPU = 0 }, []string{"cpu must be positive"}},
		{"negative cores", func(j *Job) { task(j).Resources.Cores = -2 }, []string{"cores -2 is negative"}},
		{"memory max below memory", func(j *Job) { task(j).Resources.MemoryMaxMB = 10 }, []string{"memory_max 10 MB is below"}},
		{"log storage over disk", func(j *Job) { group(j).EphemeralDisk.SizeMB = 50 }, []string{"log storage (10 files of 10 MB) must be less than"}},
		{"lifecycle hook", func(j *Job) { task(j).Lifecycle = &TaskLifecycleConfig{Hook: "midstart"} },
			[]string{`lifecycle: hook "midstart" is unknown`, "a group needs at least one main task"}},
		{"sidecar poststop", func(j *Job) {
			c := *task(j)
			c.Name, c.Services = "cleanup", nil
			c.Lifecycle = &TaskLifecycleConfig{Hook: "poststop", Sidecar: true}
			group(j).Tasks = append(group(j).Tasks, &c)
		}, []string{`task "cleanup": lifecycle: sidecar cannot be set on a poststop task`}},
		{"lifecycle in system job", func(j *Job) {
			j.Type, group(j).Count, group(j).Migrate, group(j).ReschedulePolicy = JobTypeSystem, 1, nil, nil
			task(j).Lifecycle = &TaskLifecycleConfig{Hook: "prestart", Sidecar: true}
		}, []string{"a group needs at least one main task"}},
		// services and checks
		{"service port unknown", func(j *Job) { group(j).Services[0].PortLabel = "grpc" },
			[]string{`group "g": service "web": port "grpc" is not a port of the group's network`}},
		{"service numeric port needs driver mode", func(j *Job) { task(j).Services[0].PortLabel = "8080" },
			[]string{"port 8080 is a number: a number needs address_mode driver"}},
		{"service numeric port with driver mode", func(j *Job) {
			s := task(j).Services[0]
			s.PortLabel, s.AddressMode, s.Checks = "8080", "driver", nil
		}, nil},
		{"driver mode on group service", func(j *Job) { group(j).Services[0].AddressMode = "driver" },
			[]string{"address_mode driver is only for services and checks of a task"}},
		{"duplicate service name and port", func(j *Job) { task(j).Services[0].Name, task(j).Services[0].PortLabel = "web", "http" },
			[]string{`service "web" on port "http" is defined twice`}},
		{"http check without path", func(j *Job) { group(j).Services[0].Checks[0].Path = "" },
			[]string{`service "web": check "alive": an http check needs a path`}},
		{"http check absolute url", func(j *Job) { group(j).Services[0].Checks[0].Path = "http://x/health" },
			[]string{"must be a relative URL path"}},
		{"script check without command", func(j *Job) {
			c := task(j).Services[0].Checks[0]
			c.Type = "script"
		}, []string{"a script check needs a command"}},
		{"group script check needs task", func(j *Job) {
			c := group(j).Services[0].Checks[0]
			c.Type, c.Command = "script", "/bin/check"
		}, []string{"a script check of a group service must name the task"}},
		{"check type and interval", func(j *Job) {
			c := group(j).Services[0].Checks[0]
			c.Type, c.Interval, c.Timeout = "icmp", 0, 0
		}, []string{`type "icmp" is unknown`, "interval 0s must be at least 1s", "timeout 0s must be at least 1s"}},
		{"check without port", func(j *Job) { task(j).Services[0].PortLabel = "" }, []string{"a tcp check needs a port"}},
		{"service name", func(j *Job) { group(j).Services[0].Name = "web app.v1" }, []string{`name "web app.v1" must be a DNS label`}},
		{"service name interpolated", func(j *Job) { group(j).Services[0].Name = "${NOMAD_JOB_NAME}-${node.unique.name}" }, nil},
		{"two unnamed checks", func(j *Job) {
			s := &Service{Name: "extra", PortLabel: "http", Checks: []*ServiceCheck{
				{Type: "tcp", Interval: time.Second, Timeout: time.Second}, {Type: "tcp", Interval: time.Second, Timeout: time.Second}}}
			s.canonicalize("x")
			group(j).Services = append(group(j).Services, s)
		}, nil},
		{"duplicate check names", func(j *Job) {
			c := *group(j).Services[0].Checks[0]
			group(j).Services[0].Checks = append(group(j).Services[0].Checks, &c)
		}, []string{`check "alive": is defined twice in the service`}},
		{"provider", func(j *Job) { group(j).Services[0].Provider = "eureka" }, []string{`provider "eureka" is unknown`}},
		{"consul provider is an alias", func(j *Job) { group(j).Services[0].Provider = "consul" }, nil},
		// templates and artifacts
		{"template without source", func(j *Job) { task(j).Templates[0].EmbeddedTmpl = "" }, []string{"template 1: source or data is required"}},
		{"template without destination", func(j *Job) { task(j).Templates[0].DestPath = "" }, []string{"template 1: destination is required"}},
		{"template change mode and perms", func(j *Job) { tm := task(j).Templates[0]; tm.ChangeMode, tm.Perms = "reload", "rwx" },
			[]string{`change_mode "reload" is unknown`, `perms "rwx" is not an octal file mode`}},
		{"template same destination", func(j *Job) {
			c := *task(j).Templates[0]
			task(j).Templates = append(task(j).Templates, &c)
		}, []string{`template 2: destination "local/app.env" is also template 1's`}},
		{"artifact without source", func(j *Job) { task(j).Artifacts[0].GetterSource = "" }, []string{"artifact 1: source is required"}},
		{"artifact checksum", func(j *Job) { task(j).Artifacts[0].GetterOptions["checksum"] = "crc32:ab" }, []string{`checksum type "crc32" is unknown`}},
		{"artifact escapes", func(j *Job) { task(j).Artifacts[0].RelativeDest = "../../../etc" }, []string{"leads out of the task directory"}},
		{"artifact into the shared alloc dir", func(j *Job) { task(j).Artifacts[0].RelativeDest = "../alloc/data" }, []string{"leads out of the task directory"}},
		{"identity", func(j *Job) {
			task(j).Identity = &WorkloadIdentity{ChangeMode: "signal"}
			task(j).Identities = []*WorkloadIdentity{{Name: "vault", TTL: -time.Second}, {Name: "vault", ChangeMode: "reboot"}}
		}, []string{`identity "default": change_mode signal needs change_signal`, `identity "vault": ttl -1s is negative`,
			`identity "vault": is defined twice`, `change_mode "reboot" is unknown`}},
		// reporting
		{"every problem reported with its place", func(j *Job) {
			j.Priority = 0
			task(j).Driver = ""
			task(j).Resources.MemoryMB = 0
		}, []string{"priority 0", `group "g": task "t": driver is required`, `group "g": task "t": resources: memory 0 MB must be positive`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := richJob()
			tt.mutate(j)
			err := j.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate succeeded; want an error")
			}
			msgs := SplitErrors(err)
			for _, w := range tt.want {
				found := false
				for _, m := range msgs {
					found = found || strings.Contains(m, w)
				}
				if !found {
					t.Errorf("no error line contains %q; got:\n%s", w, strings.Join(msgs, "\n"))
				}
			}
		})
	}
}

func TestSplitErrorsKeepsPlaces(t *testing.T) {
	j := richJob()
	task := j.TaskGroups[0].Tasks[0]
	task.Driver = ""
	task.Resources.CPU = -1
	msgs := SplitErrors(j.Validate())
	if len(msgs) != 2 {
		t.Fatalf("got %d messages, want 2: %q", len(msgs), msgs)
	}
	for _, m := range msgs {
		if !strings.HasPrefix(m, `group "g": task "t": `) {
			t.Errorf("message %q does not say where it is", m)
		}
	}
	if SplitErrors(nil) != nil {
		t.Error("SplitErrors(nil) must be nil")
	}
}

func TestJobWarnings(t *testing.T) {
	j := richJob()
	g := j.TaskGroups[0]
	g.Update = DefaultUpdateStrategy()
	g.Update.MaxParallel = 5
	g.Tasks[0].Services[0].Name = "web"
	g.Tasks[0].Resources.Networks = []*NetworkResource{{DynamicPorts: []Port{{Label: "old"}}}}
	got := strings.Join(j.Warnings(), "\n")
	for _, w := range []string{"max_parallel 5 is greater than count 2", `service "web" is registered on ports "http" and "admin"`, "network block inside resources is deprecated"} {
		if !strings.Contains(got, w) {
			t.Errorf("warnings lack %q:\n%s", w, got)
		}
	}
	if w := richJob().Warnings(); len(w) != 0 {
		t.Errorf("a clean job has warnings: %q", w)
	}
}

func TestPeriodicNext(t *testing.T) {
	p := &PeriodicConfig{Specs: []string{"0 12 * * *", "30 6 * * *"}, TimeZone: "UTC"}
	from := time.Date(2026, 1, 1, 7, 0, 0, 0, time.UTC)
	next, err := p.Next(from)
	if err != nil || !next.Equal(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("Next = %v, %v", next, err)
	}
	if _, err := (&PeriodicConfig{Specs: []string{"nope"}}).Next(from); err == nil {
		t.Error("Next of a bad spec must fail")
	}
}
