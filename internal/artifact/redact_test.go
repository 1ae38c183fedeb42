package artifact

import (
	"strings"
	"testing"
)

// Sources keep what says where they point and lose every credential,
// whatever getter they name and however they are written.
func TestRedactHidesCredentials(t *testing.T) {
	tests := []struct {
		src  string
		want string // what the redacted source still says
	}{
		{"https://u:pw-hunter2@example.com/x", "https://u:redacted@example.com/x"},
		{"s3::https://s3.amazonaws.com/b/k?aws_access_key_id=AKID-hunter2&aws_access_key_secret=key-hunter2&aws_access_token=token-hunter2&region=eu-west-1",
			"s3::https://s3.amazonaws.com/b/k?aws_access_key_id=redacted&aws_access_key_secret=redacted&aws_access_token=redacted&region=eu-west-1"},
		{"s3::http://127.0.0.1:9000/b/k?AWS_ACCESS_KEY_SECRET=upper-hunter2", "s3::http://127.0.0.1:9000/b/k?AWS_ACCESS_KEY_SECRET=redacted"},
		{"git::https://u:pw-hunter2@github.com/o/r?ref=v1&sshkey=key-hunter2", "git::https://u:redacted@github.com/o/r?ref=v1&sshkey=redacted"},
		{"git::ssh://git@github.com/o/r?sshkey=key-hunter2", "git::ssh://git@github.com/o/r?sshkey=redacted"},
		{"http://[::1]:8080/x?aws_access_key_secret=key-hunter2", "http://[::1]:8080/x?aws_access_key_secret=redacted"},
		{"s3::http://h/b/k?aws_access_key_secret=bad%zzescape-hunter2", "s3::http://h/b/k?aws_access_key_secret=redacted"},
		{"https://u:pw-hunter2@h/%zz?aws_access_key_secret=key-hunter2", "https://redacted@h/%zz"},
		{"https://example.com/app.tar.gz?checksum=sha256:abc", "https://example.com/app.tar.gz?checksum=sha256:abc"},
		{"gcs::https://www.googleapis.com/storage/v1/b/o", "gcs::https://www.googleapis.com/storage/v1/b/o"},
		{"./local/file", "./local/file"},
	}
	for _, tc := range tests {
		got := redact(tc.src)
		if strings.Contains(got, "hunter2") {
			t.Errorf("redact(%q) = %q keeps a secret", tc.src, got)
		}
		if got != tc.want {
			t.Errorf("redact(%q) = %q, want %q", tc.src, got, tc.want)
		}
	}
}
