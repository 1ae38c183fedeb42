package fsm

import "github.com/drover-sh/drover"

// Raft log entries and snapshots use drover's msgpack codec, which reads
// only `codec` struct tags: a `json:"-"` field (Node.SecretID, hidden from
// the HTTP API) stays in the replicated state.

func encodeMsgpack(v any) ([]byte, error) { return drover.EncodeMsgpack(v) }

func decodeMsgpack(b []byte, v any) error { return drover.DecodeMsgpack(b, v) }
