// Package jobspec parses Nomad-style HCL job files into *drover.Job.
//
// Parse (or ParseFile) returns the job exactly as the file describes it,
// without defaults: the caller calls job.Canonicalize and job.Validate. The
// only values the parser fills in are the meaning of what a file leaves out
// inside a block it wrote (an omitted group count is 1; a partial restart,
// logs or ephemeral_disk block takes the remaining fields from its
// enclosing level or Nomad's defaults), because after parsing "left out" and
// "zero" can no longer be told apart. When the file is bad, the error is an
// *Error holding every diagnostic of the file, each with file, line and
// column, and of kind drover.ErrInvalid.
//
// # Design
//
// The file is parsed by hashicorp/hcl/v2's native syntax parser
// (hclsyntax) and then decoded by one generic walker, decodeBody
// (schema.go), driven by a schema: each block type has a blockSpec listing
// its attributes (attrFunc) and nested blocks (blockRule), each with the
// function that decodes it into the Go value being built. The schema lives
// in blocks.go, from rootSpec (the file) through jobSpec, groupSpec and
// taskSpec down to portSpec. Typed helpers in values.go (str, integer,
// boolean, duration, oneOf, stringList, stringMapAttr, stringMapBlock)
// decode attributes into a field named by an accessor function, so a line
// of schema maps one attribute to one field. nested builds the rule for a
// block with labels: an open function creates the child value and attaches
// it to its parent (and may refuse, e.g. a duplicate name), then the
// child's spec decodes its body, then an optional finish function runs.
//
// To add a block: write its blockSpec (and open/finish functions) in
// blocks.go or a new file, register it under its parent's blocks, and
// remove its name from the parent's notYet list. Blocks and arguments that
// Nomad knows but drover does not implement yet are in those lists
// (withNotYet): they are errors "block \"service\" is not supported yet by
// drover", never silently dropped. Names in no list get HCL's standard
// "Unsupported block type"/"Unsupported argument" with a did-you-mean.
// A task's config block is opaque (config.go): it becomes a map of plain
// Go values for the driver to check.
//
// # Interpolation
//
// Expressions are evaluated at parse time except references to runtime
// variables, which the client resolves per allocation: attr.*, node.*,
// meta.*, env.*, NOMAD_*, DROVER_* and in fact any root not listed in
// decoder.parseTime (empty today; "var" and "local" will go there when
// variables are supported, with functions in the EvalContext). A template
// part that refers to a runtime variable is copied out as "${" + its source
// text + "}", so "--port=${NOMAD_PORT_http}" comes out unchanged, in quoted
// strings and heredocs alike; %{if} directives with parse-time conditions
// are evaluated around them.
//
// # Limits
//
// Files over MaxFileSize are refused before parsing. Because hclsyntax is
// a recursive-descent parser, a cheap scan (limits.go) first measures how
// deeply the file nests (brackets, blocks, interpolations, directives,
// unary operator runs, ternary chains) and refuses more than MaxNesting, so
// hostile input cannot exhaust the stack. FuzzParse checks that Parse
// never panics and always returns a job or an *Error.
package jobspec
