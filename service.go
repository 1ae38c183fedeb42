package drover

import "time"

// Service registers a task's (or group's) port in the service catalog.
type Service struct {
	Name              string
	TaskName          string
	PortLabel         string
	AddressMode       string
	Address           string
	Provider          string
	Tags              []string
	CanaryTags        []string
	EnableTagOverride bool
	Meta              map[string]string
	CanaryMeta        map[string]string
	TaggedAddresses   map[string]string
	OnUpdate          string
	Checks            []*ServiceCheck
	CheckRestart      *CheckRestart
}

// ServiceCheck is a health check of a service.
type ServiceCheck struct {
	Name                   string
	Type                   string // "http", "tcp", "script", "grpc"
	Command                string
	Args                   []string
	Path                   string
	Protocol               string
	PortLabel              string
	Expose                 bool
	AddressMode            string
	Interval               time.Duration
	Timeout                time.Duration
	InitialStatus          string
	TLSSkipVerify          bool
	Method                 string
	Header                 map[string][]string
	Body                   string
	GRPCService            string
	GRPCUseTLS             bool
	TaskName               string
	SuccessBeforePassing   int
	FailuresBeforeCritical int
	FailuresBeforeWarning  int
	OnUpdate               string
	CheckRestart           *CheckRestart
}

// CheckRestart restarts a task whose check stays unhealthy.
type CheckRestart struct {
	Limit          int
	Grace          time.Duration
	IgnoreWarnings bool
}
