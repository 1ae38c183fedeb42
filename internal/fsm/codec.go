package fsm

import (
	"bytes"
	"reflect"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

// raftHandle is the msgpack codec of Raft log entries and snapshots. It is
// drover.MsgpackHandle's configuration, except that it reads only `codec`
// struct tags: a `json:"-"` tag (Node.SecretID, hidden from the HTTP API)
// must not drop a field from the replicated state.
var raftHandle = func() *codec.MsgpackHandle {
	h := &codec.MsgpackHandle{}
	h.RawToString = true
	h.WriteExt = true
	h.MapType = reflect.TypeOf(map[string]any(nil))
	h.TypeInfos = codec.NewTypeInfos([]string{"codec"})
	return h
}()

func encodeMsgpack(v any) ([]byte, error) {
	var buf bytes.Buffer
	err := codec.NewEncoder(&buf, raftHandle).Encode(v)
	return buf.Bytes(), err
}

func decodeMsgpack(b []byte, v any) error {
	return codec.NewDecoderBytes(b, raftHandle).Decode(v)
}
