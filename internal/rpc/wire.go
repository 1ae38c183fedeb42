package rpc

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/hashicorp/yamux"

	"github.com/drover-sh/drover"
)

// requestHeader precedes the arguments of every call.
type requestHeader struct {
	Method string
}

// responseHeader precedes the reply. Error is empty on success; ErrorKind is
// drover.ErrorKindName of the handler's error so the kind survives the wire.
type responseHeader struct {
	Error     string
	ErrorKind string
}

// Defaults for limits and timeouts.
const (
	// DefaultMaxRequestSize bounds the bytes of one request (header + body).
	DefaultMaxRequestSize = 8 << 20
	// DefaultHeaderTimeout bounds how long a server waits for a request
	// once a stream is open.
	DefaultHeaderTimeout = 30 * time.Second
)

// errTooLarge is returned by limitReader past its limit.
var errTooLarge = drover.Errorf(drover.ErrTooLarge, "rpc: request exceeds the size limit")

// limitReader fails with errTooLarge (instead of io.EOF) once more than n
// bytes were read, so an oversized request is told apart from a short one.
type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

func newEncoder(w io.Writer) *codec.Encoder { return codec.NewEncoder(w, drover.MsgpackHandle) }
func newDecoder(r io.Reader) *codec.Decoder { return codec.NewDecoder(r, drover.MsgpackHandle) }

// errorToWire splits err into its message and kind name.
func errorToWire(err error) responseHeader {
	if err == nil {
		return responseHeader{}
	}
	return responseHeader{Error: err.Error(), ErrorKind: drover.ErrorKindName(err)}
}

// yamuxConfig returns the yamux settings of both ends, logging through logger.
func yamuxConfig(logger *slog.Logger) *yamux.Config {
	c := yamux.DefaultConfig()
	c.LogOutput = nil
	c.Logger = yamuxLogger{logger}
	c.StreamCloseTimeout = 30 * time.Second
	return c
}

// yamuxLogger adapts slog to yamux's Printf-style logger.
type yamuxLogger struct{ l *slog.Logger }

func (y yamuxLogger) Print(v ...any) { y.l.Debug(strings.TrimSpace(fmt.Sprint(v...))) }
func (y yamuxLogger) Printf(format string, v ...any) {
	y.l.Debug(strings.TrimSpace(fmt.Sprintf(format, v...)))
}
func (y yamuxLogger) Println(v ...any) { y.l.Debug(strings.TrimSpace(fmt.Sprintln(v...))) }

// isClosedErr reports whether err only says that a connection or session
// ended, which is routine and not worth a warning.
func isClosedErr(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, yamux.ErrSessionShutdown) ||
		errors.Is(err, io.ErrClosedPipe) || errors.Is(err, yamux.ErrStreamClosed) ||
		errors.Is(err, ErrMuxClosed) || strings.Contains(err.Error(), "use of closed network connection")
}
