package mountinfo

import (
	"slices"
	"strings"
	"testing"
)

func TestUnderParsesAndOrders(t *testing.T) {
	table := `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
30 22 0:40 / /data/allocs/a1/web/secrets rw,nosuid - tmpfs tmpfs rw,size=1024k,mode=700
31 22 0:41 / /data/allocs/a1/db/secrets rw - tmpfs tmpfs rw
32 30 0:42 / /data/allocs/a1/web/secrets rw - tmpfs tmpfs rw
33 22 0:43 / /data/allocs/a1/with\040space rw - tmpfs tmpfs rw
34 22 0:44 / /data/allocs/a10 rw - tmpfs tmpfs rw
35 22 0:45 / /data/allocs/a1/web/secrets/deeper rw - tmpfs tmpfs rw
`
	got, err := under(strings.NewReader(table), "/data/allocs/a1")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/data/allocs/a1/web/secrets/deeper",
		"/data/allocs/a1/db/secrets",
		"/data/allocs/a1/web/secrets",
		"/data/allocs/a1/web/secrets",
		"/data/allocs/a1/with space",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("under = %q, want %q (a10 is not under a1; deepest first)", got, want)
	}
}

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{`/a\040b`: "/a b", `/plain`: "/plain", `/tab\011x`: "/tab\tx", `/end\04`: `/end\04`} {
		if got := unescape(in); got != want {
			t.Errorf("unescape(%q) = %q, want %q", in, got, want)
		}
	}
}
