// Package fingerprint discovers what a client machine offers: CPU, memory,
// disk, kernel, OS, network address and hostname. The parsers are pure
// functions over the text of /proc and /etc files so they are tested with
// fixtures; Collect reads the real files and assembles the node attributes
// in Nomad's names, so job files that constrain on them work unchanged.
package fingerprint

import (
	"bufio"
	"fmt"
	"math"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// CPU is what ParseCPUInfo finds.
type CPU struct {
	Cores int
	MHz   float64
}

// TotalMHz is the compute the node offers: cores times frequency.
func (c CPU) TotalMHz() int64 { return int64(math.Floor(float64(c.Cores) * c.MHz)) }

// ParseCPUInfo reads /proc/cpuinfo text: one "processor" line per logical
// core, and the highest "cpu MHz" seen. maxFreqKHz, when positive (from
// /sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq), takes precedence
// over the current frequency /proc reports.
func ParseCPUInfo(text string, maxFreqKHz int64) CPU {
	var c CPU
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch key {
		case "processor":
			c.Cores++
		case "cpu MHz":
			if f, err := strconv.ParseFloat(val, 64); err == nil && f > c.MHz {
				c.MHz = f
			}
		}
	}
	if maxFreqKHz > 0 {
		c.MHz = float64(maxFreqKHz) / 1000
	}
	return c
}

// ParseMemTotal returns MemTotal from /proc/meminfo text, in bytes.
func ParseMemTotal(text string) (int64, error) {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || fields[0] != "MemTotal:" {
			continue
		}
		n, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("fingerprint: meminfo MemTotal %q: %w", fields[1], err)
		}
		if len(fields) >= 3 && strings.EqualFold(fields[2], "kB") {
			n *= 1024
		}
		return n, nil
	}
	return 0, fmt.Errorf("fingerprint: meminfo has no MemTotal line")
}

// ParseOSRelease returns the NAME-like ID and VERSION_ID of /etc/os-release
// text ("debian", "12"). Quotes are removed.
func ParseOSRelease(text string) (name, version string) {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		key, val, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok {
			continue
		}
		val = strings.Trim(val, `"'`)
		switch key {
		case "ID":
			name = val
		case "VERSION_ID":
			version = val
		}
	}
	return name, version
}

// ParseDefaultRouteIface returns the interface of the default IPv4 route in
// /proc/net/route text, or "" when there is none.
func ParseDefaultRouteIface(text string) string {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[1] == "00000000" && f[0] != "Iface" {
			return f[0]
		}
	}
	return ""
}

// Facts are the machine's fingerprinted values.
type Facts struct {
	CPU           CPU
	MemoryBytes   int64
	DiskFreeBytes int64
	KernelName    string
	KernelVersion string
	OSName        string
	OSVersion     string
	Arch          string
	Hostname      string
	IP            string
}

// Attributes returns the facts as node attributes in Nomad's names, with
// version as both drover.version and nomad.version.
func (f Facts) Attributes(version string) map[string]string {
	a := map[string]string{
		"cpu.numcores":              strconv.Itoa(f.CPU.Cores),
		"cpu.frequency":             strconv.FormatInt(int64(f.CPU.MHz), 10),
		"cpu.totalcompute":          strconv.FormatInt(f.CPU.TotalMHz(), 10),
		"memory.totalbytes":         strconv.FormatInt(f.MemoryBytes, 10),
		"unique.storage.bytesfree":  strconv.FormatInt(f.DiskFreeBytes, 10),
		"kernel.name":               f.KernelName,
		"kernel.version":            f.KernelVersion,
		"os.name":                   f.OSName,
		"os.version":                f.OSVersion,
		"cpu.arch":                  f.Arch,
		"unique.hostname":           f.Hostname,
		"unique.network.ip-address": f.IP,
		"drover.version":            version,
		"nomad.version":             version,
	}
	for k, v := range a {
		if v == "" {
			delete(a, k)
		}
	}
	return a
}

// Sources says where Collect reads from; tests point it at fixtures.
type Sources struct {
	// Root is prefixed to /proc, /sys and /etc paths ("" = the real ones).
	Root string
	// DiskPath is the directory whose filesystem's free space is reported.
	DiskPath string
	// IP overrides the detected address when set.
	IP string
}

// Collect fingerprints the machine. It fails only when nothing useful can
// be read about CPU or memory; other facts are left empty when unavailable.
func Collect(src Sources) (Facts, error) {
	f := Facts{Arch: runtime.GOARCH, KernelName: runtime.GOOS}
	read := func(p string) string {
		b, err := os.ReadFile(src.Root + p)
		if err != nil {
			return ""
		}
		return string(b)
	}
	var maxKHz int64
	if s := strings.TrimSpace(read("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")); s != "" {
		maxKHz, _ = strconv.ParseInt(s, 10, 64)
	}
	f.CPU = ParseCPUInfo(read("/proc/cpuinfo"), maxKHz)
	if f.CPU.Cores == 0 {
		f.CPU.Cores = runtime.NumCPU()
	}
	if f.CPU.MHz == 0 {
		f.CPU.MHz = 1000 // unknown frequency: count each core as 1 GHz
	}
	mem, err := ParseMemTotal(read("/proc/meminfo"))
	if err != nil {
		return f, err
	}
	f.MemoryBytes = mem
	if src.DiskPath != "" {
		var st syscall.Statfs_t
		if err := syscall.Statfs(src.DiskPath, &st); err == nil {
			f.DiskFreeBytes = int64(st.Bavail) * int64(st.Bsize)
		}
	}
	f.KernelVersion = strings.TrimSpace(read("/proc/sys/kernel/osrelease"))
	f.OSName, f.OSVersion = ParseOSRelease(read("/etc/os-release"))
	f.Hostname, _ = os.Hostname()
	f.IP = src.IP
	if f.IP == "" {
		f.IP = ifaceIP(ParseDefaultRouteIface(read("/proc/net/route")))
	}
	return f, nil
}

// ifaceIP returns the first IPv4 address of the named interface, or of any
// non-loopback interface when name is empty or unusable; "127.0.0.1" last.
func ifaceIP(name string) string {
	if name != "" {
		if ifc, err := net.InterfaceByName(name); err == nil {
			if ip := firstIPv4(ifc); ip != "" {
				return ip
			}
		}
	}
	ifcs, _ := net.Interfaces()
	for i := range ifcs {
		if ifcs[i].Flags&net.FlagLoopback != 0 || ifcs[i].Flags&net.FlagUp == 0 {
			continue
		}
		if ip := firstIPv4(&ifcs[i]); ip != "" {
			return ip
		}
	}
	return "127.0.0.1"
}

func firstIPv4(ifc *net.Interface) string {
	addrs, err := ifc.Addrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return ""
}

// InterfaceIP returns the first IPv4 address of the named interface, or ""
// when it has none.
func InterfaceIP(name string) string {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return ""
	}
	return firstIPv4(ifc)
}
