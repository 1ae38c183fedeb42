package drover

import (
	"bytes"
	"fmt"
	"reflect"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

// specHandle encodes canonically (sorted map keys), so equal specs encode to
// equal bytes.
var specHandle = func() *codec.MsgpackHandle {
	h := &codec.MsgpackHandle{}
	h.Canonical = true
	h.RawToString = true
	h.MapType = reflect.TypeOf(map[string]any(nil))
	h.TypeInfos = codec.NewTypeInfos([]string{"codec"})
	return h
}()

// SpecChanged reports whether other's spec differs from j's: everything a
// user submits, ignoring the fields the servers maintain (indexes, status,
// version, stability, submit time). A registration that changes the spec is
// a new version of the job; the state store and `job plan` both decide by
// this rule.
func (j *Job) SpecChanged(other *Job) (bool, error) {
	a, err := encodeSpec(j)
	if err != nil {
		return false, err
	}
	b, err := encodeSpec(other)
	if err != nil {
		return false, err
	}
	return !bytes.Equal(a, b), nil
}

func encodeSpec(j *Job) ([]byte, error) {
	c := *j
	c.Status, c.StatusDescription, c.Stable, c.Version, c.SubmitTime = "", "", false, 0, 0
	c.CreateIndex, c.ModifyIndex, c.JobModifyIndex = 0, 0, 0
	var buf bytes.Buffer
	if err := codec.NewEncoder(&buf, specHandle).Encode(&c); err != nil {
		return nil, fmt.Errorf("encode job spec: %w", err)
	}
	return buf.Bytes(), nil
}
