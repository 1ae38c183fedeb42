package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	drover "github.com/drover-sh/drover"
)

func TestParseHostVolumes(t *testing.T) {
	src := `
client {
  enabled = true
  host_volume "certs" {
    path      = "/etc/ssl/certs"
    read_only = true
  }
  host_volume "data" {
    path = "/srv/data/"
  }
}
`
	c, err := Parse("a.hcl", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	for _, w := range c.Warnings {
		if strings.Contains(w, "host_volume") {
			t.Errorf("host_volume still warned about: %s", w)
		}
	}
	base := DevConfig()
	base.Merge(c)
	if err := base.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	got := base.Client.NodeHostVolumes()
	want := map[string]*drover.ClientHostVolumeConfig{
		"certs": {Name: "certs", Path: "/etc/ssl/certs", ReadOnly: true},
		"data":  {Name: "data", Path: "/srv/data"},
	}
	if len(got) != len(want) {
		t.Fatalf("node host volumes = %v", got)
	}
	for name, w := range want {
		if g := got[name]; g == nil || *g != *w {
			t.Errorf("%s = %+v, want %+v", name, g, w)
		}
	}

	// A later file replaces a volume of the same name and adds the others.
	later, err := Parse("b.hcl", []byte(`client {
  host_volume "certs" { path = "/opt/certs" }
  host_volume "logs" { path = "/var/log" }
}`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	base.Merge(later)
	got = base.Client.NodeHostVolumes()
	if len(got) != 3 || got["certs"].Path != "/opt/certs" || got["certs"].ReadOnly || got["logs"] == nil {
		t.Fatalf("after merge: %v", got)
	}
	if err := base.Validate(); err != nil {
		t.Fatalf("Validate after merge: %v", err)
	}
	if (&Client{}).NodeHostVolumes() != nil {
		t.Error("a client without host volumes registers a non-nil map")
	}
}

func TestParseHostVolumeErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"no label", "client {\n  host_volume {\n    path = \"/x\"\n  }\n}", []string{"a.hcl:2:", "name"}},
		{"no path", "client {\n  host_volume \"certs\" {\n  }\n}", []string{"a.hcl:2:", `"path" is required`}},
		{"unknown key", "client {\n  host_volume \"certs\" {\n    path = \"/x\"\n    readonly = true\n  }\n}",
			[]string{"a.hcl:4:5:", "Unsupported argument", `"read_only"`}},
		{"read_only not a bool", "client {\n  host_volume \"certs\" {\n    path = \"/x\"\n    read_only = \"maybe\"\n  }\n}",
			[]string{"a.hcl:4:", "bool"}},
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

func TestValidateHostVolumes(t *testing.T) {
	tests := []struct {
		name string
		vols []*HostVolume
		want []string
	}{
		{"relative path", []*HostVolume{{Name: "certs", Path: "etc/ssl"}}, []string{`client.host_volume "certs": path "etc/ssl" is not absolute`}},
		{"empty path", []*HostVolume{{Name: "certs"}}, []string{`client.host_volume "certs": path is required`}},
		{"empty name", []*HostVolume{{Path: "/x"}}, []string{`client.host_volume with path "/x" has an empty name`}},
		{"declared twice", []*HostVolume{{Name: "a", Path: "/x"}, {Name: "a", Path: "/y"}}, []string{`client.host_volume "a" is declared more than once`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DevConfig()
			c.Merge(&Config{Client: &Client{HostVolumes: tt.vols}})
			err := c.Validate()
			if err == nil {
				t.Fatal("Validate succeeded; want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestCheckHostVolumePaths(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CheckHostVolumePaths([]*HostVolume{{Name: "ok", Path: dir}}); err != nil {
		t.Fatalf("existing directory: %v", err)
	}
	err := CheckHostVolumePaths([]*HostVolume{
		{Name: "ok", Path: dir},
		{Name: "gone", Path: filepath.Join(dir, "missing")},
		{Name: "flat", Path: file},
	})
	if err == nil {
		t.Fatal("no error for a missing path and a file")
	}
	for _, w := range []string{`client.host_volume "gone": path ` + filepath.Join(dir, "missing") + ` does not exist`,
		`client.host_volume "flat": path ` + file + ` is not a directory`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
	if strings.Contains(err.Error(), `"ok"`) {
		t.Errorf("the good volume is reported: %v", err)
	}
}
