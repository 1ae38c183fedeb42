package fingerprint

import (
	"os"
	"path/filepath"
	"testing"
)

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "root", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseCPUInfo(t *testing.T) {
	tests := []struct {
		name      string
		maxKHz    int64
		wantCores int
		wantMHz   float64
		wantTotal int64
	}{
		{"current frequency", 0, 2, 2500.5, 5001},
		{"max frequency wins", 3000000, 2, 3000, 6000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ParseCPUInfo(fixture(t, "proc/cpuinfo"), tt.maxKHz)
			if c.Cores != tt.wantCores || c.MHz != tt.wantMHz || c.TotalMHz() != tt.wantTotal {
				t.Fatalf("got %+v total %d, want cores %d MHz %v total %d", c, c.TotalMHz(), tt.wantCores, tt.wantMHz, tt.wantTotal)
			}
		})
	}
}

func TestParseMemTotal(t *testing.T) {
	n, err := ParseMemTotal(fixture(t, "proc/meminfo"))
	if err != nil || n != 16384000*1024 {
		t.Fatalf("got %d, %v", n, err)
	}
	if _, err := ParseMemTotal("MemFree: 1 kB\n"); err == nil {
		t.Fatal("want an error without MemTotal")
	}
}

func TestParseOSReleaseAndRoute(t *testing.T) {
	name, ver := ParseOSRelease(fixture(t, "etc/os-release"))
	if name != "debian" || ver != "12" {
		t.Fatalf("os = %q %q", name, ver)
	}
	if got := ParseDefaultRouteIface(fixture(t, "proc/net/route")); got != "eth9" {
		t.Fatalf("default route iface = %q", got)
	}
	if got := ParseDefaultRouteIface("Iface\tDestination\n"); got != "" {
		t.Fatalf("no default route: got %q", got)
	}
}

func TestCollectAttributes(t *testing.T) {
	f, err := Collect(Sources{Root: filepath.Join("testdata", "root"), DiskPath: t.TempDir(), IP: "10.1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	a := f.Attributes("0.1.0")
	want := map[string]string{
		"cpu.numcores": "2", "cpu.frequency": "2500", "cpu.totalcompute": "5001",
		"memory.totalbytes": "16777216000", "kernel.version": "6.1.0-test",
		"os.name": "debian", "os.version": "12", "unique.network.ip-address": "10.1.2.3",
		"drover.version": "0.1.0", "nomad.version": "0.1.0",
	}
	for k, v := range want {
		if a[k] != v {
			t.Errorf("%s = %q, want %q", k, a[k], v)
		}
	}
	for _, k := range []string{"kernel.name", "cpu.arch", "unique.hostname", "unique.storage.bytesfree"} {
		if a[k] == "" {
			t.Errorf("%s is empty", k)
		}
	}
}
