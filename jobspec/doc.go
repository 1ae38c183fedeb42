// Package jobspec parses Nomad-style HCL job files into *drover.Job.
//
// Parse (or ParseFile) returns the job exactly as the file describes it,
// without defaults: the caller calls job.Canonicalize and job.Validate. The
// only values the parser fills in are the meaning of what a file leaves out
// inside a block it wrote (an omitted group count is 1; a partial restart,
// logs or ephemeral_disk block takes the remaining fields from its
// enclosing level or Nomad's defaults; a periodic block is enabled unless it
// says otherwise; a constraint or affinity without an operator means "=";
// an affinity or spread without a weight weighs 50), because after parsing
// "left out" and "zero" can no longer be told apart. When the file is bad, the error is an
// *Error holding every diagnostic of the file, each with file, line and
// column, and of kind drover.ErrInvalid.
//
// # Design
//
// The file is parsed by hashicorp/hcl/v2's native syntax parser
// (hclsyntax) and then decoded by one generic walker, decodeBody
// (schema.go), driven by a schema: each block type has a blockSpec listing
// its attributes (attrFunc) and nested blocks (blockRule), each with the
// function that decodes it into the Go value being built. The schema starts
// at rootSpec (blocks.go) and is split by level: blocks_job.go (job,
// update, migrate, reschedule, periodic, parameterized), blocks_group.go
// (group, restart, network, ports, dns, volume, disconnect),
// blocks_task.go (task, resources, logs, lifecycle, template, artifact,
// identity, ...), blocks_service.go (service, check, check_restart) and
// blocks_placement.go (constraint, affinity, spread). Typed helpers in
// values.go (str, text, integer, bounded, boolean, duration, the *Ptr
// forms, oneOf, stringList, stringMapAttr, stringMapBlock) decode
// attributes into a field named by an accessor function, so a line of
// schema maps one attribute to one field. nested builds the rule for a
// block with labels: an open function (appendTo and setTo cover the usual
// ones) creates the child value and attaches it to its parent (and may
// refuse, e.g. a duplicate name), then the child's spec decodes its body,
// then an optional finish function runs. The older attribute form of a
// block (artifact = { ... }) is decoded through the block's own spec
// (blocks_attrform.go), with a warning. A dynamic "<type>" block, in the
// schema or in a driver config, is expanded into one block of that type per
// element of its for_each (blocks_dynamic.go), each decoded as if written
// out, with the iterator as a parse-time value.
//
// To add a block: write its blockSpec (and open/finish functions) in the
// file of its level, register it under its parent's blocks, and remove its
// name from the parent's notYet list. Blocks and arguments that Nomad
// knows but drover does not implement yet are in those lists (withNotYet):
// they are errors "block \"connect\" is not supported yet by drover",
// never silently dropped; vault is refused with a pointer to drover's own
// secrets. Names in no list get HCL's standard "Unsupported block
// type"/"Unsupported argument" with a did-you-mean. A task's config block
// is opaque (config.go): it becomes a map of plain Go values for the
// driver to check. Deprecated syntax Nomad still accepts (count = "3",
// cron, stagger on non-system jobs, port_map, max_client_disconnect, a
// network in a task's resources, ...) parses with a warning
// (Result.Warnings).
//
// Policy blocks whose fields are merged level by level keep what the file
// left out as zero for job.Canonicalize, except restart: a partial restart
// block is completed here from its group or Nomad's default (tracked
// attributes, blockstate.go), because 0 attempts is meaningful.
//
// The language pass (variables.go, varsources.go) runs before the job is
// decoded: it decodes the variable, variables and locals blocks (the root
// schema routes them to languageBlock, a no-op) and puts var and local in
// the decoder's EvalContext, with the functions (see Interpolation).
//
// Nomad's API JSON ({"Job": {...}} or the bare job; json.go) is decoded by
// encoding/json into the root types, whose field names are Nomad's. A
// token walk over the same bytes first reports every unknown field at its
// line:column (with a did-you-mean), tolerating unknown fields with empty
// values because Nomad's own output lists fields drover lacks; it also
// notes the groups without a Count (1, as in Nomad's API).
// ParseFileWithOptions picks JSON for *.json files or content starting
// with '{'. CheckJSONLimits (size and nesting, before any decoding) is
// exported for the HTTP API.
//
// # Interpolation
//
// Expressions are evaluated at parse time except references to runtime
// variables, which the client resolves per allocation: attr.*, node.*,
// meta.*, env.*, NOMAD_*, DROVER_* and in fact any root not listed in
// decoder.parseTime ("var" and "local"). A template part that refers to a
// runtime variable is copied out as "${" + its source text + "}", so
// "--port=${NOMAD_PORT_http}" comes out unchanged, in quoted strings and
// heredocs alike, and "${var.port}-${NOMAD_ALLOC_INDEX}" becomes
// "8080-${NOMAD_ALLOC_INDEX}"; %{if} directives with parse-time
// conditions are evaluated around them (a %{for} body may not hold runtime
// interpolations). A local may hold runtime
// interpolations too: local.addr = "${NOMAD_IP_http}:${var.port}" is the
// text "${NOMAD_IP_http}:8080" wherever it is used.
//
// Variables: a variable "name" block declares var.name, with an optional
// type (hcl's typeexpr, optional() attributes with defaults included),
// default, description, sensitive and validation blocks (condition, which
// sees only that variable, and error_message, reported at the condition);
// Nomad's older variables { name = default } declares untyped ones. A
// variable's value comes from, in increasing precedence: its default,
// NOMAD_VAR_<name> then DROVER_VAR_<name> in Options.Environ, each
// Options.VarFiles file in order (HCL name = value, or a JSON object for
// *.json; literals only), each Options.Vars name=value in order. As in
// Nomad and Terraform, a value from the environment or -var is the string
// itself for a primitive or untyped variable (converted to the type, so
// "8080" is a number) and an HCL expression for a collection or object. A
// variable with neither value nor default, a -var naming no variable, a
// value that does not convert and a failing condition are errors with a
// position ("<-var x>" and "<NOMAD_VAR_x>" stand for values given outside
// a file); a var-file setting an undeclared variable is only a warning,
// since one file often serves several jobs. Locals blocks (any number)
// define local.name, evaluated in dependency order with cycles reported.
//
// Functions (functions.go): Nomad's standard library, mostly
// go-cty's stdlib and hcl's tryfunc: strings (format, join, replace with
// /regex/, split, trim*, ...), collections (concat, merge, lookup, keys,
// range (at most 1024 values), set*, zipmap, ...), numbers, encodings
// (base64, csv, json, urlencode; no yaml), dates (formatdate, timeadd),
// type conversions (to*), try and can. file(path) and fileexists(path)
// read below Options.Dir, the job file's directory for
// ParseFileWithOptions and none (they refuse) for source parsed from
// memory; absolute paths, ".." and symbolic links leading outside (os.Root)
// are refused, a file is at most MaxIncludedFileSize of UTF-8 text and the
// files of one parse add up to at most MaxFileSize. An unknown function,
// variable or local is an error with a did-you-mean.
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
