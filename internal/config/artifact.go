package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/drover-sh/drover/internal/artifact"
	"github.com/hashicorp/hcl/v2"
)

// Artifact bounds what tasks' artifact blocks may fetch on this client,
// written client { artifact { ... } } as in Nomad. Each unset key keeps
// its default.
type Artifact struct {
	// HTTPReadTimeout bounds one http(s) download, e.g. "30m" (default).
	HTTPReadTimeout string `hcl:"http_read_timeout,optional"`
	// HTTPMaxSize bounds the body of one http(s) download, e.g. "100GB"
	// (default).
	HTTPMaxSize string `hcl:"http_max_size,optional"`
	// GCSTimeout, GitTimeout and S3Timeout bound a download from each kind
	// of source (default "30m").
	GCSTimeout string `hcl:"gcs_timeout,optional"`
	GitTimeout string `hcl:"git_timeout,optional"`
	S3Timeout  string `hcl:"s3_timeout,optional"`
	// DecompressionSizeLimit bounds the total size one artifact may unpack
	// to, e.g. "10GB" (default "100GB"); "0" means no limit.
	DecompressionSizeLimit string `hcl:"decompression_size_limit,optional"`
	// DecompressionFileCountLimit bounds the number of files one artifact
	// may unpack to (default 4096); 0 means no limit.
	DecompressionFileCountLimit *int `hcl:"decompression_file_count_limit,optional"`
	// FilesystemIsolationExtraPaths are host directories local file sources
	// may read from besides the allocation directory, as "r:/srv/bundles"
	// (the r:, rw: or x: prefix is accepted and only reading is done) or a
	// bare absolute path. A local source elsewhere is refused.
	FilesystemIsolationExtraPaths []string `hcl:"filesystem_isolation_extra_paths,optional"`

	Rest hcl.Body `hcl:",remain"`
}

// unbuiltArtifact lists Nomad's artifact keys that drover accepts but does
// not act on.
var unbuiltArtifact = schemaOf([]string{"hg_timeout", "disable_filesystem_isolation", "set_environment_variables"}, nil)

// ArtifactLimits returns the limits of the client's artifact block, with
// defaults for what it leaves unset; an error names the bad key.
func (c *Client) ArtifactLimits() (artifact.Limits, error) {
	l := artifact.DefaultLimits()
	a := c.Artifact
	if a == nil {
		return l, nil
	}
	var errs []string
	dur := func(key, v string, dst *time.Duration) {
		if v == "" {
			return
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Sprintf("client.artifact.%s = %q is not a duration such as \"30m\"", key, v))
			return
		}
		*dst = d
	}
	size := func(key, v string, dst *int64) {
		if v == "" {
			return
		}
		n, err := ParseBytes(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("client.artifact.%s: %v", key, err))
			return
		}
		*dst = n
	}
	dur("http_read_timeout", a.HTTPReadTimeout, &l.HTTPReadTimeout)
	dur("gcs_timeout", a.GCSTimeout, &l.GCSTimeout)
	dur("git_timeout", a.GitTimeout, &l.GitTimeout)
	dur("s3_timeout", a.S3Timeout, &l.S3Timeout)
	size("http_max_size", a.HTTPMaxSize, &l.HTTPMaxBytes)
	size("decompression_size_limit", a.DecompressionSizeLimit, &l.DecompressionSizeLimit)
	if n := a.DecompressionFileCountLimit; n != nil {
		if *n < 0 {
			errs = append(errs, fmt.Sprintf("client.artifact.decompression_file_count_limit = %d must not be negative", *n))
		}
		l.DecompressionFileCountLimit = *n
	}
	for _, p := range a.FilesystemIsolationExtraPaths {
		path := p
		if mode, rest, ok := strings.Cut(p, ":"); ok && strings.Trim(mode, "rwx") == "" {
			path = rest
		}
		if !strings.HasPrefix(path, "/") {
			errs = append(errs, fmt.Sprintf("client.artifact.filesystem_isolation_extra_paths: %q is not an absolute path (optionally after r:)", p))
			continue
		}
		l.FileRoots = append(l.FileRoots, path)
	}
	if len(errs) > 0 {
		return l, fmt.Errorf("%s", strings.Join(errs, "\n  "))
	}
	return l, nil
}

// ParseBytes reads a size such as "100GB", "512MiB", "10kb" or a plain
// number of bytes. Decimal (KB, MB, GB, TB) and binary (KiB, MiB, GiB,
// TiB) units are told apart, as in Nomad.
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') {
		i--
	}
	num, unit := strings.TrimSpace(t[:i]), strings.ToLower(strings.TrimSpace(t[i:]))
	mult, ok := map[string]float64{
		"": 1, "b": 1,
		"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
		"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
	}[unit]
	if !ok || num == "" {
		return 0, fmt.Errorf("%q is not a size such as \"10GB\" or \"512MiB\"", s)
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n < 0 || n*mult > math.MaxInt64 {
		return 0, fmt.Errorf("%q is not a size such as \"10GB\" or \"512MiB\"", s)
	}
	return int64(n * mult), nil
}
