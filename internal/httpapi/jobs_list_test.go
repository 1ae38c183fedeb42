package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/testutil"
)

// listFake lists the jobs ids (sorted), each with meta team = the part of
// its ID before "-".
func listFake(ids ...string) *testutil.FakeRPC {
	return &testutil.FakeRPC{JobList: func(a *drover.JobListRequest, r *drover.JobListResponse) error {
		for _, id := range ids {
			j := testJob()
			j.ID, j.Name = id, id
			j.Meta = map[string]string{"team": strings.Split(id, "-")[0]}
			r.Jobs = append(r.Jobs, j.Stub(nil))
		}
		r.QueryMeta = testMeta
		return nil
	}}
}

func TestJobListPageAndFilter(t *testing.T) {
	h := New(Config{RPC: listFake("api-a", "api-b", "api-c", "web")})
	tests := []struct {
		query     string
		want      string // IDs of the answer
		next      string // X-Nomad-NextToken
		metaShown bool
	}{
		{"", "api-a,api-b,api-c,web", "", false},
		{"?per_page=2", "api-a,api-b", "api-c", false},
		{"?per_page=2&next_token=api-c", "api-c,web", "", false},
		{"?per_page=4", "api-a,api-b,api-c,web", "", false},
		{"?per_page=0", "api-a,api-b,api-c,web", "", false},
		{"?next_token=api-bb", "api-c,web", "", false},
		{"?filter=" + jobListQ(`Meta.team == "api"`) + "&per_page=2", "api-a,api-b", "api-c", false},
		{"?filter=" + jobListQ(`ID matches "c$" or ID == "web"`), "api-c,web", "", false},
		{"?filter=" + jobListQ(`Status == "dead"`), "", "", false},
		{"?meta=true&per_page=1", "api-a", "api-b", true},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			w := serve(t, h, "GET", "/v1/jobs"+tt.query, "")
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			var stubs []map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &stubs); err != nil {
				t.Fatal(err)
			}
			ids := make([]string, len(stubs))
			for i, s := range stubs {
				ids[i] = s["ID"].(string)
				if _, ok := s["Meta"]; ok != tt.metaShown {
					t.Errorf("%s: Meta in the answer %v, want %v", ids[i], ok, tt.metaShown)
				}
			}
			if got := strings.Join(ids, ","); got != tt.want {
				t.Errorf("IDs %q, want %q", got, tt.want)
			}
			if got := w.Header().Get("X-Nomad-NextToken"); got != tt.next {
				t.Errorf("X-Nomad-NextToken %q, want %q", got, tt.next)
			}
			checkMetaHeaders(t, w)
		})
	}
}

func TestJobListBadPageAndFilter(t *testing.T) {
	h := New(Config{RPC: listFake("web")})
	for _, tt := range []struct{ query, says string }{
		{"?per_page=-1", "per_page"},
		{"?per_page=many", "per_page"},
		{"?filter=" + jobListQ(`ID ==`), "filter"},
		{"?filter=" + jobListQ(`Nope == "x"`), "Nope"},
		{"?filter=" + jobListQ(`TaskGroups is empty`), "TaskGroups"},
		{"?meta=maybe", "meta"},
	} {
		w := serve(t, h, "GET", "/v1/jobs"+tt.query, "")
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), tt.says) {
			t.Errorf("%s: %d %s, want 400 naming %s", tt.query, w.Code, w.Body, tt.says)
		}
	}
}

// jobListQ escapes a query parameter value.
func jobListQ(s string) string { return url.QueryEscape(s) }
