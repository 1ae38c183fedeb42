package rpc

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"reflect"
	"sync"
	"time"

	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/hashicorp/yamux"

	"github.com/drover-sh/drover"
)

// Server dispatches calls to registered handlers, from the network (Serve,
// ServeConn) or in process (Call). Register every handler before serving.
type Server struct {
	logger         *slog.Logger
	maxRequestSize int64
	headerTimeout  time.Duration

	mu       sync.RWMutex
	handlers map[string]*handler
	sessions map[*yamux.Session]struct{}
	closed   bool
}

// handler is a registered method with its typed decode and call steps.
type handler struct {
	// decode reads fresh arguments from dec.
	decode func(dec *codec.Decoder) (any, error)
	// invoke calls the method with decoded arguments and returns the reply.
	invoke func(ctx context.Context, args any) (any, error)
	// local calls the method with caller-owned args and reply.
	local func(ctx context.Context, args, reply any) error
}

// ServerOption configures a Server.
type ServerOption func(*Server)

// WithMaxRequestSize bounds the size of one request (default DefaultMaxRequestSize).
func WithMaxRequestSize(n int64) ServerOption { return func(s *Server) { s.maxRequestSize = n } }

// WithHeaderTimeout bounds how long a stream may take to deliver its request
// (default DefaultHeaderTimeout).
func WithHeaderTimeout(d time.Duration) ServerOption { return func(s *Server) { s.headerTimeout = d } }

// NewServer returns a server with no handlers.
func NewServer(logger *slog.Logger, opts ...ServerOption) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		logger:         logger.With("component", "rpc-server"),
		maxRequestSize: DefaultMaxRequestSize,
		headerTimeout:  DefaultHeaderTimeout,
		handlers:       map[string]*handler{},
		sessions:       map[*yamux.Session]struct{}{},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Register adds fn as the handler of method. It panics if method is already
// registered (a programming error). Remote calls get a fresh *A decoded from
// the wire; in-process calls (Server.Call) pass the caller's own values, so a
// handler must not keep args or reply beyond its return.
func Register[A, R any](s *Server, method string, fn func(ctx context.Context, args *A, reply *R) error) {
	h := &handler{
		decode: func(dec *codec.Decoder) (any, error) {
			args := new(A)
			if err := dec.Decode(args); err != nil {
				return nil, decodeErr(err)
			}
			return args, nil
		},
		invoke: func(ctx context.Context, args any) (any, error) {
			reply := new(R)
			if err := fn(ctx, args.(*A), reply); err != nil {
				return nil, err
			}
			return reply, nil
		},
		local: func(ctx context.Context, args, reply any) error {
			a, aok := args.(*A)
			r, rok := reply.(*R)
			if aok && rok {
				return fn(ctx, a, r)
			}
			return callConverted(ctx, fn, args, reply)
		},
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.handlers[method]; dup {
		panic("rpc: method registered twice: " + method)
	}
	s.handlers[method] = h
}

// callConverted serves an in-process call whose args or reply have other
// types than the handler's by passing them through msgpack, as the wire would.
func callConverted[A, R any](ctx context.Context, fn func(context.Context, *A, *R) error, args, reply any) error {
	a := new(A)
	if err := recode(args, a); err != nil {
		return drover.Errorf(drover.ErrInvalid, "rpc: arguments of type %T: %w", args, err)
	}
	r := new(R)
	if err := fn(ctx, a, r); err != nil {
		return err
	}
	if err := recode(r, reply); err != nil {
		return fmt.Errorf("rpc: reply into %T: %w", reply, err)
	}
	return nil
}

func recode(src, dst any) error {
	b, err := drover.EncodeMsgpack(src)
	if err != nil {
		return err
	}
	return drover.DecodeMsgpack(b, dst)
}

func decodeErr(err error) error {
	return drover.Errorf(drover.ErrInvalid, "rpc: decode arguments: %w", err)
}

// Methods returns the registered method names.
func (s *Server) Methods() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.handlers))
	for m := range s.handlers {
		out = append(out, m)
	}
	return out
}

func (s *Server) lookup(method string) (*handler, error) {
	s.mu.RLock()
	h := s.handlers[method]
	s.mu.RUnlock()
	if h == nil {
		return nil, drover.Errorf(drover.ErrNotSupported, "rpc: unknown method %q", method)
	}
	return h, nil
}

// Call runs method in process, without encoding when args and reply have the
// handler's types. reply is filled only on success.
func (s *Server) Call(ctx context.Context, method string, args, reply any) error {
	h, err := s.lookup(method)
	if err != nil {
		return err
	}
	return h.local(ctx, args, reply)
}

// Serve accepts RPC connections (type byte already consumed, as from
// Mux.RPCListener) until ln fails; it returns nil when ln was closed.
func (s *Server) Serve(ln net.Listener) error {
	for {
		conn, err := ln.Accept()
		if err != nil {
			if isClosedErr(err) {
				return nil
			}
			return fmt.Errorf("rpc server: accept: %w", err)
		}
		go s.ServeConn(conn)
	}
}

// ServeConn runs a yamux session over conn and serves each stream as one
// call, until the session ends or Shutdown. It closes conn.
func (s *Server) ServeConn(conn net.Conn) {
	sess, err := yamux.Server(conn, yamuxConfig(s.logger))
	if err != nil {
		s.logger.Error("yamux session", "remote", conn.RemoteAddr(), "error", err)
		conn.Close()
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		sess.Close()
		return
	}
	s.sessions[sess] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.sessions, sess)
		s.mu.Unlock()
		sess.Close()
	}()
	for {
		stream, err := sess.AcceptStream()
		if err != nil {
			if !isClosedErr(err) {
				s.logger.Debug("session ended", "remote", conn.RemoteAddr(), "error", err)
			}
			return
		}
		go s.serveStream(stream)
	}
}

// Shutdown closes every session being served; handlers see their contexts
// cancelled. Later connections are refused.
func (s *Server) Shutdown() {
	s.mu.Lock()
	s.closed = true
	sessions := make([]*yamux.Session, 0, len(s.sessions))
	for sess := range s.sessions {
		sessions = append(sessions, sess)
	}
	s.mu.Unlock()
	for _, sess := range sessions {
		sess.Close()
	}
}

// serveStream serves one call.
func (s *Server) serveStream(stream *yamux.Stream) {
	defer stream.Close()
	_ = stream.SetReadDeadline(time.Now().Add(s.headerTimeout))
	// bufio reads only what has arrived, never waiting for a full buffer,
	// so it cannot block past the end of the request.
	lr := &limitReader{r: stream, n: s.maxRequestSize}
	br := bufio.NewReader(lr)
	dec := newDecoder(br)
	var hdr requestHeader
	if err := dec.Decode(&hdr); err != nil {
		if lr.n <= 0 {
			s.respond(stream, errTooLarge, nil)
			return
		}
		s.logger.Debug("reading request header", "error", err)
		return
	}
	h, err := s.lookup(hdr.Method)
	if err != nil {
		s.respond(stream, err, nil)
		return
	}
	args, err := h.decode(dec)
	if err != nil {
		if lr.n <= 0 {
			err = errTooLarge // the codec does not wrap the reader's error
		}
		s.respond(stream, err, nil)
		return
	}
	_ = stream.SetReadDeadline(time.Time{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// The caller sends nothing more: this read ends when it closes
		// the stream (gave up) or the session dies.
		_, _ = io.Copy(io.Discard, stream)
		cancel()
	}()
	reply, err := h.invoke(ctx, args)
	s.respond(stream, err, reply)
}

// respond writes the response header and, on success, the reply, in as few
// frames as the reply's size allows.
func (s *Server) respond(stream *yamux.Stream, err error, reply any) {
	bw := bufio.NewWriterSize(stream, 16<<10)
	enc := newEncoder(bw)
	if werr := enc.Encode(errorToWire(err)); werr != nil {
		s.logger.Debug("writing response header", "error", werr)
		return
	}
	if err == nil && reply != nil && !(reflect.ValueOf(reply).Kind() == reflect.Pointer && reflect.ValueOf(reply).IsNil()) {
		if werr := enc.Encode(reply); werr != nil {
			s.logger.Debug("writing reply", "error", werr)
			return
		}
	}
	if werr := bw.Flush(); werr != nil {
		s.logger.Debug("writing response", "error", werr)
	}
}
