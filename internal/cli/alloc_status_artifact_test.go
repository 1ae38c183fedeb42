package cli

import (
	"testing"

	"github.com/drover-sh/drover"
)

func TestArtifactEventDescriptions(t *testing.T) {
	for _, tc := range []struct {
		ev   *drover.TaskEvent
		want string
	}{
		{&drover.TaskEvent{Type: drover.TaskArtifactDownloadFailed, DownloadError: `artifact "x": checksum mismatch`, Message: "artifacts: ..."},
			`Failed to download artifacts: artifact "x": checksum mismatch`},
		{&drover.TaskEvent{Type: drover.TaskArtifactDownloadFailed}, "Failed to download artifacts"},
		{&drover.TaskEvent{Type: drover.TaskDownloadingArtifacts, Message: "Client is downloading artifacts"}, "Client is downloading artifacts"},
	} {
		if got := eventDescription(tc.ev); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.ev.Type, got, tc.want)
		}
	}
}
