package drover

import (
	"errors"
	"fmt"
)

// Kinds of failure that callers act on. Each is a sentinel checked with
// errors.Is; the HTTP layer maps them to status codes and the internal RPC
// carries them across the wire, so a kind survives forwarding.
var (
	ErrNotFound     = errors.New("not found")
	ErrInvalid      = errors.New("invalid request")
	ErrConflict     = errors.New("conflict")
	ErrPermission   = errors.New("permission denied")
	ErrTooLarge     = errors.New("request too large")
	ErrNoLeader     = errors.New("no cluster leader")
	ErrUnavailable  = errors.New("unavailable")
	ErrNotSupported = errors.New("not supported")
)

// kinds lists the sentinels by their wire name, for RPC transport.
var kinds = map[string]error{
	"not_found":     ErrNotFound,
	"invalid":       ErrInvalid,
	"conflict":      ErrConflict,
	"permission":    ErrPermission,
	"too_large":     ErrTooLarge,
	"no_leader":     ErrNoLeader,
	"unavailable":   ErrUnavailable,
	"not_supported": ErrNotSupported,
}

// KindedError is an error with a kind. Its message is the whole message; the
// kind only classifies it.
type KindedError struct {
	Kind error
	Msg  string
}

func (e *KindedError) Error() string { return e.Msg }
func (e *KindedError) Unwrap() error { return e.Kind }

// Errorf returns an error of the given kind (one of the Err sentinels) with a
// formatted message. Use %w in format to also wrap a cause.
func Errorf(kind error, format string, args ...any) error {
	return &KindedError{Kind: kind, Msg: fmt.Errorf(format, args...).Error()}
}

// ErrorKindName returns the wire name of err's kind, or "" when err has none
// of the known kinds.
func ErrorKindName(err error) string {
	for name, k := range kinds {
		if errors.Is(err, k) {
			return name
		}
	}
	return ""
}

// ErrorFromWire rebuilds an error from its message and wire kind name, so that
// errors.Is works on the far side of an RPC.
func ErrorFromWire(msg, kind string) error {
	if k, ok := kinds[kind]; ok {
		return &KindedError{Kind: k, Msg: msg}
	}
	return errors.New(msg)
}
