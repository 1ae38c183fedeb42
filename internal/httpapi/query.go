package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/hashicorp/go-bexpr"

	"github.com/drover-sh/drover"
)

// parseQuery reads the common read options of Nomad's API: ?index=&wait=
// (a blocking query), ?stale, ?prefix=, ?region=, ?namespace=. A region
// other than the agent's is refused (ErrInvalid). Namespaces need no
// creating: any name is passed on (objects that have none, like nodes,
// ignore it).
func parseQuery(r *http.Request, region string) (drover.QueryOptions, error) {
	v := r.URL.Query()
	q := drover.QueryOptions{
		Region:    v.Get("region"),
		Namespace: v.Get("namespace"),
		Prefix:    v.Get("prefix"),
	}
	if q.Region == "" {
		q.Region = region
	}
	if q.Region != region {
		// drover does not federate regions: answering from this region
		// a request meant for another would be a silent wrong answer.
		return q, drover.Errorf(drover.ErrInvalid, "region %q is not this cluster's region %q: drover does not federate regions (GET /v1/regions lists the one it knows)", q.Region, region)
	}
	if q.Namespace == "" {
		q.Namespace = drover.DefaultNamespace
	}
	if s := v.Get("index"); s != "" {
		idx, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return q, drover.Errorf(drover.ErrInvalid, "index %q is not a non-negative integer", s)
		}
		q.MinQueryIndex = idx
	}
	if s := v.Get("wait"); s != "" {
		d, err := parseWait(s)
		if err != nil {
			return q, err
		}
		q.MaxQueryTime = d
	}
	if v.Has("stale") {
		stale, err := parseFlag(v.Get("stale"), true)
		if err != nil {
			return q, drover.Errorf(drover.ErrInvalid, "stale: %v", err)
		}
		q.AllowStale = stale
	}
	return q, nil
}

// parseWait reads a wait time: a Go duration ("5s", "1m") or plain seconds.
func parseWait(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		secs, err2 := strconv.ParseUint(s, 10, 32)
		if err2 != nil {
			return 0, drover.Errorf(drover.ErrInvalid, "wait %q is not a duration like \"5s\" or \"1m\" nor a number of seconds", s)
		}
		d = time.Duration(secs) * time.Second
	}
	if d < 0 {
		return 0, drover.Errorf(drover.ErrInvalid, "wait %q is negative", s)
	}
	return d, nil
}

// parseFlag reads a boolean query parameter; an empty value (?stale) is
// ifEmpty.
func parseFlag(s string, ifEmpty bool) (bool, error) {
	if s == "" {
		return ifEmpty, nil
	}
	return strconv.ParseBool(s)
}

// boolParam reads the boolean query parameter name (false when absent).
func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query()
	if !v.Has(name) {
		return false, nil
	}
	b, err := parseFlag(v.Get(name), true)
	if err != nil {
		return false, drover.Errorf(drover.ErrInvalid, "%s %q is not a boolean", name, v.Get(name))
	}
	return b, nil
}

// setMeta sets the headers Nomad sets on every read.
func setMeta(w http.ResponseWriter, m drover.QueryMeta) {
	h := w.Header()
	h.Set("X-Nomad-Index", strconv.FormatUint(m.Index, 10))
	h.Set("X-Nomad-KnownLeader", strconv.FormatBool(m.KnownLeader))
	h.Set("X-Nomad-LastContact", strconv.FormatInt(m.LastContact.Milliseconds(), 10))
}

// setWriteIndex sets the index header of a write, as Nomad does.
func setWriteIndex(w http.ResponseWriter, m drover.WriteMeta) {
	w.Header().Set("X-Nomad-Index", strconv.FormatUint(m.Index, 10))
}

// callRead makes a read RPC and sets the query meta headers from meta (the
// reply's embedded QueryMeta). It reports whether the call succeeded; when
// not, it has answered with the error.
func callRead(w http.ResponseWriter, r *http.Request, rpc RPC, method string, args, reply any, meta *drover.QueryMeta) bool {
	if err := rpc.RPC(r.Context(), method, args, reply); err != nil {
		writeError(w, err)
		return false
	}
	setMeta(w, *meta)
	return true
}

// callWrite calls a write method and, when it succeeded, answers 200 with
// reply as JSON and the write's index in X-Nomad-Index. On error it writes
// the error.
func callWrite(w http.ResponseWriter, r *http.Request, rpc RPC, method string, args, reply any, meta *drover.WriteMeta) {
	if err := rpc.RPC(r.Context(), method, args, reply); err != nil {
		writeError(w, err)
		return
	}
	setWriteIndex(w, *meta)
	writeJSON(w, http.StatusOK, reply)
}

// withQuery parses the common query options (on writes too: region and
// namespace), answering 400 when they are malformed, then lets serve answer.
func withQuery(region string, serve func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := parseQuery(r, region)
		if err != nil {
			writeError(w, err)
			return
		}
		serve(w, r, q)
	})
}

// allNamespaces, as a request's namespace, asks for the objects of every
// namespace (Nomad's "*").
const allNamespaces = "*"

// filterParam reads a ?filter= expression (go-bexpr syntax, as Nomad's,
// over the listed objects' field names); nil when absent. A malformed
// expression is ErrInvalid.
func filterParam(r *http.Request) (*bexpr.Evaluator, error) {
	f := r.URL.Query().Get("filter")
	if f == "" {
		return nil, nil
	}
	ev, err := bexpr.CreateEvaluator(f)
	if err != nil {
		return nil, drover.Errorf(drover.ErrInvalid, "filter %q: %v", f, err)
	}
	return ev, nil
}

// filterMatch reports whether v passes filter (nil: everything passes). An
// expression that cannot be evaluated against v (a field it lacks) is
// ErrInvalid.
func filterMatch(filter *bexpr.Evaluator, v any) (bool, error) {
	if filter == nil {
		return true, nil
	}
	ok, err := filter.Evaluate(v)
	if err != nil {
		return false, drover.Errorf(drover.ErrInvalid, "filter: %v", err)
	}
	return ok, nil
}

// perPageParam reads ?per_page= (0 when absent: no paging).
func perPageParam(r *http.Request) (int, error) {
	s := r.URL.Query().Get("per_page")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 31)
	if err != nil {
		return 0, drover.Errorf(drover.ErrInvalid, "per_page %q is not a non-negative integer", s)
	}
	return int(n), nil
}
