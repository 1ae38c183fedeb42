package jobspec

import "testing"

// TestDistinctHostsAndHostVolumesValidate: a job file using distinct_hosts
// in each of its forms (on and off) and a host volume mounted into a task
// parses into a job that validates.
func TestDistinctHostsAndHostVolumesValidate(t *testing.T) {
	src := `job "j" {
  constraint { distinct_hosts = false }
  group "g" {
    count = 2
    constraint { distinct_hosts = true }
    constraint {
      operator = "distinct_hosts"
      value    = "true"
    }
    volume "certs" {
      type      = "host"
      source    = "certs"
      read_only = true
      per_alloc = true
    }
    task "t" {
      driver = "mock"
      volume_mount {
        volume      = "certs"
        destination = "/etc/ssl/certs"
        read_only   = true
      }
    }
  }
}
`
	job := mustParse(t, src)
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if c := job.Constraints[0]; c.Operand != "distinct_hosts" || c.RTarget != "false" {
		t.Errorf("job constraint = %+v, want distinct_hosts off", c)
	}
	if v := job.TaskGroups[0].Volumes["certs"]; v == nil || v.Type != "host" || !v.PerAlloc || !v.ReadOnly {
		t.Errorf("volume = %+v", v)
	}
}
