package config

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	src := `
data_dir  = "/var/lib/drover"
bind_addr = "10.0.0.5"
log_json  = true
ports {
  http = 5646
  rpc  = 5647
}
server {
  enabled          = true
  bootstrap_expect = 1
  encrypt          = "abc"
  max_heartbeats_per_second = 20
}
client {
  enabled = true
  servers = ["10.0.0.1:4647"]
  meta { rack = "r1" }
  reserved { cpu = 500 }
}
plugin "raw_exec" {
  config {
    enabled = true
    volumes { enabled = false }
  }
}
tls { http = true }
`
	c, err := Parse("agent.hcl", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	base := Default()
	base.Merge(c)
	if base.DataDir != "/var/lib/drover" || base.BindAddr != "10.0.0.5" || !base.LogJSON {
		t.Errorf("top-level keys: %+v", base)
	}
	if base.Ports.HTTP != 5646 || base.Ports.RPC != 5647 || base.Ports.DNS != 8600 {
		t.Errorf("ports = %+v", base.Ports)
	}
	if base.Server.MaxHeartbeatsPerSecond != 20 {
		t.Errorf("server.max_heartbeats_per_second = %v", base.Server.MaxHeartbeatsPerSecond)
	}
	if !base.Server.Enabled || !base.Client.Enabled || base.Client.Servers[0] != "10.0.0.1:4647" {
		t.Errorf("roles: server %+v client %+v", base.Server, base.Client)
	}
	if base.Client.Meta["rack"] != "r1" || base.Client.Reserved.CPU != 500 {
		t.Errorf("client meta/reserved: %+v %+v", base.Client.Meta, base.Client.Reserved)
	}
	pc := base.PluginConfig("raw_exec")
	if pc["enabled"] != true {
		t.Errorf("plugin config = %#v", pc)
	}
	if vols, ok := pc["volumes"].([]any); !ok || len(vols) != 1 {
		t.Errorf("nested plugin block = %#v", pc["volumes"])
	}
	if err := base.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	wantWarn := []string{"agent.hcl:12:3: server.encrypt is not supported yet", "agent.hcl:27:1: block tls is not supported yet"}
	joined := strings.Join(base.Warnings, "\n")
	for _, w := range wantWarn {
		if !strings.Contains(joined, w) {
			t.Errorf("warnings %q lack %q", joined, w)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"syntax", "ports {\n  http = \n}", []string{"a.hcl:2:"}},
		{"unknown key with suggestion", "data_dri = \"/x\"", []string{"a.hcl:1:1:", "Unsupported argument", `Did you mean "data_dir"?`}},
		{"unknown block", "sever {\n enabled = true\n}", []string{"a.hcl:1:1:", "Unsupported block type", `"server"`}},
		{"unknown key in server", "server {\n  enabeld = true\n}", []string{"a.hcl:2:3:", "Unsupported argument"}},
		{"wrong type", "ports {\n  http = \"x\"\n}", []string{"a.hcl:2:", "number"}},
		{"all errors together", "data_dri = 1\nbind_adr = 2\n", []string{"a.hcl:1:1", "a.hcl:2:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("a.hcl", []byte(tt.src))
			if err == nil {
				t.Fatal("Parse succeeded; want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"dev is valid", func(*Config) {}, ""},
		{"no role", func(c *Config) { c.Server.Enabled, c.Client.Enabled = false, false }, "neither server nor client"},
		{"data dir outside dev", func(c *Config) { c.DevMode = false }, "data_dir is required"},
		{"client without servers", func(c *Config) { c.Server.Enabled = false }, "client.servers is empty"},
		{"bad server address", func(c *Config) { c.Client.Servers = []string{"nohostport"} }, "not host:port"},
		{"port range", func(c *Config) { c.Ports.HTTP = 70000 }, "ports.http = 70000"},
		{"bind", func(c *Config) { c.BindAddr = "localhost" }, "bind_addr"},
		{"log level", func(c *Config) { c.LogLevel = "loud" }, "log_level"},
		{"duration", func(c *Config) { c.Server.HeartbeatGrace = "10" }, "server.heartbeat_grace"},
		{"heartbeat rate", func(c *Config) { c.Server.MaxHeartbeatsPerSecond = -1 }, "max_heartbeats_per_second"},
		{"dynamic range", func(c *Config) { c.Client.MinDynamicPort, c.Client.MaxDynamicPort = 30000, 20000 }, "min_dynamic_port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DevConfig()
			tt.mutate(c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
