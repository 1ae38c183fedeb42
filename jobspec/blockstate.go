package jobspec

// blockState is what block decoders track across blocks of one file (it is
// embedded in decoder).
type blockState struct{}
