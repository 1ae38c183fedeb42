package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/drover-sh/drover"
)

// DefaultAddress is the agent address used when none is configured.
const DefaultAddress = "http://127.0.0.1:4646"

// Config says how to reach an agent.
type Config struct {
	// Address is the agent's HTTP address: "http://host:port",
	// "https://host:port" or "host:port" (http).
	Address string
	// Token is sent as X-Nomad-Token on every request; "" sends none.
	Token string
	// HTTPClient makes the requests; nil uses a client without timeout
	// (blocking queries and followed logs last long).
	HTTPClient *http.Client
	// Region, when set, is sent as ?region= on every request (an agent
	// refuses a region other than its own: drover does not federate).
	Region string
	// Namespace, when set, is sent as ?namespace= on every request that
	// does not name one itself.
	Namespace string
}

// DefaultConfig reads the address from DROVER_ADDR (else NOMAD_ADDR, else
// DefaultAddress) and the token from DROVER_TOKEN (else NOMAD_TOKEN); the
// region and namespace from DROVER_REGION and DROVER_NAMESPACE (else
// NOMAD_REGION and NOMAD_NAMESPACE).
// getenv is os.Getenv in production; nil reads nothing.
func DefaultConfig(getenv func(string) string) Config {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	first := func(names ...string) string {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	cfg := Config{Address: first("DROVER_ADDR", "NOMAD_ADDR"), Token: first("DROVER_TOKEN", "NOMAD_TOKEN"),
		Region: first("DROVER_REGION", "NOMAD_REGION"), Namespace: first("DROVER_NAMESPACE", "NOMAD_NAMESPACE")}
	if cfg.Address == "" {
		cfg.Address = DefaultAddress
	}
	return cfg
}

// Client talks to one agent's HTTP API. It is safe for concurrent use.
type Client struct {
	base              *url.URL
	token             string
	http              *http.Client
	region, namespace string
}

// NewClient checks cfg and returns a client; an empty Address means
// DefaultAddress.
func NewClient(cfg Config) (*Client, error) {
	addr := strings.TrimSpace(cfg.Address)
	if addr == "" {
		addr = DefaultAddress
	}
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil {
		return nil, fmt.Errorf("api: address %q: %w", cfg.Address, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("api: address %q: scheme %q is not http or https", cfg.Address, u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("api: address %q has no host", cfg.Address)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{base: u, token: cfg.Token, http: hc, region: cfg.Region, namespace: cfg.Namespace}, nil
}

// Address returns the agent address the client talks to.
func (c *Client) Address() string { return c.base.String() }

// QueryOptions are the options of a read.
type QueryOptions struct {
	// WaitIndex makes the read a blocking query: it returns once the
	// result's index passes WaitIndex, or after WaitTime.
	WaitIndex uint64
	// WaitTime bounds a blocking query (the server caps it); 0 is the
	// server's default.
	WaitTime time.Duration
	// Prefix filters list reads by ID prefix.
	Prefix string
	// AllowStale lets any server answer, not only the leader.
	AllowStale bool

	ctx context.Context
}

// WithContext returns a copy of q (nil: zero options) whose request is
// cancelled with ctx, so a caller can abandon a blocking query.
func (q *QueryOptions) WithContext(ctx context.Context) *QueryOptions {
	var c QueryOptions
	if q != nil {
		c = *q
	}
	c.ctx = ctx
	return &c
}

// Context returns the context set by WithContext, or context.Background.
func (q *QueryOptions) Context() context.Context {
	if q == nil || q.ctx == nil {
		return context.Background()
	}
	return q.ctx
}

// QueryMeta describes a read's answer.
type QueryMeta struct {
	// LastIndex is the index of the answer: pass it as WaitIndex to wait
	// for a change.
	LastIndex   uint64
	KnownLeader bool
	// RequestTime is how long the request took.
	RequestTime time.Duration
}

// WriteMeta describes a write's answer.
type WriteMeta struct {
	// LastIndex is the Raft index the write committed at.
	LastIndex uint64
}

// Error is a non-2xx answer from the agent. errors.Is(err, kind) holds for
// the drover kind of its status (see Unwrap).
type Error struct {
	StatusCode int
	Message    string
}

// Error returns the agent's message and the HTTP status.
func (e *Error) Error() string {
	return fmt.Sprintf("%s (HTTP %d)", e.Message, e.StatusCode)
}

// Unwrap returns the drover error kind of the status: 404 ErrNotFound,
// 400 ErrInvalid, 409 ErrConflict, 403 ErrPermission, 413 ErrTooLarge,
// 501 ErrNotSupported, 503 ErrUnavailable; nil for any other status.
func (e *Error) Unwrap() error {
	switch e.StatusCode {
	case http.StatusNotFound:
		return drover.ErrNotFound
	case http.StatusBadRequest:
		return drover.ErrInvalid
	case http.StatusConflict:
		return drover.ErrConflict
	case http.StatusForbidden:
		return drover.ErrPermission
	case http.StatusRequestEntityTooLarge:
		return drover.ErrTooLarge
	case http.StatusNotImplemented:
		return drover.ErrNotSupported
	case http.StatusServiceUnavailable:
		return drover.ErrUnavailable
	}
	return nil
}

// request is one HTTP call.
type request struct {
	method string
	path   string // escaped path, e.g. "/v1/job/" + url.PathEscape(id)
	params url.Values
	body   any // encoded as JSON when not nil
}

// do sends req and returns the response when its status is 2xx; otherwise
// it reads the body into an *Error. The caller closes the body.
func (c *Client) do(ctx context.Context, req request) (*http.Response, error) {
	target := c.base.String() + req.path
	if c.region != "" || c.namespace != "" {
		params := url.Values{}
		for k, v := range req.params {
			params[k] = v
		}
		if c.region != "" && !params.Has("region") {
			params.Set("region", c.region)
		}
		if c.namespace != "" && !params.Has("namespace") {
			params.Set("namespace", c.namespace)
		}
		req.params = params
	}
	if q := req.params.Encode(); q != "" {
		target += "?" + q
	}
	var body io.Reader
	if req.body != nil {
		b, err := json.Marshal(req.body)
		if err != nil {
			return nil, fmt.Errorf("api: encoding %s %s body: %w", req.method, req.path, err)
		}
		body = bytes.NewReader(b)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("api: %s %s: %w", req.method, req.path, err)
	}
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		hreq.Header.Set("X-Nomad-Token", c.token)
	}
	resp, err := c.http.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("api: %s %s: %w", req.method, req.path, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, readError(resp)
	}
	return resp, nil
}

// readError turns a non-2xx response into an *Error, taking the message from
// a JSON {"Error": "..."} body or else the body's text.
func readError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var body struct{ Error string }
	msg := strings.TrimSpace(string(b))
	if json.Unmarshal(b, &body) == nil && body.Error != "" {
		msg = body.Error
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return &Error{StatusCode: resp.StatusCode, Message: msg}
}

// query makes a read and decodes its JSON answer into out.
func (c *Client) query(path string, params url.Values, q *QueryOptions, out any) (*QueryMeta, error) {
	if params == nil {
		params = url.Values{}
	}
	if q != nil {
		if q.WaitIndex > 0 {
			params.Set("index", strconv.FormatUint(q.WaitIndex, 10))
		}
		if q.WaitTime > 0 {
			params.Set("wait", q.WaitTime.String())
		}
		if q.Prefix != "" {
			params.Set("prefix", q.Prefix)
		}
		if q.AllowStale {
			params.Set("stale", "true")
		}
	}
	start := time.Now()
	resp, err := c.do(q.Context(), request{method: http.MethodGet, path: path, params: params})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := decodeJSON(resp, out); err != nil {
		return nil, err
	}
	meta := &QueryMeta{RequestTime: time.Since(start)}
	meta.LastIndex, _ = strconv.ParseUint(resp.Header.Get("X-Nomad-Index"), 10, 64)
	meta.KnownLeader = resp.Header.Get("X-Nomad-KnownLeader") == "true"
	return meta, nil
}

// write makes a write (PUT, POST, DELETE) and decodes its answer into out.
func (c *Client) write(method, path string, params url.Values, in, out any) (*WriteMeta, error) {
	resp, err := c.do(context.Background(), request{method: method, path: path, params: params, body: in})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := decodeJSON(resp, out); err != nil {
		return nil, err
	}
	meta := &WriteMeta{}
	meta.LastIndex, _ = strconv.ParseUint(resp.Header.Get("X-Nomad-Index"), 10, 64)
	return meta, nil
}

func decodeJSON(resp *http.Response, out any) error {
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("api: %s %s: empty answer", resp.Request.Method, resp.Request.URL.Path)
		}
		return fmt.Errorf("api: decoding answer of %s %s: %w", resp.Request.Method, resp.Request.URL.Path, err)
	}
	return nil
}

// pathEscape escapes one path segment (a job ID may hold any character the
// job spec allows).
func pathEscape(s string) string { return url.PathEscape(s) }
