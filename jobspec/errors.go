package jobspec

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"

	"github.com/drover-sh/drover"
)

// Diagnostic is one problem found in a job file, located by file name,
// 1-based line and 1-based column (in characters).
type Diagnostic struct {
	File    string
	Line    int
	Column  int
	Summary string // short, e.g. "Unsupported block type"
	Detail  string // a sentence or two, may be empty
}

// String renders the diagnostic as "file:line:col: Summary; detail".
func (d Diagnostic) String() string {
	msg := d.Summary
	if d.Detail != "" {
		msg += "; " + lowerFirst(d.Detail)
	}
	return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Column, msg)
}

// MaxDiagnostics bounds the diagnostics an *Error keeps; past it, one last
// diagnostic says how many more there were.
const MaxDiagnostics = 200

// Error is returned by Parse for a job file that cannot be turned into a
// job. It holds every problem of the file, ordered by position, not only the
// first. It is of kind drover.ErrInvalid (errors.Is works).
type Error struct {
	diags []Diagnostic
}

// Error prints one diagnostic per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.diags))
	for i, d := range e.diags {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Diagnostics returns the problems, ordered by position. The caller must not
// modify the returned slice.
func (e *Error) Diagnostics() []Diagnostic { return e.diags }

// Unwrap makes a parse error of kind drover.ErrInvalid.
func (e *Error) Unwrap() error { return drover.ErrInvalid }

// newError converts hcl's error diagnostics (warnings are dropped) into an
// *Error ordered by position, or returns nil when there is no error.
func newError(filename string, diags hcl.Diagnostics) *Error {
	var out []Diagnostic
	seen := map[Diagnostic]bool{}
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		dd := diagnostic(filename, d)
		if seen[dd] {
			continue // hcl may report one problem twice (e.g. a parse error and its recovery)
		}
		seen[dd] = true
		out = append(out, dd)
	}
	if len(out) == 0 {
		return nil
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Column < out[j].Column
	})
	if len(out) > MaxDiagnostics {
		more := len(out) - MaxDiagnostics
		last := out[MaxDiagnostics]
		out = append(out[:MaxDiagnostics], Diagnostic{File: filename, Line: last.Line, Column: last.Column,
			Summary: "Too many errors", Detail: fmt.Sprintf("%d more errors from here on are not shown.", more)})
	}
	return &Error{diags: out}
}

// diagnostic converts d, located in filename unless its subject names
// another file (a -var-file, "<-var x>").
func diagnostic(filename string, d *hcl.Diagnostic) Diagnostic {
	dd := Diagnostic{File: filename, Line: 1, Column: 1, Summary: d.Summary, Detail: d.Detail}
	if d.Subject != nil {
		dd.Line, dd.Column = d.Subject.Start.Line, d.Subject.Start.Column
		if d.Subject.Filename != "" {
			dd.File = d.Subject.Filename
		}
	}
	return dd
}

// warningsOf returns the warning diagnostics of diags, ordered by position.
func warningsOf(filename string, diags hcl.Diagnostics) []Diagnostic {
	var out []Diagnostic
	for _, d := range diags {
		if d.Severity != hcl.DiagWarning {
			continue
		}
		dd := diagnostic(filename, d)
		out = append(out, dd)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Column < out[j].Column
	})
	return out
}

// lowerFirst lowercases the first letter of a sentence unless the word is an
// acronym ("Blocks of type" → "blocks of type", "JSON" stays).
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || !unicode.IsUpper(r) {
		return s
	}
	if r2, _ := utf8.DecodeRuneInString(s[n:]); unicode.IsUpper(r2) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// suggest returns the candidate closest to name when it is close enough to
// be a likely typo, or "".
func suggest(name string, candidates []string) string {
	best, bestDist := "", 3 // more than 2 edits away is not a typo
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		if d := levenshtein(name, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// levenshtein returns the edit distance between a and b, in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
