package rpc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/drover-sh/drover"
)

// ClientConfig configures a Client.
type ClientConfig struct {
	// Servers are the servers' RPC addresses ("10.0.0.1:4647"); calls go to
	// the current one and move to the next when it cannot be reached.
	Servers []string
	// DialTimeout bounds connecting to a server (default 5s).
	DialTimeout time.Duration
	// MaxReplySize bounds the bytes of one reply (default 64 MiB).
	MaxReplySize int64
}

// Client calls servers over the internal RPC. It keeps one yamux session per
// server address and opens one stream per call. Safe for concurrent use.
type Client struct {
	logger *slog.Logger
	cfg    ClientConfig

	mu       sync.Mutex
	servers  []string
	current  int
	sessions map[string]*yamux.Session
	closed   bool
}

// ErrNoServers is returned when a Client has no server address to call.
var ErrNoServers = drover.Errorf(drover.ErrUnavailable, "rpc: no servers known")

// NewClient returns a client for cfg.Servers (which may be set later with
// SetServers). It connects lazily.
func NewClient(logger *slog.Logger, cfg ClientConfig) *Client {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.MaxReplySize <= 0 {
		cfg.MaxReplySize = 64 << 20
	}
	return &Client{
		logger:   logger.With("component", "rpc-client"),
		cfg:      cfg,
		servers:  append([]string(nil), cfg.Servers...),
		sessions: map[string]*yamux.Session{},
	}
}

// SetServers replaces the list of server addresses.
func (c *Client) SetServers(addrs []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.servers = append([]string(nil), addrs...)
	c.current = 0
}

// Servers returns the server addresses, the current one first.
func (c *Client) Servers() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.servers))
	for i := range c.servers {
		out = append(out, c.servers[(c.current+i)%len(c.servers)])
	}
	return out
}

// RPC calls method on the current server, moving on to the next server when
// one cannot be reached (each server is tried at most once per call). A call
// that reached a server is not retried: its error is returned, with its kind
// when the server set one. Cancelling ctx abandons the call and cancels the
// handler on the server.
func (c *Client) RPC(ctx context.Context, method string, args, reply any) error {
	servers := c.Servers()
	if len(servers) == 0 {
		return ErrNoServers
	}
	var errs []error
	for _, addr := range servers {
		err := c.RPCTo(ctx, addr, method, args, reply)
		var ce *connError
		if !errors.As(err, &ce) {
			return err
		}
		errs = append(errs, err)
		c.rotateFrom(addr)
		if ctx.Err() != nil {
			break
		}
	}
	return drover.Errorf(drover.ErrUnavailable, "rpc %s: no server reachable: %w", method, errors.Join(errs...))
}

// rotateFrom moves the current server past addr, if addr is still current.
func (c *Client) rotateFrom(addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.servers) > 0 && c.servers[c.current%len(c.servers)] == addr {
		c.current = (c.current + 1) % len(c.servers)
	}
}

// connError marks a failure to reach a server before the request was sent:
// safe to try another server.
type connError struct{ err error }

func (e *connError) Error() string { return e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

// RPCTo calls method on the server at addr (e.g. the leader, when forwarding).
func (c *Client) RPCTo(ctx context.Context, addr, method string, args, reply any) error {
	stream, err := c.openStream(ctx, addr)
	if err != nil {
		return &connError{fmt.Errorf("rpc %s to %s: %w", method, addr, err)}
	}
	defer stream.Close()

	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			// Unblock our read now; the close tells the server to cancel.
			_ = stream.SetReadDeadline(time.Now())
			_ = stream.Close()
		case <-done:
		}
	}()

	bw := bufio.NewWriterSize(stream, 16<<10)
	enc := newEncoder(bw)
	if err := enc.Encode(&requestHeader{Method: method}); err != nil {
		return c.callErr(ctx, addr, method, "write request", err)
	}
	if err := enc.Encode(args); err != nil {
		return c.callErr(ctx, addr, method, "write request", err)
	}
	if err := bw.Flush(); err != nil {
		return c.callErr(ctx, addr, method, "write request", err)
	}
	dec := newDecoder(bufio.NewReader(&limitReader{r: stream, n: c.cfg.MaxReplySize}))
	var hdr responseHeader
	if err := dec.Decode(&hdr); err != nil {
		return c.callErr(ctx, addr, method, "read response", err)
	}
	if hdr.Error != "" {
		// A caller that gave up may still read the server's answer to its
		// cancellation: its own context's error is the truthful one.
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("rpc %s to %s: %w", method, addr, ctxErr)
		}
		return drover.ErrorFromWire(hdr.Error, hdr.ErrorKind)
	}
	if err := dec.Decode(reply); err != nil {
		return c.callErr(ctx, addr, method, "read reply", err)
	}
	return nil
}

// callErr reports a failure mid-call: ctx's error when the caller gave up,
// otherwise the I/O error (and the session is dropped if it died).
func (c *Client) callErr(ctx context.Context, addr, method, what string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("rpc %s to %s: %w", method, addr, ctxErr)
	}
	c.dropDeadSession(addr)
	return drover.Errorf(drover.ErrUnavailable, "rpc %s to %s: %s: %w", method, addr, what, err)
}

// openStream opens a stream on addr's session, connecting if there is none
// or it died.
func (c *Client) openStream(ctx context.Context, addr string) (*yamux.Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sess, err := c.session(ctx, addr)
	if err != nil {
		return nil, err
	}
	stream, err := sess.OpenStream()
	if err != nil {
		c.dropSession(addr, sess)
		// The session may have died since it was last used: reconnect once.
		if sess, err = c.session(ctx, addr); err != nil {
			return nil, err
		}
		if stream, err = sess.OpenStream(); err != nil {
			c.dropSession(addr, sess)
			return nil, fmt.Errorf("open stream: %w", err)
		}
	}
	return stream, nil
}

// session returns the live session to addr, dialing a new one if needed.
func (c *Client) session(ctx context.Context, addr string) (*yamux.Session, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, errors.New("client closed")
	}
	if s := c.sessions[addr]; s != nil && !s.IsClosed() {
		c.mu.Unlock()
		return s, nil
	}
	c.mu.Unlock()

	timeout := c.cfg.DialTimeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = max(time.Until(dl), time.Millisecond)
	}
	conn, err := dialType(addr, timeout, ConnTypeRPC)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	sess, err := yamux.Client(conn, yamuxConfig(c.logger))
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("yamux: %w", err)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		sess.Close()
		return nil, errors.New("client closed")
	}
	if s := c.sessions[addr]; s != nil && !s.IsClosed() {
		// Another call connected meanwhile; use its session.
		sess.Close()
		return s, nil
	}
	c.sessions[addr] = sess
	return sess, nil
}

func (c *Client) dropSession(addr string, sess *yamux.Session) {
	c.mu.Lock()
	if c.sessions[addr] == sess {
		delete(c.sessions, addr)
	}
	c.mu.Unlock()
	sess.Close()
}

func (c *Client) dropDeadSession(addr string) {
	c.mu.Lock()
	s := c.sessions[addr]
	c.mu.Unlock()
	if s != nil && s.IsClosed() {
		c.dropSession(addr, s)
	}
}

// Close ends every session; later calls fail.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	sessions := c.sessions
	c.sessions = map[string]*yamux.Session{}
	c.mu.Unlock()
	for _, s := range sessions {
		s.Close()
	}
	return nil
}
