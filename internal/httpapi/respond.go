package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/jobspec"
)

// writeJSON answers with v encoded as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// The status is sent: an encoding failure here can only be a broken
	// connection, which the client sees.
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers with the status of err's kind and its message as a
// plain-text body, as Nomad's agents do: Nomad's Go client then reports
// "Unexpected response code: 404 (job not found)".
func writeError(w http.ResponseWriter, err error) {
	writeText(w, statusOf(err), err.Error())
}

// writeText answers with msg as a plain-text body.
func writeText(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg)
}

// statusClientClosed is the status of a request whose client went away
// before the answer (a monitor that stopped its blocking query): nobody
// reads it, and it is not the server's fault, so it is not a 5xx.
const statusClientClosed = 499

// statusOf maps an error's kind to an HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, context.Canceled):
		return statusClientClosed
	case errors.Is(err, drover.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, drover.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, drover.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, drover.ErrPermission):
		return http.StatusForbidden
	case errors.Is(err, drover.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, drover.ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, drover.ErrNotSupported):
		return http.StatusNotImplemented
	default: // ErrNoLeader is a 500, as Nomad's "No cluster leader".
		return http.StatusInternalServerError
	}
}

// notFound is the error of a single-object read that found nothing.
func notFound(what string) error {
	return drover.Errorf(drover.ErrNotFound, "%s not found", what)
}

// decodeBody decodes the JSON request body into v. Numbers inside interface
// values (a task's driver Config) decode as json.Number, for
// drover.NormalizeNumbers to turn into int64 or float64. A body over the
// job-file parser's limits (jobspec.CheckJSONLimits: size and nesting depth)
// is refused before decoding, so a job is refused the same way whether it
// arrives as HCL or as JSON.
func decodeBody(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return drover.Errorf(drover.ErrTooLarge, "request body is larger than %d bytes", tooLarge.Limit)
		}
		return drover.Errorf(drover.ErrInvalid, "reading request body: %v", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return drover.Errorf(drover.ErrInvalid, "request body is empty: expected a JSON object")
	}
	if err := jobspec.CheckJSONLimits(b); err != nil {
		return drover.Errorf(drover.ErrInvalid, "request body: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return drover.Errorf(drover.ErrInvalid, "invalid JSON body: %v", err)
	}
	return nil
}

// orEmpty returns s, or an empty slice when s is nil, so lists encode as [].
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// limitBody refuses bodies over max bytes with 413: at once when the
// Content-Length says so, else when the handler reads past the limit.
func limitBody(next http.Handler, max int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			writeError(w, drover.Errorf(drover.ErrTooLarge, "request body of %d bytes is larger than %d bytes", r.ContentLength, max))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}

// jsonFallback serves the mux, but answers an unknown path (404) or a known
// path with the wrong method (405) with a JSON error instead of the mux's
// plain text.
func jsonFallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		// No route: let the mux's own handler decide 404, 405 or a
		// redirect, and keep only its status and headers.
		rec := &headerRecorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		switch rec.status {
		case http.StatusNotFound:
			writeError(w, drover.Errorf(drover.ErrNotFound, "no such API path: %s %s", r.Method, r.URL.Path))
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", rec.header.Get("Allow"))
			writeText(w, http.StatusMethodNotAllowed, fmt.Sprintf(
				"method %s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, rec.header.Get("Allow")))
		default:
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.status)
		}
	})
}

// headerRecorder keeps a handler's status and headers and drops its body.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header { return h.header }
func (h *headerRecorder) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}
func (h *headerRecorder) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return len(b), nil
}
