package httpapi

import (
	"strings"
	"testing"
)

func TestUnsupportedJobFields(t *testing.T) {
	for _, tt := range []struct {
		name, body, want string
	}{
		{"known fields", `{"Job": {"ID": "web", "Meta": {"x": "y"}, "TaskGroups": [{"Name": "g", "Count": 2, "Tasks": [{"Name": "t", "Config": {"anything": {"goes": 1}}}]}]}}`, ""},
		{"case-insensitive, as decoding", `{"Job": {"id": "web", "taskgroups": [{"name": "g"}]}}`, ""},
		{"zero values say nothing", `{"Job": {"Multiregion": null, "ConsulNamespace": "", "TaskGroups": [{"Name": "g", "Scaling": null, "Consul": {"Namespace": ""}}]}}`, ""},
		{"the client's defaults say nothing", `{"Job": {"TaskGroups": [{"Name": "g", "Services": [{"Name": "s", "Cluster": "default"}]}]}}`, ""},
		{"set fields are named by path", `{"Job": {"Multiregion": {"Regions": [{"Name": "eu"}]}, "TaskGroups": [{"Name": "g", "Scaling": {"Max": 3}, "Tasks": [{"Name": "t", "Vault": {"Role": "r"}}, {"Vault": {"Role": "r"}}]}]}}`,
			"Job.Multiregion,Job.TaskGroups[g].Scaling,Job.TaskGroups[g].Tasks[1].Vault,Job.TaskGroups[g].Tasks[t].Vault"},
		{"inside known blocks", `{"Job": {"TaskGroups": [{"Name": "g", "Services": [{"Name": "s", "Connect": {"Native": true}}], "Networks": [{"CNI": {"Args": {"a": "b"}}}]}]}}`,
			"Job.TaskGroups[g].Networks[0].CNI,Job.TaskGroups[g].Services[s].Connect"},
		{"no job", `{"Diff": true}`, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(unsupportedJobFields([]byte(tt.body)), ","); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if w := withUnsupportedWarning("driver x", []byte(`{"Job": {"Multiregion": {"Strategy": {}, "Regions": [{"Name": "eu"}]}}}`)); w != "driver x\nnot supported by drover, ignored: Job.Multiregion" {
		t.Errorf("warnings %q", w)
	}
	if w := withUnsupportedWarning("", []byte(`{"Job": {}}`)); w != "" {
		t.Errorf("warnings %q for a plain job", w)
	}
}
