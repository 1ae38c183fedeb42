package cli

import (
	"context"
	"encoding/json"
	"testing"

	drover "github.com/drover-sh/drover"
)

const schedConfigPath = "/v1/operator/scheduler/configuration"

func schedConfigAnswer() *drover.SchedulerConfigurationResponse {
	cfg := drover.DefaultSchedulerConfiguration()
	cfg.CreateIndex, cfg.ModifyIndex = 5, 42
	return &drover.SchedulerConfigurationResponse{SchedulerConfig: cfg}
}

func TestOperatorSchedulerGetConfig(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		code int
	}{
		{"operator_scheduler_get_config", []string{"operator", "scheduler", "get-config"}, 0},
		{"operator_scheduler_get_config_json", []string{"operator", "scheduler", "get-config", "-json"}, 0},
		{"operator_scheduler_get_config_args", []string{"operator", "scheduler", "get-config", "extra"}, 2},
		{"operator_scheduler_no_verb", []string{"operator", "scheduler"}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAgent(t)
			f.handle("GET "+schedConfigPath, schedConfigAnswer())
			r := runCLI(context.Background(), t, f, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			checkGolden(t, tt.name, f, tt.args, r)
		})
	}
}

// TestOperatorSchedulerSetConfig: only the flags given change; the rest of
// the configuration read first is written back unchanged.
func TestOperatorSchedulerSetConfig(t *testing.T) {
	for _, tt := range []struct {
		name    string
		args    []string
		updated bool
		code    int
		check   func(t *testing.T, sent drover.SchedulerConfiguration, cas string)
	}{
		{"operator_scheduler_set_config", []string{"operator", "scheduler", "set-config", "-scheduler-algorithm", "spread", "-preempt-service-scheduler"}, true, 0,
			func(t *testing.T, sent drover.SchedulerConfiguration, cas string) {
				if sent.SchedulerAlgorithm != "spread" || !sent.PreemptionConfig.ServiceSchedulerEnabled ||
					!sent.PreemptionConfig.SystemSchedulerEnabled || sent.PauseEvalBroker || cas != "" {
					t.Errorf("sent %+v cas %q", sent, cas)
				}
			}},
		{"operator_scheduler_set_config_off", []string{"operator", "scheduler", "set-config", "-preempt-system-scheduler=false"}, true, 0,
			func(t *testing.T, sent drover.SchedulerConfiguration, cas string) {
				if sent.PreemptionConfig.SystemSchedulerEnabled || sent.SchedulerAlgorithm != "binpack" {
					t.Errorf("sent %+v", sent)
				}
			}},
		{"operator_scheduler_set_config_cas", []string{"operator", "scheduler", "set-config", "-pause-eval-broker", "-check-index", "42"}, true, 0,
			func(t *testing.T, sent drover.SchedulerConfiguration, cas string) {
				if !sent.PauseEvalBroker || cas != "42" {
					t.Errorf("sent %+v cas %q", sent, cas)
				}
			}},
		{"operator_scheduler_set_config_stale", []string{"operator", "scheduler", "set-config", "-pause-eval-broker", "-check-index", "41"}, false, 1, nil},
		{"operator_scheduler_set_config_bad_algorithm", []string{"operator", "scheduler", "set-config", "-scheduler-algorithm", "tetris"}, true, 2, nil},
		{"operator_scheduler_set_config_bad_index", []string{"operator", "scheduler", "set-config", "-check-index", "x"}, true, 2, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAgent(t)
			f.handle("GET "+schedConfigPath, schedConfigAnswer())
			handleWrite(f, schedConfigPath, &drover.SchedulerSetConfigurationResponse{Updated: tt.updated, WriteMeta: drover.WriteMeta{Index: 43}})
			r := runCLI(context.Background(), t, f, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			checkGolden(t, tt.name, f, tt.args, r)
			reqs := writeRequests(f, schedConfigPath)
			if tt.check == nil {
				if tt.code == 2 && len(reqs) != 0 {
					t.Errorf("misuse still wrote the configuration")
				}
				return
			}
			if len(reqs) != 1 {
				t.Fatalf("%d writes, want 1", len(reqs))
			}
			var sent drover.SchedulerConfiguration
			if err := json.Unmarshal([]byte(reqs[0].Body), &sent); err != nil {
				t.Fatal(err)
			}
			var cas string
			if v := reqs[0].Query["cas"]; len(v) > 0 {
				cas = v[0]
			}
			tt.check(t, sent, cas)
		})
	}
}
