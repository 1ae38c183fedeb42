package rpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drover-sh/drover"
)

type echoArgs struct {
	Msg   string
	Delay time.Duration
}

type echoReply struct {
	Msg  string
	From string
}

// testServer is a mux + rpc server on a loopback port.
type testServer struct {
	addr    string
	mux     *Mux
	srv     *Server
	started chan struct{} // receives when a blocking handler starts
	ended   chan error    // receives the blocking handler's ctx error
}

func newTestServer(t *testing.T, name string) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{
		addr:    ln.Addr().String(),
		mux:     NewMux(ln, nil),
		srv:     NewServer(nil),
		started: make(chan struct{}, 10),
		ended:   make(chan error, 10),
	}
	Register(ts.srv, "Test.Echo", func(ctx context.Context, a *echoArgs, r *echoReply) error {
		if a.Delay > 0 {
			select {
			case <-time.After(a.Delay):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		r.Msg, r.From = a.Msg, name
		return nil
	})
	Register(ts.srv, "Test.Fail", func(ctx context.Context, a *echoArgs, r *echoReply) error {
		return drover.Errorf(drover.ErrConflict, "conflict: %s", a.Msg)
	})
	Register(ts.srv, "Test.Block", func(ctx context.Context, a *echoArgs, r *echoReply) error {
		ts.started <- struct{}{}
		<-ctx.Done()
		ts.ended <- ctx.Err()
		return ctx.Err()
	})
	go ts.mux.Serve()
	go ts.srv.Serve(ts.mux.RPCListener())
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) stop() {
	ts.mux.Close()
	ts.srv.Shutdown()
}

func TestRoundTripAndErrorKinds(t *testing.T) {
	ts := newTestServer(t, "a")
	c := NewClient(nil, ClientConfig{Servers: []string{ts.addr}})
	defer c.Close()
	ctx := context.Background()

	var r echoReply
	if err := c.RPC(ctx, "Test.Echo", &echoArgs{Msg: "hi"}, &r); err != nil {
		t.Fatal(err)
	}
	if r.Msg != "hi" || r.From != "a" {
		t.Fatalf("reply = %+v", r)
	}

	tests := []struct {
		method string
		kind   error
		msg    string
	}{
		{"Test.Fail", drover.ErrConflict, "conflict: x"},
		{"Test.Nope", drover.ErrNotSupported, `unknown method "Test.Nope"`},
	}
	for _, tt := range tests {
		err := c.RPC(ctx, tt.method, &echoArgs{Msg: "x"}, &r)
		if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: err = %v, want kind %v and %q", tt.method, err, tt.kind, tt.msg)
		}
	}
}

func TestInProcessCall(t *testing.T) {
	ts := newTestServer(t, "local")
	var r echoReply
	if err := ts.srv.Call(context.Background(), "Test.Echo", &echoArgs{Msg: "in"}, &r); err != nil || r.Msg != "in" {
		t.Fatalf("Call: %v %+v", err, r)
	}
	// Other types of the same shape go through msgpack.
	type otherReply struct{ Msg string }
	var o otherReply
	if err := ts.srv.Call(context.Background(), "Test.Echo", &struct{ Msg string }{"conv"}, &o); err != nil || o.Msg != "conv" {
		t.Fatalf("Call converted: %v %+v", err, o)
	}
	if err := ts.srv.Call(context.Background(), "Test.Fail", &echoArgs{Msg: "y"}, &r); !errors.Is(err, drover.ErrConflict) {
		t.Fatalf("Call Fail: %v", err)
	}
}

func TestConcurrentCallsOneSession(t *testing.T) {
	ts := newTestServer(t, "a")
	c := NewClient(nil, ClientConfig{Servers: []string{ts.addr}})
	defer c.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r echoReply
			msg := fmt.Sprint(i)
			if err := c.RPC(context.Background(), "Test.Echo", &echoArgs{Msg: msg, Delay: time.Millisecond}, &r); err != nil {
				errs <- err
			} else if r.Msg != msg {
				errs <- fmt.Errorf("got %q want %q", r.Msg, msg)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	c.mu.Lock()
	n := len(c.sessions)
	c.mu.Unlock()
	if n != 1 {
		t.Fatalf("sessions = %d, want 1", n)
	}
}

func TestContextCancelEndsBothSides(t *testing.T) {
	ts := newTestServer(t, "a")
	c := NewClient(nil, ClientConfig{Servers: []string{ts.addr}})
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		var r echoReply
		errc <- c.RPC(ctx, "Test.Block", &echoArgs{}, &r)
	}()
	select {
	case <-ts.started:
	case <-time.After(5 * time.Second):
		t.Fatal("handler did not start")
	}
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("client err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("client call did not return after cancel")
	}
	select {
	case err := <-ts.ended:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("handler ctx err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler ctx was not cancelled")
	}
}

func TestDeadServerMovesToNext(t *testing.T) {
	a := newTestServer(t, "a")
	b := newTestServer(t, "b")
	c := NewClient(nil, ClientConfig{Servers: []string{a.addr, b.addr}, DialTimeout: time.Second})
	defer c.Close()
	var r echoReply
	if err := c.RPC(context.Background(), "Test.Echo", &echoArgs{Msg: "1"}, &r); err != nil || r.From != "a" {
		t.Fatalf("first call: %v %+v", err, r)
	}
	a.stop()
	// The session to a dies with its server; the next call reconnects to b.
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := c.RPC(context.Background(), "Test.Echo", &echoArgs{Msg: "2"}, &r)
		if err == nil && r.From == "b" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never reached b: %v %+v", err, r)
		}
	}
	if got := c.Servers()[0]; got != b.addr {
		t.Fatalf("current server = %s, want %s", got, b.addr)
	}
}

func TestNoServerReachable(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	c := NewClient(nil, ClientConfig{Servers: []string{addr}, DialTimeout: time.Second})
	defer c.Close()
	var r echoReply
	if err := c.RPC(context.Background(), "Test.Echo", &echoArgs{}, &r); !errors.Is(err, drover.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

func TestMaxRequestSize(t *testing.T) {
	ts := newTestServer(t, "a")
	ts.srv.maxRequestSize = 1024
	c := NewClient(nil, ClientConfig{Servers: []string{ts.addr}})
	defer c.Close()
	var r echoReply
	err := c.RPC(context.Background(), "Test.Echo", &echoArgs{Msg: strings.Repeat("x", 4096)}, &r)
	if !errors.Is(err, drover.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

func TestMuxRouting(t *testing.T) {
	ts := newTestServer(t, "a")
	layer := ts.mux.RaftLayer()

	// Garbage first byte: the mux closes the connection.
	conn, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte{0x7f, 'h', 'i'})
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("garbage connection was not closed")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("garbage connection left open")
	}
	conn.Close()

	// An RPC connection does not reach the raft layer; a raft one does.
	cl := NewClient(nil, ClientConfig{Servers: []string{ts.addr}})
	defer cl.Close()
	var r echoReply
	if err := cl.RPC(context.Background(), "Test.Echo", &echoArgs{Msg: "x"}, &r); err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := layer.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	select {
	case <-accepted:
		t.Fatal("raft layer accepted a non-raft connection")
	default:
	}
	rc, err := layer.Dial(raftAddr(ts.addr), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	rc.Write([]byte("ping"))
	select {
	case c := <-accepted:
		buf := make([]byte, 4)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(buf); err != nil || string(buf) != "ping" {
			t.Fatalf("raft conn read %q, %v", buf, err)
		}
		c.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("raft layer did not get the raft connection")
	}
	if layer.Addr().String() != ts.addr {
		t.Fatalf("layer addr = %s", layer.Addr())
	}
}

func TestClosedSessionCancelsHandler(t *testing.T) {
	ts := newTestServer(t, "a")
	c := NewClient(nil, ClientConfig{Servers: []string{ts.addr}})
	errc := make(chan error, 1)
	go func() {
		var r echoReply
		errc <- c.RPC(context.Background(), "Test.Block", &echoArgs{}, &r)
	}()
	select {
	case <-ts.started:
	case <-time.After(5 * time.Second):
		t.Fatal("handler did not start")
	}
	c.Close() // the whole connection goes away
	select {
	case err := <-ts.ended:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("handler ctx err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler ctx not cancelled when the session closed")
	}
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("call on a closed client succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("call did not end when its session closed")
	}
}

func TestHeaderTimeoutClosesSilentStream(t *testing.T) {
	ts := newTestServer(t, "a")
	ts.srv.headerTimeout = 50 * time.Millisecond
	c := NewClient(nil, ClientConfig{Servers: []string{ts.addr}})
	defer c.Close()
	stream, err := c.openStream(context.Background(), ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	stream.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = stream.Read(make([]byte, 1))
	if err == nil {
		t.Fatal("silent stream got data")
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("server did not close a stream that sent no request header")
	}
}
