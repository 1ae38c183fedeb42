package rpc

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// Connection type bytes: the first byte a dialer writes on port 4647.
const (
	// ConnTypeRaft marks a Raft connection between servers.
	ConnTypeRaft byte = 0x01
	// ConnTypeRPC marks an internal RPC connection (a yamux session).
	ConnTypeRPC byte = 0x02
)

// firstByteTimeout bounds how long a new connection may take to say what it
// carries before the mux drops it.
const firstByteTimeout = 10 * time.Second

// ErrMuxClosed is returned by Accept on the mux's listeners after Close.
var ErrMuxClosed = errors.New("rpc: mux closed")

// MuxOption configures a Mux.
type MuxOption func(*Mux)

// WithAdvertise sets the address the Raft layer reports as its own (the
// listener's address is used otherwise). Raft refuses unspecified addresses
// such as 0.0.0.0, so a server bound to all interfaces must advertise one.
func WithAdvertise(addr net.Addr) MuxOption { return func(m *Mux) { m.advertise = addr } }

// Mux accepts connections on one listener and hands each to the Raft layer or
// the RPC listener according to its first byte; anything else is closed.
type Mux struct {
	ln        net.Listener
	logger    *slog.Logger
	advertise net.Addr

	raftCh chan net.Conn
	rpcCh  chan net.Conn

	closeOnce sync.Once
	closed    chan struct{}
}

// NewMux returns a mux over ln. Call Serve to start accepting.
func NewMux(ln net.Listener, logger *slog.Logger, opts ...MuxOption) *Mux {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := &Mux{
		ln:     ln,
		logger: logger.With("component", "rpc-mux"),
		raftCh: make(chan net.Conn),
		rpcCh:  make(chan net.Conn),
		closed: make(chan struct{}),
	}
	for _, o := range opts {
		o(m)
	}
	if m.advertise == nil {
		m.advertise = ln.Addr()
	}
	return m
}

// Serve accepts connections until the listener fails or Close is called; it
// returns nil after Close.
func (m *Mux) Serve() error {
	for {
		conn, err := m.ln.Accept()
		if err != nil {
			select {
			case <-m.closed:
				return nil
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("rpc mux: accept: %w", err)
		}
		go m.route(conn)
	}
}

// route reads conn's first byte and hands it on.
func (m *Mux) route(conn net.Conn) {
	var b [1]byte
	_ = conn.SetReadDeadline(time.Now().Add(firstByteTimeout))
	if _, err := conn.Read(b[:]); err != nil {
		m.logger.Debug("dropping connection: no type byte", "remote", conn.RemoteAddr(), "error", err)
		conn.Close()
		return
	}
	_ = conn.SetReadDeadline(time.Time{})
	var ch chan net.Conn
	switch b[0] {
	case ConnTypeRaft:
		ch = m.raftCh
	case ConnTypeRPC:
		ch = m.rpcCh
	default:
		m.logger.Warn("dropping connection: unknown type byte", "remote", conn.RemoteAddr(), "byte", b[0])
		conn.Close()
		return
	}
	// Nobody taking the connection (e.g. no Raft on this server) must not
	// pin a goroutine forever.
	t := time.NewTimer(firstByteTimeout)
	defer t.Stop()
	select {
	case ch <- conn:
	case <-t.C:
		m.logger.Warn("dropping connection: nobody accepted it", "remote", conn.RemoteAddr(), "type", b[0])
		conn.Close()
	case <-m.closed:
		conn.Close()
	}
}

// Close stops the mux and closes its listener. Connections already handed
// on belong to their receivers.
func (m *Mux) Close() error {
	var err error
	m.closeOnce.Do(func() {
		close(m.closed)
		err = m.ln.Close()
	})
	return err
}

// Addr is the listener's address.
func (m *Mux) Addr() net.Addr { return m.ln.Addr() }

// RaftLayer returns the Raft stream layer: Accept yields only connections
// that began with ConnTypeRaft; Dial writes ConnTypeRaft first.
func (m *Mux) RaftLayer() raft.StreamLayer { return &raftLayer{m: m} }

// RPCListener returns a listener that yields only connections that began
// with ConnTypeRPC (the type byte already consumed), for Server.Serve.
func (m *Mux) RPCListener() net.Listener { return &chanListener{m: m, ch: m.rpcCh} }

type chanListener struct {
	m  *Mux
	ch chan net.Conn
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.m.closed:
		return nil, ErrMuxClosed
	}
}

// Close closes the whole mux: its listeners share one port.
func (l *chanListener) Close() error   { return l.m.Close() }
func (l *chanListener) Addr() net.Addr { return l.m.advertise }

type raftLayer struct{ m *Mux }

func (r *raftLayer) Accept() (net.Conn, error) {
	select {
	case c := <-r.m.raftCh:
		return c, nil
	case <-r.m.closed:
		return nil, ErrMuxClosed
	}
}

func (r *raftLayer) Close() error   { return r.m.Close() }
func (r *raftLayer) Addr() net.Addr { return r.m.advertise }

// Dial opens a Raft connection to another server's port 4647.
func (r *raftLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return dialType(string(address), timeout, ConnTypeRaft)
}

// dialType connects to addr and writes the connection type byte.
func dialType(addr string, timeout time.Duration, t byte) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Write([]byte{t}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("write connection type to %s: %w", addr, err)
	}
	return conn, nil
}
