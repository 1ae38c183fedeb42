package httpapi

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/testutil"
)

func TestSchedulerConfigSetCAS(t *testing.T) {
	var got *drover.SchedulerSetConfigRequest
	h := New(Config{RPC: &testutil.FakeRPC{
		OperatorSchedulerSetConfiguration: func(a *drover.SchedulerSetConfigRequest, r *drover.SchedulerSetConfigurationResponse) error {
			got = a
			r.Updated, r.Index = false, 8
			return nil
		},
	}})
	body := `{"SchedulerAlgorithm": "spread", "PreemptionConfig": {"ServiceSchedulerEnabled": true}, "PauseEvalBroker": true}`
	w := serve(t, h, "PUT", "/v1/operator/scheduler/configuration?cas=7", body)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if got == nil || !got.CAS || got.Config.ModifyIndex != 7 || got.Config.SchedulerAlgorithm != "spread" ||
		!got.Config.PreemptionConfig.ServiceSchedulerEnabled || !got.Config.PauseEvalBroker {
		t.Fatalf("request = %+v", got)
	}
	var reply struct {
		Updated bool
		Index   uint64
	}
	if err := json.Unmarshal(w.Body.Bytes(), &reply); err != nil || reply.Updated || reply.Index != 8 {
		t.Fatalf("reply %s (%v)", w.Body, err)
	}
	if idx := w.Header().Get("X-Nomad-Index"); idx != "8" {
		t.Errorf("X-Nomad-Index %q, want 8", idx)
	}

	// Without cas the write is unconditional.
	serve(t, h, "PUT", "/v1/operator/scheduler/configuration", `{"SchedulerAlgorithm": "binpack"}`)
	if got.CAS {
		t.Fatal("CAS set without ?cas")
	}

	for _, bad := range []struct{ target, body string }{
		{"/v1/operator/scheduler/configuration?cas=x", `{}`},
		{"/v1/operator/scheduler/configuration?cas=-1", `{}`},
		{"/v1/operator/scheduler/configuration", `{"SchedulerAlgorithm": 5}`},
		{"/v1/operator/scheduler/configuration", ``},
	} {
		if w := serve(t, h, "PUT", bad.target, bad.body); w.Code != http.StatusBadRequest {
			t.Errorf("PUT %s %s: status %d, want 400: %s", bad.target, bad.body, w.Code, w.Body)
		}
	}
}
