package driver

import (
	"syscall"
	"testing"
)

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in   string
		want syscall.Signal
		ok   bool
	}{
		{"SIGHUP", syscall.SIGHUP, true},
		{"sigusr1", syscall.SIGUSR1, true},
		{"TERM", syscall.SIGTERM, true},
		{" SIGINT ", syscall.SIGINT, true},
		{"SIGNOPE", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSignal(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSignal(%q) = %v, %v", tt.in, got, err)
		}
	}
}
