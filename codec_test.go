package drover

import "testing"

// TestMsgpackKeepsJSONHiddenFields: fields hidden from JSON still travel
// over msgpack (RPC and Raft).
func TestMsgpackKeepsJSONHiddenFields(t *testing.T) {
	b, err := EncodeMsgpack(&Node{ID: "n1", SecretID: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	var n Node
	if err := DecodeMsgpack(b, &n); err != nil {
		t.Fatal(err)
	}
	if n.SecretID != "s3cret" || n.ID != "n1" {
		t.Fatalf("decoded %+v", n)
	}
}
