package drover

import (
	"bytes"
	"reflect"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

// MsgpackHandle is the msgpack codec drover uses on the wire (internal RPC)
// and in Raft log entries and snapshots. Maps of interface values decode as
// map[string]any, and strings stay strings, so a Task's Config comes back in
// the shape it was sent.
var MsgpackHandle = func() *codec.MsgpackHandle {
	h := &codec.MsgpackHandle{}
	h.RawToString = true
	h.WriteExt = true
	h.MapType = reflect.TypeOf(map[string]any(nil))
	// Read only `codec` struct tags: a `json:"-"` field (Node.SecretID, kept
	// out of the HTTP API) must still cross the internal RPC and Raft.
	h.TypeInfos = codec.NewTypeInfos([]string{"codec"})
	return h
}()

// EncodeMsgpack encodes v with MsgpackHandle.
func EncodeMsgpack(v any) ([]byte, error) {
	var buf bytes.Buffer
	err := codec.NewEncoder(&buf, MsgpackHandle).Encode(v)
	return buf.Bytes(), err
}

// DecodeMsgpack decodes b into v with MsgpackHandle.
func DecodeMsgpack(b []byte, v any) error {
	return codec.NewDecoderBytes(b, MsgpackHandle).Decode(v)
}

// copyViaMsgpack deep-copies src into dst. It panics on failure, which means
// a type holds something msgpack cannot carry: a programming error.
func copyViaMsgpack(src, dst any) {
	b, err := EncodeMsgpack(src)
	if err != nil {
		panic("drover: copy: " + err.Error())
	}
	if err := DecodeMsgpack(b, dst); err != nil {
		panic("drover: copy: " + err.Error())
	}
}
