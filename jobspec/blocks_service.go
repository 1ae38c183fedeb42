package jobspec

import (
	"time"

	"github.com/drover-sh/drover"
)

// This file holds the service block of a group or task, its checks and
// check_restart.

// serviceRule is the rule for service blocks filling field.
func serviceRule[P any](field func(P) *[]*drover.Service) blockRule {
	return many(nested(nil, serviceSpec, appendTo(field, nil), nil))
}

var serviceSpec = withNotYet(&blockSpec{
	attrs: map[string]attrFunc{
		"name":                str(func(s *drover.Service) *string { return &s.Name }),
		"port":                text(func(s *drover.Service) *string { return &s.PortLabel }),
		"tags":                stringList(func(s *drover.Service) *[]string { return &s.Tags }),
		"canary_tags":         stringList(func(s *drover.Service) *[]string { return &s.CanaryTags }),
		"meta":                stringMapAttr(func(s *drover.Service) *map[string]string { return &s.Meta }),
		"canary_meta":         stringMapAttr(func(s *drover.Service) *map[string]string { return &s.CanaryMeta }),
		"tagged_addresses":    stringMapAttr(func(s *drover.Service) *map[string]string { return &s.TaggedAddresses }),
		"address":             str(func(s *drover.Service) *string { return &s.Address }),
		"address_mode":        oneOf(func(s *drover.Service) *string { return &s.AddressMode }, "alloc", "auto", "driver", "host"),
		"provider":            oneOf(func(s *drover.Service) *string { return &s.Provider }, "nomad", "consul"),
		"enable_tag_override": boolean(func(s *drover.Service) *bool { return &s.EnableTagOverride }),
		"on_update":           oneOf(func(s *drover.Service) *string { return &s.OnUpdate }, "require_healthy", "ignore_warnings", "ignore"),
		"task":                str(func(s *drover.Service) *string { return &s.TaskName }),
	},
	blocks: map[string]blockRule{
		"meta":             stringMapBlock(func(s *drover.Service) *map[string]string { return &s.Meta }),
		"canary_meta":      stringMapBlock(func(s *drover.Service) *map[string]string { return &s.CanaryMeta }),
		"tagged_addresses": stringMapBlock(func(s *drover.Service) *map[string]string { return &s.TaggedAddresses }),
		"check":            many(nested(nil, checkSpec, appendTo(func(s *drover.Service) *[]*drover.ServiceCheck { return &s.Checks }, nil), nil)),
		"check_restart":    one(nested(nil, checkRestartSpec, setTo(func(s *drover.Service) **drover.CheckRestart { return &s.CheckRestart }, nil), nil)),
	},
}, []string{"connect", "identity", "weights"}, []string{"cluster", "kind"})

var checkSpec = withNotYet(&blockSpec{
	attrs: map[string]attrFunc{
		"name":                     str(func(c *drover.ServiceCheck) *string { return &c.Name }),
		"type":                     oneOf(func(c *drover.ServiceCheck) *string { return &c.Type }, "http", "tcp", "script", "grpc"),
		"command":                  str(func(c *drover.ServiceCheck) *string { return &c.Command }),
		"args":                     stringList(func(c *drover.ServiceCheck) *[]string { return &c.Args }),
		"path":                     str(func(c *drover.ServiceCheck) *string { return &c.Path }),
		"protocol":                 oneOf(func(c *drover.ServiceCheck) *string { return &c.Protocol }, "http", "https"),
		"port":                     text(func(c *drover.ServiceCheck) *string { return &c.PortLabel }),
		"expose":                   boolean(func(c *drover.ServiceCheck) *bool { return &c.Expose }),
		"address_mode":             oneOf(func(c *drover.ServiceCheck) *string { return &c.AddressMode }, "alloc", "driver", "host"),
		"interval":                 duration(func(c *drover.ServiceCheck) *time.Duration { return &c.Interval }),
		"timeout":                  duration(func(c *drover.ServiceCheck) *time.Duration { return &c.Timeout }),
		"initial_status":           oneOf(func(c *drover.ServiceCheck) *string { return &c.InitialStatus }, "passing", "warning", "critical"),
		"tls_skip_verify":          boolean(func(c *drover.ServiceCheck) *bool { return &c.TLSSkipVerify }),
		"method":                   str(func(c *drover.ServiceCheck) *string { return &c.Method }),
		"header":                   stringListMapAttr(func(c *drover.ServiceCheck) *map[string][]string { return &c.Header }),
		"body":                     str(func(c *drover.ServiceCheck) *string { return &c.Body }),
		"grpc_service":             str(func(c *drover.ServiceCheck) *string { return &c.GRPCService }),
		"grpc_use_tls":             boolean(func(c *drover.ServiceCheck) *bool { return &c.GRPCUseTLS }),
		"task":                     str(func(c *drover.ServiceCheck) *string { return &c.TaskName }),
		"on_update":                oneOf(func(c *drover.ServiceCheck) *string { return &c.OnUpdate }, "require_healthy", "ignore_warnings", "ignore"),
		"success_before_passing":   integer(func(c *drover.ServiceCheck) *int { return &c.SuccessBeforePassing }, true),
		"failures_before_critical": integer(func(c *drover.ServiceCheck) *int { return &c.FailuresBeforeCritical }, true),
		"failures_before_warning":  integer(func(c *drover.ServiceCheck) *int { return &c.FailuresBeforeWarning }, true),
	},
	blocks: map[string]blockRule{
		"header":        stringListMapBlock(func(c *drover.ServiceCheck) *map[string][]string { return &c.Header }),
		"check_restart": one(nested(nil, checkRestartSpec, setTo(func(c *drover.ServiceCheck) **drover.CheckRestart { return &c.CheckRestart }, nil), nil)),
	},
}, nil, []string{"tls_server_name", "notes"})

var checkRestartSpec = &blockSpec{
	attrs: map[string]attrFunc{
		"limit":           integer(func(c *drover.CheckRestart) *int { return &c.Limit }, true),
		"grace":           duration(func(c *drover.CheckRestart) *time.Duration { return &c.Grace }),
		"ignore_warnings": boolean(func(c *drover.CheckRestart) *bool { return &c.IgnoreWarnings }),
	},
	blocks: map[string]blockRule{},
}
