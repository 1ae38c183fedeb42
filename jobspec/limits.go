package jobspec

import (
	"bytes"
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// Limits on what Parse accepts. They bound the work and the stack the HCL
// parser (which is recursive descent) may use on hostile input.
const (
	// MaxFileSize is the largest job file Parse reads, in bytes.
	MaxFileSize = 4 << 20
	// MaxNesting is the deepest nesting of blocks, brackets, parentheses,
	// template interpolations and directives, unary operators and ternary
	// chains that Parse accepts.
	MaxNesting = 64
)

// checkLimits refuses src when it is too large or nested too deeply, before
// the HCL parser sees it.
func checkLimits(filename string, src []byte) hcl.Diagnostics {
	if len(src) > MaxFileSize {
		return tooLarge(filename, int64(len(src)))
	}
	if pos, ok := nestingScan(src); !ok {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Nesting too deep",
			Detail:   fmt.Sprintf("Blocks, brackets or expressions are nested more than %d levels deep here.", MaxNesting),
			Subject:  &hcl.Range{Filename: filename, Start: posAt(src, pos), End: posAt(src, pos)},
		}}
	}
	return nil
}

func tooLarge(filename string, size int64) hcl.Diagnostics {
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Job file too large",
		Detail:   fmt.Sprintf("The file is %d bytes; the limit is %d bytes (4 MiB).", size, MaxFileSize),
		Subject:  &hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos},
	}}
}

// posAt returns the position of byte offset off in src.
func posAt(src []byte, off int) hcl.Pos {
	before := src[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len([]rune(string(before[bytes.LastIndexByte(before, '\n')+1:]))) + 1
	return hcl.Pos{Line: line, Column: col, Byte: off}
}

// Kinds of frame on the scanner's stack.
const (
	frameCode    = iota // a block body, bracket, paren or interpolation: HCL expressions
	frameString         // a quoted string template
	frameHeredoc        // a heredoc template
)

type frame struct {
	kind       int
	closer     byte   // for code frames: the byte that closes it ('}', ']', ')')
	interp     bool   // a code frame opened by "${" or "%{" inside a template
	marker     []byte // for heredocs: the closing marker
	ternaries  int    // '?' seen in this code frame since the last separator
	directives int    // open %{if}/%{for} in this template frame
}

// nestingScan is a cheap lexer that measures how deeply the HCL parser will
// recurse on src. It ignores comments and string contents, follows
// interpolations and heredocs, and counts what hclsyntax parses recursively:
// brackets of every kind, template interpolations and directives, runs of
// unary operators and chains of ternary operators. It returns the offset
// where the depth passes MaxNesting and false, or 0, true. It need not
// follow HCL exactly: malformed input is the parser's to report, the scan
// only has to never under-count a recursion.
func nestingScan(src []byte) (int, bool) {
	stack := []frame{{kind: frameCode}}
	extra := 0 // ternaries and directives of all frames
	unaryRun := 0
	for i := 0; i < len(src); i++ {
		top := &stack[len(stack)-1]
		if len(stack)+extra+unaryRun > MaxNesting {
			return i, false
		}
		c := src[i]
		switch top.kind {
		case frameString, frameHeredoc:
			if top.kind == frameHeredoc && (i == 0 || src[i-1] == '\n') && heredocEnds(src[i:], top.marker) {
				if n := bytes.IndexByte(src[i:], '\n'); n >= 0 {
					i += n
				} else {
					i = len(src)
				}
				extra -= top.directives
				stack = stack[:len(stack)-1]
				continue
			}
			switch {
			case c == '\\' && top.kind == frameString:
				i++
			case c == '"' && top.kind == frameString, c == '\n' && top.kind == frameString:
				extra -= top.directives
				stack = stack[:len(stack)-1]
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == c && i+2 < len(src) && src[i+2] == '{':
				i += 2 // "$${" and "%%{" are literal text
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				if c == '%' {
					delta := directiveDelta(src[i+2:])
					if delta < 0 && top.directives == 0 {
						delta = 0 // an unmatched end must not hide nesting
					}
					top.directives += delta
					extra += delta
				}
				i++
				stack = append(stack, frame{kind: frameCode, closer: '}', interp: true})
			}
			continue
		}
		// Code frame.
		if c == '!' || c == '-' {
			unaryRun++
			continue
		}
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			unaryRun = 0
		}
		switch c {
		case '#':
			i = skipLine(src, i)
		case '/':
			if i+1 < len(src) && src[i+1] == '/' {
				i = skipLine(src, i)
			} else if i+1 < len(src) && src[i+1] == '*' {
				end := bytes.Index(src[i+2:], []byte("*/"))
				if end < 0 {
					return 0, true
				}
				i += end + 3
			}
		case '"':
			stack = append(stack, frame{kind: frameString})
		case '<':
			if m, n := heredocStart(src[i:]); n > 0 {
				stack = append(stack, frame{kind: frameHeredoc, marker: m})
				i += n - 1
			}
		case '{':
			stack = append(stack, frame{kind: frameCode, closer: '}'})
		case '[':
			stack = append(stack, frame{kind: frameCode, closer: ']'})
		case '(':
			stack = append(stack, frame{kind: frameCode, closer: ')'})
		case '}', ']', ')':
			if len(stack) > 1 {
				extra -= top.ternaries
				stack = stack[:len(stack)-1]
			}
		case '?':
			top.ternaries++
			extra++
		case ',', '\n':
			// A newline ends an expression only where newlines are
			// significant: a block body or object, not inside brackets,
			// parentheses or an interpolation.
			if c == ',' || top.closer == '}' && !top.interp || len(stack) == 1 {
				extra -= top.ternaries
				top.ternaries = 0
			}
		}
	}
	return 0, true
}

// skipLine returns the offset of the newline ending the line at i (or the
// last offset), so the newline itself is still scanned.
func skipLine(src []byte, i int) int {
	n := bytes.IndexByte(src[i:], '\n')
	if n < 0 {
		return len(src)
	}
	return i + n - 1
}

// heredocStart recognises "<<EOF\n" or "<<-EOF\n" at the start of b and
// returns the marker and the length up to and including the newline.
func heredocStart(b []byte) ([]byte, int) {
	if !bytes.HasPrefix(b, []byte("<<")) {
		return nil, 0
	}
	j := 2
	if j < len(b) && b[j] == '-' {
		j++
	}
	start := j
	for j < len(b) && (b[j] == '_' || b[j] >= 'a' && b[j] <= 'z' || b[j] >= 'A' && b[j] <= 'Z' || b[j] >= '0' && b[j] <= '9') {
		j++
	}
	if j == start {
		return nil, 0
	}
	marker := b[start:j]
	if j < len(b) && b[j] == '\r' {
		j++
	}
	if j >= len(b) || b[j] != '\n' {
		return nil, 0
	}
	return marker, j + 1
}

// heredocEnds reports whether the line at the start of b is the heredoc's
// closing marker (leading spaces allowed).
func heredocEnds(b []byte, marker []byte) bool {
	line := b
	if n := bytes.IndexByte(b, '\n'); n >= 0 {
		line = b[:n]
	}
	return bytes.Equal(bytes.TrimSpace(line), marker)
}

// directiveDelta says how a template directive starting at b (just after
// "%{") changes the directive nesting: +1 for if/for, -1 for endif/endfor.
func directiveDelta(b []byte) int {
	b = bytes.TrimLeft(b, "~ \t\r\n")
	switch {
	case bytes.HasPrefix(b, []byte("endif")), bytes.HasPrefix(b, []byte("endfor")):
		return -1
	case bytes.HasPrefix(b, []byte("if")), bytes.HasPrefix(b, []byte("for")):
		return 1
	}
	return 0
}
