package config

import (
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/artifact"
)

func TestArtifactLimitsParsed(t *testing.T) {
	c, err := Parse("a.hcl", []byte(`
client {
  enabled = true
  artifact {
    http_read_timeout              = "5m"
    http_max_size                  = "1GB"
    git_timeout                    = "1m"
    decompression_size_limit       = "512MiB"
    decompression_file_count_limit = 100
    filesystem_isolation_extra_paths = ["r:/srv/bundles", "/opt/x"]
    hg_timeout = "1m"
  }
}`))
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.Client.ArtifactLimits()
	if err != nil {
		t.Fatal(err)
	}
	want := artifact.DefaultLimits()
	want.HTTPReadTimeout, want.HTTPMaxBytes, want.GitTimeout = 5*time.Minute, 1e9, time.Minute
	want.DecompressionSizeLimit, want.DecompressionFileCountLimit = 512<<20, 100
	if l.HTTPReadTimeout != want.HTTPReadTimeout || l.HTTPMaxBytes != want.HTTPMaxBytes || l.GitTimeout != want.GitTimeout ||
		l.S3Timeout != want.S3Timeout || l.DecompressionSizeLimit != want.DecompressionSizeLimit ||
		l.DecompressionFileCountLimit != want.DecompressionFileCountLimit {
		t.Fatalf("limits = %+v, want %+v", l, want)
	}
	if strings.Join(l.FileRoots, ",") != "/srv/bundles,/opt/x" {
		t.Fatalf("file roots = %v", l.FileRoots)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "client.artifact.hg_timeout is not supported yet") {
		t.Fatalf("warnings = %q, want one for hg_timeout", c.Warnings)
	}
}

func TestArtifactLimitsDefaultsWithoutBlock(t *testing.T) {
	l, err := (&Client{}).ArtifactLimits()
	if err != nil || l.DecompressionFileCountLimit != 4096 || l.DecompressionSizeLimit != 100<<30 {
		t.Fatalf("limits = %+v, %v", l, err)
	}
}

func TestArtifactLimitsBadValues(t *testing.T) {
	c := Default()
	c.DevMode, c.Client.Enabled, c.Server.Enabled = true, true, true
	n := -1
	c.Client.Artifact = &Artifact{HTTPReadTimeout: "soon", DecompressionSizeLimit: "lots", DecompressionFileCountLimit: &n,
		FilesystemIsolationExtraPaths: []string{"r:relative"}}
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"http_read_timeout = \"soon\"", "decompression_size_limit: \"lots\"", "decompression_file_count_limit = -1", "\"r:relative\" is not an absolute path"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"100": 100, "10kb": 10e3, "1GB": 1e9, "512MiB": 512 << 20, "2 GiB": 2 << 30, "1.5MB": 1.5e6} {
		got, err := ParseBytes(in)
		if err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "GB", "-1GB", "10 parsecs", "1e999GB"} {
		if _, err := ParseBytes(bad); err == nil {
			t.Errorf("ParseBytes(%q): no error", bad)
		}
	}
}
