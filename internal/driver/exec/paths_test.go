package exec

import "testing"

func TestTaskPaths(t *testing.T) {
	p := newTaskPaths("/var/drover/alloc/a1", "/var/drover/alloc/a1/web")
	for in, want := range map[string]string{
		"/var/drover/alloc/a1/web/local":                            "/local",
		"/var/drover/alloc/a1/web/secrets/token":                    "/secrets/token",
		"/var/drover/alloc/a1/web":                                  "/",
		"/var/drover/alloc/a1/alloc":                                "/alloc",
		"/var/drover/alloc/a1/alloc/data/x":                         "/alloc/data/x",
		"--config=/var/drover/alloc/a1/web/local/c":                 "--config=/local/c",
		"/var/drover/alloc/a1/web2/local":                           "/var/drover/alloc/a1/web2/local",
		"a:/var/drover/alloc/a1/web/local:/usr/bin":                 "a:/local:/usr/bin",
		"/usr/bin/env":                                              "/usr/bin/env",
		"/var/drover/alloc/a1/web/local /var/drover/alloc/a1/alloc": "/local /alloc",
	} {
		if got := p.rewrite(in); got != want {
			t.Errorf("rewrite(%q) = %q, want %q", in, got, want)
		}
	}
	env := p.env(map[string]string{"NOMAD_TASK_DIR": "/var/drover/alloc/a1/web/local", "X": "y"})
	if env["NOMAD_TASK_DIR"] != "/local" || env["X"] != "y" {
		t.Fatalf("env = %v", env)
	}
}
