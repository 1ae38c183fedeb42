package jobspec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover"
)

const nomadJSON = `{
  "Job": {
    "ID": "web",
    "Name": "web",
    "Type": "service",
    "Datacenters": ["dc1"],
    "Multiregion": null,
    "VaultToken": "",
    "TaskGroups": [
      {
        "Name": "api",
        "Count": 2,
        "RestartPolicy": {"Attempts": 3, "Interval": 1800000000000, "Delay": 15000000000, "Mode": "fail"},
        "Networks": [{"Mode": "bridge", "DynamicPorts": [{"Label": "http", "Value": 0, "To": 8080, "HostNetwork": "default"}]}],
        "Tasks": [
          {
            "Name": "server",
            "Driver": "docker",
            "Config": {"image": "nginx:1.25", "ports": ["http"], "cpu_shares": 512, "ratio": 0.5},
            "KillTimeout": 5000000000,
            "Resources": {"CPU": 500, "MemoryMB": 256, "IOPS": 0},
            "Vault": null,
            "ScalingPolicies": []
          }
        ]
      },
      {
        "Name": "worker",
        "Tasks": [{"Name": "w", "Driver": "raw_exec", "config": {"command": "/bin/true"}}]
      }
    ]
  }
}`

func TestParseJSON(t *testing.T) {
	for _, tt := range []struct{ name, src string }{
		{"wrapped", nomadJSON},
		{"bare", strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(nomadJSON), "{\n  \"Job\":"), "}")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			job, err := ParseJSON("job.json", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if job.ID != "web" || len(job.TaskGroups) != 2 {
				t.Fatalf("job %+v", job)
			}
			api, worker := job.TaskGroups[0], job.TaskGroups[1]
			if api.Count != 2 || worker.Count != 1 {
				t.Errorf("counts %d %d, want 2 and 1 (Nomad's default)", api.Count, worker.Count)
			}
			if rp := api.RestartPolicy; rp.Interval != 30*time.Minute || rp.Delay != 15*time.Second {
				t.Errorf("restart policy %+v", rp)
			}
			task := api.Tasks[0]
			if task.KillTimeout != 5*time.Second || task.Resources.CPU != 500 {
				t.Errorf("task %+v", task)
			}
			if v, ok := task.Config["cpu_shares"].(int64); !ok || v != 512 {
				t.Errorf("cpu_shares %#v, want int64", task.Config["cpu_shares"])
			}
			if v, ok := task.Config["ratio"].(float64); !ok || v != 0.5 {
				t.Errorf("ratio %#v, want float64", task.Config["ratio"])
			}
			if got := api.Networks[0].DynamicPorts[0]; got.To != 8080 || got.HostNetwork != "default" {
				t.Errorf("port %+v", got)
			}
			if worker.Tasks[0].Config["command"] != "/bin/true" {
				t.Errorf("lowercase field name not matched: %+v", worker.Tasks[0])
			}
		})
	}
}

func TestParseJSONErrors(t *testing.T) {
	deep := `{"Job": {"ID": "x", "Meta": ` + strings.Repeat(`[`, MaxNesting) + strings.Repeat(`]`, MaxNesting) + `}}`
	tests := []struct {
		name, src string
		want      []string
	}{
		{"unknown field", "{\"Job\": {\n  \"ID\": \"x\",\n  \"TaskGroups\": [{\n    \"Name\": \"g\", \"Cuont\": 3\n  }]\n}}",
			[]string{`job.json:4:18: Unknown field; "Cuont" is not a field of Job.TaskGroups[0] (a TaskGroup). Did you mean "Count"?`}},
		{"every unknown field", "{\"ID\": \"x\", \"Bogus\": 1,\n \"Other\": {\"a\": 1}}",
			[]string{`job.json:1:13: Unknown field; "Bogus" is not a field of the job (a Job).`, `job.json:2:2: Unknown field; "Other"`}},
		{"extra wrapper key", `{"Job": {"ID": "x"}, "EnforceIndex": true}`, []string{`job.json:1:22: Unknown field; "EnforceIndex" is not a field of the top-level object`}},
		{"too deep", deep, []string{"job.json:1:", "Nesting too deep"}},
		{"syntax", "{\"Job\": {\n  \"ID\": \"x\",,\n}}", []string{"job.json:2:", "Invalid JSON; invalid character ','"}},
		{"wrong type", `{"Job": {"ID": "x", "TaskGroups": [{"Count": "two"}]}}`,
			[]string{"Incorrect field value type; the value of Job.TaskGroups.Count is a JSON string; a whole number is required."}},
		{"duration as a string", `{"ID": "x", "TaskGroups": [{"Tasks": [{"KillTimeout": "5s"}]}]}`,
			[]string{"job.json:1:", "KillTimeout is a JSON string; a whole number of nanoseconds"}},
		{"not an object", `["x"]`, []string{"job.json:1:1: Invalid JSON job"}},
		{"null job", `{"Job": null}`, []string{"Missing job"}},
		{"trailing data", `{"ID": "x"} {}`, []string{"job.json:1:", "unexpected data after the job object"}},
		{"truncated", `{"ID": "x", "TaskGroups": [`, []string{"job.json:1:", "Invalid JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, err := ParseJSON("job.json", []byte(tt.src))
			if err == nil {
				t.Fatalf("no error, job %+v", job)
			}
			var perr *Error
			if !errors.As(err, &perr) || !errors.Is(err, drover.ErrInvalid) {
				t.Fatalf("error %T is not a *jobspec.Error of kind ErrInvalid", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestCheckJSONLimits(t *testing.T) {
	ok := `{"a": "` + strings.Repeat("[", 200) + `", "b": [[1]]}`
	if err := CheckJSONLimits([]byte(ok)); err != nil {
		t.Errorf("brackets in strings counted: %v", err)
	}
	deep := strings.Repeat("[", MaxNesting+1)
	if err := CheckJSONLimits([]byte(deep)); err == nil || !errors.Is(err, drover.ErrInvalid) {
		t.Errorf("too deep: %v", err)
	}
	big := make([]byte, MaxFileSize+1)
	if err := CheckJSONLimits(big); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("too large: %v", err)
	}
	if _, err := ParseJSON("big.json", big); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("ParseJSON too large: %v", err)
	}
}

func TestParseFileWithOptionsDetectsJSON(t *testing.T) {
	dir := t.TempDir()
	hcl := langJob(`variable "n" { type = number }`, "var.n")
	tests := []struct {
		name, file, src string
	}{
		{"by extension", "job.json", nomadJSON},
		{"by content", "job.nomad", "\n  " + nomadJSON},
		{"hcl", "job.nomad.hcl", hcl},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.file)
			if err := os.WriteFile(path, []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := ParseFileWithOptions(path, Options{Vars: []string{"n=3"}})
			if err != nil {
				t.Fatal(err)
			}
			if tt.src == hcl {
				if res.Job.TaskGroups[0].Tasks[0].Config["v"] != int64(3) {
					t.Errorf("options not applied: %+v", res.Job.TaskGroups[0].Tasks[0].Config)
				}
			} else {
				if res.Job.ID != "web" {
					t.Errorf("job %+v", res.Job)
				}
				if len(res.Warnings) != 1 || res.Warnings[0].Summary != "Variables ignored" {
					t.Errorf("warnings %v, want one about the -var given", res.Warnings)
				}
			}
		})
	}
	if _, err := ParseFile(filepath.Join(dir, "job.json")); err != nil {
		t.Errorf("ParseFile of JSON: %v", err)
	}
}
