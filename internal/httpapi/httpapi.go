package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/driver"
)

// RPC calls the cluster's internal RPC: in-process on a server, over port
// 4647 on a client-only agent. Method names and argument/reply types are the
// drover.Method* contract. A single-object read that finds nothing returns a
// nil object and no error; this package turns that into a 404.
type RPC interface {
	RPC(ctx context.Context, method string, args any, reply any) error
}

// Client is the part of the local client agent the HTTP API serves directly:
// task logs live only on the node that runs the allocation.
type Client interface {
	// AllocLogs streams a task's stdout or stderr from origin ("start" or
	// "end") moved by offset bytes; with follow it keeps streaming as the
	// task writes, until ctx ends or the reader is closed. Errors carry
	// drover.ErrNotFound for an unknown allocation or task and
	// drover.ErrInvalid for a bad stream.
	AllocLogs(ctx context.Context, allocID, task, stream, origin string, offset int64, follow bool) (io.ReadCloser, error)
	// AllocStats returns the resource usage of a running allocation on this
	// client. Errors carry drover.ErrNotFound for an allocation the client
	// does not run and drover.ErrConflict for one whose tasks have finished.
	AllocStats(allocID string) (*drover.AllocResourceUsage, error)
	// NodeID is the ID of the node this client registered as.
	NodeID() string
	// RestartAlloc restarts the named task, or every running task when
	// task is empty, in place (see alloc_control.go). Errors carry
	// drover.ErrNotFound, ErrInvalid or ErrConflict.
	RestartAlloc(allocID, task string, allTasks bool) error
	// SignalAlloc sends signal to the named task, or to every running task
	// when task is empty. Errors carry drover.ErrNotFound, ErrInvalid or
	// ErrConflict.
	SignalAlloc(allocID, task, signal string) error
	// ExecAlloc runs a command in the named task of an allocation this
	// client runs and returns how it ended. Errors carry
	// drover.ErrNotFound, ErrInvalid, ErrConflict or ErrNotSupported (a
	// driver without exec); cancelling ctx kills the command.
	ExecAlloc(ctx context.Context, allocID, task string, opts driver.ExecOptions) (*driver.ExitResult, error)
	// AllocFS serves allocation directories' files and collects terminal
	// allocations (allocfs.go).
	AllocFS
}

// AgentSelf is the body of GET /v1/agent/self, in Nomad's shape (lower-case
// top-level keys).
type AgentSelf struct {
	Config map[string]any               `json:"config"`
	Member AgentMember                  `json:"member"`
	Stats  map[string]map[string]string `json:"stats"`
}

// AgentMember describes the agent as a cluster member.
type AgentMember struct {
	Name string
	Addr string
	Port int
	Tags map[string]string
	// Status is "alive" for this agent (see handleAgentMembers for the
	// others).
	Status string
}

// DefaultMaxRequestBytes bounds a request body when Config.MaxRequestBytes is 0.
const DefaultMaxRequestBytes = 4 << 20

// Config holds what the HTTP API needs from the agent.
type Config struct {
	// RPC reaches the servers. Required.
	RPC RPC
	// Client is the local client agent; nil on a server-only agent, where
	// log requests fail with a message saying where the allocation runs.
	Client Client
	// Self describes the agent for /v1/agent/self; nil answers empty maps.
	Self func() AgentSelf
	// Logger receives a debug line per request; nil discards.
	Logger *slog.Logger
	// MaxRequestBytes bounds request bodies; a larger body is refused with
	// 413. 0 means DefaultMaxRequestBytes.
	MaxRequestBytes int64
	// Region is the region a request is for when it names none ("" means
	// drover.DefaultRegion).
	Region string
}

// New returns the handler of the whole HTTP API. It panics if cfg.RPC is nil,
// a programming error of the caller.
func New(cfg Config) http.Handler {
	if cfg.RPC == nil {
		panic("httpapi: Config.RPC is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if cfg.Region == "" {
		cfg.Region = drover.DefaultRegion
	}
	mux := http.NewServeMux()
	addRoutes(mux, cfg)
	var h http.Handler = jsonFallback(mux)
	h = limitBody(h, cfg.MaxRequestBytes)
	h = logRequests(h, cfg.Logger)
	return h
}
