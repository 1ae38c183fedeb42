package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeAgent is an HTTP server that answers the API paths the CLI uses with
// canned JSON, and records every request it got.
type fakeAgent struct {
	srv *httptest.Server

	mu       sync.Mutex
	routes   map[string]any // "GET /v1/jobs" → value to encode, or an http.HandlerFunc
	requests []*recordedRequest
}

// recordedRequest is what the fake saw of a request.
type recordedRequest struct {
	Method, Path string
	Query        map[string][]string
	Body         string
	Token        string // the X-Nomad-Token header
}

// key returns "METHOD path" for the recorded request.
func (r *recordedRequest) key() string { return r.Method + " " + r.Path }

func newFakeAgent(t *testing.T) *fakeAgent {
	t.Helper()
	f := &fakeAgent{routes: map[string]any{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// handle sets the answer to "METHOD path" requests: a value encoded as JSON
// (lists are filtered by ?prefix= on their ID field), or an http.HandlerFunc.
func (f *fakeAgent) handle(key string, answer any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[key] = answer
}

// requested lists the "METHOD path" of every request so far.
func (f *fakeAgent) requested() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.requests {
		out = append(out, r.key())
	}
	return out
}

// find returns the recorded requests for key.
func (f *fakeAgent) find(key string) []*recordedRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*recordedRequest
	for _, r := range f.requests {
		if r.key() == key {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeAgent) serve(w http.ResponseWriter, r *http.Request) {
	var body strings.Builder
	if r.Body != nil {
		b := make([]byte, 64<<10)
		for {
			n, err := r.Body.Read(b)
			body.Write(b[:n])
			if err != nil {
				break
			}
		}
	}
	rec := &recordedRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body.String(), Token: r.Header.Get("X-Nomad-Token")}
	f.mu.Lock()
	f.requests = append(f.requests, rec)
	answer, ok := f.routes[rec.key()]
	f.mu.Unlock()
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]string{"Error": "not found: " + rec.key()})
		return
	}
	if h, ok := answer.(http.HandlerFunc); ok {
		h(w, r)
		return
	}
	writeFakeJSON(w, filterPrefix(answer, r.URL.Query().Get("prefix")))
}

// writeFakeJSON answers v as JSON with a Nomad-like index header.
func writeFakeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Nomad-Index", "100")
	w.Header().Set("X-Nomad-KnownLeader", "true")
	_ = json.NewEncoder(w).Encode(v)
}

// filterPrefix keeps the elements of a JSON list whose ID starts with
// prefix; other values pass unchanged.
func filterPrefix(v any, prefix string) any {
	if prefix == "" {
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var list []map[string]any
	if json.Unmarshal(b, &list) != nil {
		return v
	}
	out := []map[string]any{}
	for _, e := range list {
		if id, _ := e["ID"].(string); strings.HasPrefix(id, prefix) {
			out = append(out, e)
		}
	}
	return out
}
