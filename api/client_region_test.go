package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

func TestDefaultConfigRegionNamespace(t *testing.T) {
	tests := []struct {
		env               map[string]string
		region, namespace string
	}{
		{nil, "", ""},
		{map[string]string{"NOMAD_REGION": "global", "NOMAD_NAMESPACE": "default"}, "global", "default"},
		{map[string]string{"NOMAD_REGION": "n", "DROVER_REGION": "d", "NOMAD_NAMESPACE": "n", "DROVER_NAMESPACE": "d"}, "d", "d"},
	}
	for _, tt := range tests {
		cfg := DefaultConfig(func(k string) string { return tt.env[k] })
		if cfg.Region != tt.region || cfg.Namespace != tt.namespace {
			t.Errorf("env %v: region %q namespace %q, want %q %q", tt.env, cfg.Region, cfg.Namespace, tt.region, tt.namespace)
		}
	}
}

// TestClientSendsRegionNamespace: a configured region and namespace go on
// every request, reads and writes, without overriding a request's own.
func TestClientSendsRegionNamespace(t *testing.T) {
	var mu sync.Mutex
	var got []url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.Query())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode([]any{})
	}))
	defer srv.Close()

	c, err := NewClient(Config{Address: srv.URL, Region: "global", Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Jobs().List(&QueryOptions{Prefix: "we"}); err != nil {
		t.Fatal(err)
	}
	var out []any
	if _, err := c.write(http.MethodPut, "/v1/jobs", url.Values{"namespace": {"other"}}, nil, &out); err != nil {
		t.Fatal(err)
	}
	plain, err := NewClient(Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := plain.Jobs().List(nil); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("%d requests, want 3", len(got))
	}
	if q := got[0]; q.Get("region") != "global" || q.Get("namespace") != "default" || q.Get("prefix") != "we" {
		t.Errorf("read query %v, want region, namespace and prefix", q)
	}
	if q := got[1]; q.Get("region") != "global" || q.Get("namespace") != "other" {
		t.Errorf("write query %v: the request's own namespace must win", q)
	}
	if q := got[2]; q.Has("region") || q.Has("namespace") {
		t.Errorf("unconfigured client sent %v", q)
	}
}
