// Package rpc is the plumbing of port 4647: a connection mux that tells Raft
// connections from internal RPC connections by their first byte, the RPC
// server that dispatches calls to handlers registered by internal/server, and
// the RPC client that clients and forwarding servers use.
//
// Wire format: an RPC connection starts with the byte 0x02 and then carries a
// yamux session. Each call is one yamux stream: the caller writes a msgpack
// requestHeader and the msgpack-encoded arguments; the server answers with a
// msgpack responseHeader and the msgpack-encoded reply. The caller keeps its
// write side open until it has the answer; closing the stream (or losing the
// session) before then cancels the handler's context, which ends blocking
// queries whose caller went away.
package rpc
