package testutil

import "testing"

func TestRequired(t *testing.T) {
	tests := []struct {
		list string
		need Need
		want bool
	}{
		{"", Docker, false},
		{"docker", Docker, true},
		{"root, docker", Docker, true},
		{"root,netns", Docker, false},
		{"all", NetNS, true},
		{"dockerx", Docker, false},
	}
	for _, tt := range tests {
		if got := required(tt.list, tt.need); got != tt.want {
			t.Errorf("required(%q, %s) = %v, want %v", tt.list, tt.need, got, tt.want)
		}
	}
}

func TestMissingUnknownNeed(t *testing.T) {
	if missing("gpu") == "" {
		t.Fatal("an unknown need must be reported missing")
	}
}

// TestRequireRootOnCI exercises the helper itself on a machine that has
// root, as CI machines do; elsewhere it skips with the reason.
func TestRequireRootOnCI(t *testing.T) {
	Require(t, Root)
	if missing(Root) != "" {
		t.Fatal("Require returned although root is missing")
	}
}
