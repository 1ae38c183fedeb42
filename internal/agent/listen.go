package agent

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// ErrPortInUse is returned when a listener's port is taken.
var ErrPortInUse = errors.New("port already in use")

// listen opens a TCP listener for the named purpose ("http", "rpc") and
// turns the kernel's error into one that names the port and what to do.
func listen(purpose, host string, port int) (net.Listener, error) {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("%w: cannot listen on %s for %s: another process holds it (set ports { %s = ... } to use another port)", ErrPortInUse, addr, purpose, purpose)
	}
	return nil, fmt.Errorf("listen on %s for %s: %w", addr, purpose, err)
}
