package config

import (
	"strings"
	"testing"
)

// TestChrootEnv: client.chroot_env is read as a map of host path to task
// path, a later file replaces an earlier one's, and a wrong type is an
// error with its position.
func TestChrootEnv(t *testing.T) {
	first, err := Parse("a.hcl", []byte(`client {
  chroot_env = { "/bin" = "/bin", "/opt/tools" = "/tools" }
}`))
	if err != nil {
		t.Fatal(err)
	}
	base := Default()
	base.Merge(first)
	if got := base.Client.ChrootEnv; len(got) != 2 || got["/opt/tools"] != "/tools" {
		t.Fatalf("chroot_env = %v", got)
	}
	if strings.Contains(strings.Join(base.Warnings, "\n"), "chroot_env") {
		t.Fatalf("chroot_env warned as unsupported: %v", base.Warnings)
	}
	second, err := Parse("b.hcl", []byte(`client { chroot_env = { "/usr" = "/usr" } }`))
	if err != nil {
		t.Fatal(err)
	}
	base.Merge(second)
	if got := base.Client.ChrootEnv; len(got) != 1 || got["/usr"] != "/usr" {
		t.Fatalf("chroot_env after a second file = %v, want only its entries", got)
	}
	if _, err := Parse("c.hcl", []byte(`client { chroot_env = ["/bin"] }`)); err == nil || !strings.Contains(err.Error(), "c.hcl:1") {
		t.Fatalf("chroot_env as a list = %v, want an error with its position", err)
	}
}
