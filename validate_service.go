package drover

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Service check types.
const (
	ServiceCheckHTTP   = "http"
	ServiceCheckTCP    = "tcp"
	ServiceCheckScript = "script"
	ServiceCheckGRPC   = "grpc"
)

// Service address modes.
const (
	AddressModeAuto   = "auto"
	AddressModeHost   = "host"
	AddressModeDriver = "driver"
	AddressModeAlloc  = "alloc"
)

var (
	interpolation = regexp.MustCompile(`\$\{[^}]*\}`)
	dnsLabelChars = regexp.MustCompile(`^[A-Za-z0-9-]*$`)
)

// MinCheckInterval is the shortest check interval and timeout accepted.
const MinCheckInterval = time.Second

// escapes reports whether rel, taken relative to the directory base inside
// an allocation directory, leads out of the allocation directory.
func escapes(rel string) bool { return escapesFrom("task/local", rel) }

func escapesFrom(base, rel string) bool {
	c := path.Clean(path.Join(base, rel))
	return c == ".." || strings.HasPrefix(c, "../")
}

// portLabels returns the port labels a task can use: the group network's and
// the task's own (older) resources networks.
func (tg *TaskGroup) portLabels(t *Task) map[string]bool {
	labels := map[string]bool{}
	add := func(nets []*NetworkResource) {
		for _, n := range nets {
			for _, p := range n.ReservedPorts {
				labels[p.Label] = true
			}
			for _, p := range n.DynamicPorts {
				labels[p.Label] = true
			}
		}
	}
	add(tg.Networks)
	if t != nil && t.Resources != nil {
		add(t.Resources.Networks)
	}
	return labels
}

func (tg *TaskGroup) validateNetworks(p problems) {
	if len(tg.Networks) > 1 {
		p.addf("network: a group has at most one network block, found %d", len(tg.Networks))
	}
	labels := map[string]string{} // label -> owner
	static := map[string]string{} // host_network/port -> owner:label
	check := func(np problems, owner string, n *NetworkResource) {
		ports := append(append([]Port(nil), n.ReservedPorts...), n.DynamicPorts...)
		for i, port := range ports {
			pp := np.in("port %q", port.Label)
			if port.Label == "" {
				pp = np.in("port %d", i+1)
				pp.addf("label is required")
			} else if other, ok := labels[port.Label]; ok {
				pp.addf("label is already used by %s", other)
			} else {
				labels[port.Label] = owner
			}
			if port.To < -1 || port.To > 65535 {
				pp.addf("to %d is out of range -1 to 65535", port.To)
			}
			if i >= len(n.ReservedPorts) {
				continue
			}
			if port.Value <= 0 || port.Value > 65535 {
				pp.addf("static %d is out of range 1 to 65535", port.Value)
				continue
			}
			key := port.HostNetwork + "/" + strconv.Itoa(port.Value)
			if other, ok := static[key]; ok {
				pp.addf("static port %d is already claimed by %s", port.Value, other)
			} else {
				static[key] = fmt.Sprintf("%s port %q", owner, port.Label)
			}
		}
	}
	for _, n := range tg.Networks {
		np := p.in("network")
		switch {
		case n.Mode == "", n.Mode == "host", n.Mode == "bridge", n.Mode == "none", strings.HasPrefix(n.Mode, "cni/"):
		default:
			np.addf("mode %q is unknown: expected host, bridge, none or cni/<name>", n.Mode)
		}
		if n.MBits < 0 {
			np.addf("mbits %d is negative", n.MBits)
		}
		check(np, "the group network", n)
	}
	for _, t := range tg.Tasks {
		if t.Resources == nil {
			continue
		}
		for _, n := range t.Resources.Networks {
			check(p.in("task %q: resources: network", t.Name), fmt.Sprintf("task %q", t.Name), n)
		}
	}
}

func (tg *TaskGroup) validateVolumes(p problems) {
	for name, v := range tg.Volumes {
		vp := p.in("volume %q", name)
		switch v.Type {
		case "host":
			v.validateHost(vp)
		case "csi":
			vp.addf("type csi is not supported yet: drover mounts host volumes")
		default:
			vp.addf("type %q is unknown: expected host", v.Type)
		}
		if v.Source == "" {
			vp.addf("source is required")
		}
	}
}

func (vm *VolumeMount) validate(tg *TaskGroup, p problems) {
	if vm.Volume == "" {
		p.addf("volume is required")
	} else if _, ok := tg.Volumes[vm.Volume]; !ok {
		p.addf("volume %q is not defined in the group (add a volume %q block to the group)", vm.Volume, vm.Volume)
	}
	if vm.Destination == "" {
		p.addf("destination is required")
	}
	switch vm.PropagationMode {
	case "", "private", "host-to-task", "bidirectional":
	default:
		p.addf("propagation_mode %q is unknown: expected private, host-to-task or bidirectional", vm.PropagationMode)
	}
}

// validateServices checks the group's services and that no two services of
// the group (group or task level) share a name and port.
func (tg *TaskGroup) validateServices(p problems) {
	tasks := map[string]bool{}
	for _, t := range tg.Tasks {
		tasks[t.Name] = true
	}
	labels := tg.portLabels(nil)
	for i, s := range tg.Services {
		sp := p.in("service %q", s.Name)
		if s.Name == "" {
			sp = p.in("service %d", i+1)
		}
		s.validate(sp, labels, true)
		if s.TaskName != "" && !tasks[s.TaskName] {
			sp.addf("task %q is not a task of the group", s.TaskName)
		}
		for _, c := range s.Checks {
			if c.TaskName != "" && !tasks[c.TaskName] {
				sp.in("check %q", c.Name).addf("task %q is not a task of the group", c.TaskName)
			}
			if c.Type == ServiceCheckScript && c.TaskName == "" && s.TaskName == "" {
				sp.in("check %q", c.Name).addf("a script check of a group service must name the task to run in (task = ...)")
			}
		}
	}
	seen := map[string]bool{}
	for _, s := range tg.allServices() {
		key := s.Name + "\x00" + s.PortLabel
		if seen[key] {
			p.addf("service %q on port %q is defined twice", s.Name, s.PortLabel)
		}
		seen[key] = true
	}
}

func (t *Task) validateTaskServices(tg *TaskGroup, p problems) {
	labels := tg.portLabels(t)
	for i, s := range t.Services {
		sp := p.in("service %q", s.Name)
		if s.Name == "" {
			sp = p.in("service %d", i+1)
		}
		s.validate(sp, labels, false)
		for _, c := range s.Checks {
			if c.TaskName != "" {
				sp.in("check %q", c.Name).addf("task is only for checks of group services")
			}
		}
	}
}

// validate checks a service; group says whether it is a group service.
// labels are the port labels it may refer to.
func (s *Service) validate(p problems, labels map[string]bool, group bool) {
	if s.Name == "" {
		p.addf("name is required")
	} else if bare := interpolation.ReplaceAllString(s.Name, ""); len(bare) > 63 || !dnsLabelChars.MatchString(bare) {
		p.addf("name %q must be a DNS label: up to 63 letters, digits and dashes (${...} interpolations aside)", s.Name)
	}
	switch s.Provider {
	case "", "nomad", "consul":
	default:
		p.addf("provider %q is unknown: expected nomad (or consul, an alias for drover's built-in catalog)", s.Provider)
	}
	checkAddressMode(p, s.AddressMode, group)
	checkPortLabel(p, s.PortLabel, s.AddressMode, labels)
	checkOnUpdate(p, s.OnUpdate)
	checkCheckRestart(p.in("check_restart"), s.CheckRestart)
	names := map[string]bool{}
	for i, c := range s.Checks {
		cp := p.in("check %q", c.Name)
		if c.Name == "" {
			cp = p.in("check %d", i+1)
		} else if names[c.Name] {
			cp.addf("is defined twice in the service")
		}
		names[c.Name] = true
		c.validate(cp, s, labels, group)
	}
}

func checkAddressMode(p problems, mode string, group bool) {
	switch mode {
	case "", AddressModeAuto, AddressModeHost:
	case AddressModeDriver:
		if group {
			p.addf("address_mode driver is only for services and checks of a task")
		}
	case AddressModeAlloc:
		if !group {
			p.addf("address_mode alloc is only for services and checks of a group")
		}
	default:
		p.addf("address_mode %q is unknown: expected auto, host, driver or alloc", mode)
	}
}

// checkPortLabel checks that a service or check port names a port of the
// network; a number is accepted only where the address is the driver's or
// the allocation's own (address_mode driver or alloc).
func checkPortLabel(p problems, label, mode string, labels map[string]bool) {
	if label == "" {
		return
	}
	if n, err := strconv.Atoi(label); err == nil {
		if mode != AddressModeDriver && mode != AddressModeAlloc {
			p.addf("port %d is a number: a number needs address_mode driver or alloc; otherwise name a port of the network", n)
		} else if n <= 0 || n > 65535 {
			p.addf("port %d is out of range 1 to 65535", n)
		}
		return
	}
	if !labels[label] {
		p.addf("port %q is not a port of the group's network (or the task's resources network)", label)
	}
}

func checkOnUpdate(p problems, v string) {
	switch v {
	case "", "require_healthy", "ignore_warnings", "ignore":
	default:
		p.addf("on_update %q is unknown: expected require_healthy, ignore_warnings or ignore", v)
	}
}

func checkCheckRestart(p problems, cr *CheckRestart) {
	if cr == nil {
		return
	}
	if cr.Limit < 0 {
		p.addf("limit %d is negative", cr.Limit)
	}
	if cr.Grace < 0 {
		p.addf("grace %s is negative", cr.Grace)
	}
}

func (c *ServiceCheck) validate(p problems, s *Service, labels map[string]bool, group bool) {
	needsPort := true
	switch strings.ToLower(c.Type) {
	case ServiceCheckHTTP:
		if c.Path == "" {
			p.addf("an http check needs a path")
		} else if u, err := url.Parse(c.Path); err != nil || u.IsAbs() {
			p.addf("path %q must be a relative URL path such as /health", c.Path)
		}
		switch c.Protocol {
		case "", "http", "https":
		default:
			p.addf("protocol %q is unknown: expected http or https", c.Protocol)
		}
	case ServiceCheckTCP, ServiceCheckGRPC:
	case ServiceCheckScript:
		needsPort = false
		if c.Command == "" {
			p.addf("a script check needs a command")
		}
	case "":
		p.addf("type is required: http, tcp, grpc or script")
	default:
		p.addf("type %q is unknown: expected http, tcp, grpc or script", c.Type)
	}
	if c.Interval < MinCheckInterval {
		p.addf("interval %s must be at least %s", c.Interval, MinCheckInterval)
	}
	if c.Timeout < MinCheckInterval {
		p.addf("timeout %s must be at least %s", c.Timeout, MinCheckInterval)
	}
	switch c.InitialStatus {
	case "", "passing", "warning", "critical":
	default:
		p.addf("initial_status %q is unknown: expected passing, warning or critical", c.InitialStatus)
	}
	mode := c.AddressMode
	if mode == "" {
		mode = s.AddressMode
	}
	checkAddressMode(p, c.AddressMode, group)
	checkOnUpdate(p, c.OnUpdate)
	checkCheckRestart(p.in("check_restart"), c.CheckRestart)
	if c.SuccessBeforePassing < 0 || c.FailuresBeforeCritical < 0 || c.FailuresBeforeWarning < 0 {
		p.addf("success_before_passing, failures_before_critical and failures_before_warning must not be negative")
	}
	if !needsPort {
		return
	}
	port := c.PortLabel
	if port == "" {
		port = s.PortLabel
	}
	if port == "" && !c.Expose {
		p.addf("a %s check needs a port: set port on the check or its service", c.Type)
		return
	}
	if c.PortLabel != "" {
		checkPortLabel(p, c.PortLabel, mode, labels)
	}
}

func (t *Task) validateTemplates(p problems) {
	dests := map[string]int{}
	for i, tmpl := range t.Templates {
		tp := p.in("template %d", i+1)
		if tmpl.SourcePath == "" && tmpl.EmbeddedTmpl == "" {
			tp.addf("source or data is required")
		}
		if tmpl.DestPath == "" {
			tp.addf("destination is required")
		} else if escapesFrom("task", tmpl.DestPath) {
			tp.addf("destination %q escapes the allocation directory", tmpl.DestPath)
		} else if other, ok := dests[tmpl.DestPath]; ok {
			tp.addf("destination %q is also template %d's", tmpl.DestPath, other)
		} else {
			dests[tmpl.DestPath] = i + 1
		}
		switch tmpl.ChangeMode {
		case TemplateChangeModeRestart, TemplateChangeModeNoop, TemplateChangeModeScript:
		case TemplateChangeModeSignal:
			if tmpl.ChangeSignal == "" {
				tp.addf("change_mode signal needs change_signal")
			}
		default:
			tp.addf("change_mode %q is unknown: expected restart, signal, noop or script", tmpl.ChangeMode)
		}
		if tmpl.Splay < 0 {
			tp.addf("splay %s is negative", tmpl.Splay)
		}
		if tmpl.Perms != "" {
			if _, err := strconv.ParseUint(tmpl.Perms, 8, 12); err != nil {
				tp.addf("perms %q is not an octal file mode such as 0644", tmpl.Perms)
			}
		}
	}
}

func (a *TaskArtifact) validate(p problems) {
	if a.GetterSource == "" {
		p.addf("source is required")
	}
	switch a.GetterMode {
	case "", GetterModeAny, GetterModeFile, GetterModeDir:
	default:
		p.addf("mode %q is unknown: expected any, file or dir", a.GetterMode)
	}
	// The client writes artifacts only inside the task's directory.
	if escapesFrom(".", a.RelativeDest) {
		p.addf("destination %q leads out of the task directory", a.RelativeDest)
	}
	if sum, ok := a.GetterOptions["checksum"]; ok {
		kind, value, found := strings.Cut(sum, ":")
		switch {
		case !found || value == "":
			p.addf("checksum %q must be type:value, such as sha256:abc...", sum)
		case kind != "md5" && kind != "sha1" && kind != "sha256" && kind != "sha512" && kind != "file":
			p.addf("checksum type %q is unknown: expected md5, sha1, sha256, sha512 or file", kind)
		}
	}
}
