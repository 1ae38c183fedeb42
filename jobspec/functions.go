package jobspec

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// Limits on what functions may produce, so a job file cannot make the parser
// use unbounded memory through them.
const (
	// MaxIncludedFileSize is the largest file file() reads.
	MaxIncludedFileSize = 1 << 20
	// maxIncludedTotal bounds the bytes file() reads over one parse.
	maxIncludedTotal = MaxFileSize
	// maxSetProduct bounds the elements setproduct may produce.
	maxSetProduct = 10000
)

// staticFunctions are the functions of job files that depend on nothing but
// their arguments. The map is shared by every parse and never modified.
var staticFunctions = map[string]function.Function{
	// Strings.
	"chomp":         stdlib.ChompFunc,
	"format":        stdlib.FormatFunc,
	"formatlist":    stdlib.FormatListFunc,
	"indent":        stdlib.IndentFunc,
	"join":          stdlib.JoinFunc,
	"lower":         stdlib.LowerFunc,
	"upper":         stdlib.UpperFunc,
	"replace":       replaceFunc,
	"regex":         stdlib.RegexFunc,
	"regexall":      stdlib.RegexAllFunc,
	"regex_replace": stdlib.RegexReplaceFunc,
	"split":         stdlib.SplitFunc,
	"strrev":        stdlib.ReverseFunc,
	"substr":        stdlib.SubstrFunc,
	"title":         stdlib.TitleFunc,
	"trim":          stdlib.TrimFunc,
	"trimprefix":    stdlib.TrimPrefixFunc,
	"trimsuffix":    stdlib.TrimSuffixFunc,
	"trimspace":     stdlib.TrimSpaceFunc,
	// Collections.
	"chunklist":       stdlib.ChunklistFunc,
	"coalesce":        coalesceFunc,
	"coalescelist":    stdlib.CoalesceListFunc,
	"compact":         stdlib.CompactFunc,
	"concat":          stdlib.ConcatFunc,
	"contains":        stdlib.ContainsFunc,
	"distinct":        stdlib.DistinctFunc,
	"element":         stdlib.ElementFunc,
	"flatten":         stdlib.FlattenFunc,
	"index":           indexFunc,
	"keys":            stdlib.KeysFunc,
	"length":          lengthFunc,
	"lookup":          stdlib.LookupFunc,
	"merge":           stdlib.MergeFunc,
	"range":           stdlib.RangeFunc, // at most 1024 elements
	"reverse":         stdlib.ReverseListFunc,
	"setintersection": stdlib.SetIntersectionFunc,
	"setproduct":      setProductFunc,
	"setsubtract":     stdlib.SetSubtractFunc,
	"setunion":        stdlib.SetUnionFunc,
	"slice":           stdlib.SliceFunc,
	"sort":            stdlib.SortFunc,
	"values":          stdlib.ValuesFunc,
	"zipmap":          stdlib.ZipmapFunc,
	// Numbers.
	"abs":      stdlib.AbsoluteFunc,
	"ceil":     stdlib.CeilFunc,
	"floor":    stdlib.FloorFunc,
	"log":      stdlib.LogFunc,
	"max":      stdlib.MaxFunc,
	"min":      stdlib.MinFunc,
	"parseint": stdlib.ParseIntFunc,
	"pow":      stdlib.PowFunc,
	"signum":   stdlib.SignumFunc,
	// Encodings.
	"base64decode": base64DecodeFunc,
	"base64encode": base64EncodeFunc,
	"csvdecode":    stdlib.CSVDecodeFunc,
	"jsondecode":   stdlib.JSONDecodeFunc,
	"jsonencode":   stdlib.JSONEncodeFunc,
	"urlencode":    urlEncodeFunc,
	// Dates.
	"formatdate": stdlib.FormatDateFunc,
	"timeadd":    stdlib.TimeAddFunc,
	// Type conversions.
	"tobool":   stdlib.MakeToFunc(cty.Bool),
	"tolist":   stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
	"tomap":    stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
	"tonumber": stdlib.MakeToFunc(cty.Number),
	"toset":    stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
	"tostring": stdlib.MakeToFunc(cty.String),
	// Errors.
	"try": tryfunc.TryFunc,
	"can": tryfunc.CanFunc,
}

// functions returns the functions of one parse: the static ones and file()
// and fileexists(), which read below dir ("" refuses every read).
func functions(dir string) map[string]function.Function {
	out := make(map[string]function.Function, len(staticFunctions)+2)
	for name, f := range staticFunctions {
		out[name] = f
	}
	files := &fileReader{dir: dir, cache: map[string]string{}}
	out["file"] = files.fileFunc()
	out["fileexists"] = files.existsFunc()
	return out
}

var base64EncodeFunc = function.New(&function.Spec{
	Description: "Returns the Base64 encoding (standard alphabet, padded) of the UTF-8 bytes of str.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	RefineResult: func(b *cty.RefinementBuilder) *cty.RefinementBuilder {
		return b.NotNull()
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(base64.StdEncoding.EncodeToString([]byte(args[0].AsString()))), nil
	},
})

var base64DecodeFunc = function.New(&function.Spec{
	Description: "Decodes a standard Base64 string whose bytes are UTF-8 text.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		b, err := base64.StdEncoding.DecodeString(args[0].AsString())
		if err != nil {
			return cty.NilVal, function.NewArgErrorf(0, "not valid Base64: %v", err)
		}
		if !utf8.Valid(b) {
			return cty.NilVal, function.NewArgErrorf(0, "the decoded bytes are not valid UTF-8 text")
		}
		return cty.StringVal(string(b)), nil
	},
})

var urlEncodeFunc = function.New(&function.Spec{
	Description: "Escapes str for use in a URL query.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(url.QueryEscape(args[0].AsString())), nil
	},
})

// replaceFunc replaces substr in str; a substr written /like this/ is a
// regular expression, as in Nomad and Terraform.
var replaceFunc = function.New(&function.Spec{
	Description: "Replaces every occurrence of substr (or of the regular expression /substr/) in str with replace.",
	Params: []function.Parameter{
		{Name: "str", Type: cty.String},
		{Name: "substr", Type: cty.String},
		{Name: "replace", Type: cty.String},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		pat := args[1].AsString()
		if len(pat) > 1 && strings.HasPrefix(pat, "/") && strings.HasSuffix(pat, "/") {
			return stdlib.RegexReplace(args[0], cty.StringVal(pat[1:len(pat)-1]), args[2])
		}
		return stdlib.Replace(args[0], args[1], args[2])
	},
})

// lengthFunc is the length of a collection, or of a string in characters.
var lengthFunc = function.New(&function.Spec{
	Description: "Returns the number of elements of a list, set, map, tuple or object, or the number of characters of a string.",
	Params:      []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowDynamicType: true, AllowUnknown: true}},
	Type: func(args []cty.Value) (cty.Type, error) {
		t := args[0].Type()
		if t == cty.String || t == cty.DynamicPseudoType || t.IsCollectionType() || t.IsTupleType() || t.IsObjectType() {
			return cty.Number, nil
		}
		return cty.NilType, function.NewArgErrorf(0, "a string, list, set, map, tuple or object is required")
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v := args[0]
		if v.Type() == cty.String {
			if !v.IsKnown() {
				return cty.UnknownVal(cty.Number), nil
			}
			return stdlib.Strlen(v)
		}
		if v.Type().IsObjectType() {
			return cty.NumberIntVal(int64(len(v.Type().AttributeTypes()))), nil
		}
		return stdlib.Length(v)
	},
})

// coalesceFunc returns its first argument that is neither null nor an empty
// string, as in Nomad and Terraform.
var coalesceFunc = function.New(&function.Spec{
	Description: "Returns the first argument that is neither null nor an empty string.",
	VarParam:    &function.Parameter{Name: "vals", Type: cty.DynamicPseudoType, AllowNull: true},
	Type: func(args []cty.Value) (cty.Type, error) {
		return stdlib.CoalesceFunc.ReturnType(typesOf(args))
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		for _, a := range args {
			v, err := convert.Convert(a, retType)
			if err != nil {
				return cty.NilVal, err
			}
			if v.IsNull() || v.Type() == cty.String && v.IsKnown() && v.AsString() == "" {
				continue
			}
			return v, nil
		}
		return cty.NilVal, errors.New("every argument is null or an empty string")
	},
})

// indexFunc finds the first element of a list equal to value.
var indexFunc = function.New(&function.Spec{
	Description: "Returns the index of the first element of list equal to value.",
	Params: []function.Parameter{
		{Name: "list", Type: cty.DynamicPseudoType},
		{Name: "value", Type: cty.DynamicPseudoType},
	},
	Type: function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		t := args[0].Type()
		if !t.IsListType() && !t.IsTupleType() {
			return cty.NilVal, function.NewArgErrorf(0, "a list or tuple is required")
		}
		if !args[0].IsWhollyKnown() || args[0].IsNull() {
			return cty.UnknownVal(cty.Number), nil
		}
		for it := args[0].ElementIterator(); it.Next(); {
			i, e := it.Element()
			eq, err := stdlib.Equal(e, args[1])
			if err != nil {
				continue
			}
			if eq.IsKnown() && eq.True() {
				return i, nil
			}
		}
		return cty.NilVal, function.NewArgErrorf(1, "the value is not in the list")
	},
})

// setProductFunc is setproduct with a bound on the size of its result.
var setProductFunc = function.New(&function.Spec{
	Description: "Returns every combination of one element from each given set or list.",
	VarParam:    &function.Parameter{Name: "sets", Type: cty.DynamicPseudoType},
	Type: func(args []cty.Value) (cty.Type, error) {
		return stdlib.SetProductFunc.ReturnType(typesOf(args))
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		total := 1
		for _, a := range args {
			if a.IsNull() || !a.IsKnown() || !a.CanIterateElements() {
				break // setproduct reports it
			}
			total *= max(a.LengthInt(), 1)
			if total > maxSetProduct {
				return cty.NilVal, fmt.Errorf("the product has more than %d elements", maxSetProduct)
			}
		}
		return stdlib.SetProduct(args...)
	},
})

func typesOf(args []cty.Value) []cty.Type {
	out := make([]cty.Type, len(args))
	for i, a := range args {
		out[i] = a.Type()
	}
	return out
}

// fileReader serves file() and fileexists() for one parse: reads confined
// to dir, each file read once, the total bounded.
type fileReader struct {
	dir   string
	used  int64
	cache map[string]string
}

func (r *fileReader) fileFunc() function.Function {
	return function.New(&function.Spec{
		Description: "Returns the contents of the UTF-8 text file at path, relative to the job file's directory.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			s, err := r.read(args[0].AsString())
			if err != nil {
				return cty.NilVal, function.NewArgError(0, err)
			}
			return cty.StringVal(s), nil
		},
	})
}

func (r *fileReader) existsFunc() function.Function {
	return function.New(&function.Spec{
		Description: "Reports whether a regular file exists at path, relative to the job file's directory.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			root, rel, err := r.open(args[0].AsString())
			if err != nil {
				return cty.NilVal, function.NewArgError(0, err)
			}
			defer root.Close()
			fi, err := root.Stat(rel)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				return cty.False, nil
			case err != nil:
				return cty.NilVal, function.NewArgError(0, confined(err))
			}
			return cty.BoolVal(fi.Mode().IsRegular()), nil
		},
	})
}

// open checks path and opens the directory it must stay in. The caller
// closes the root.
func (r *fileReader) open(path string) (*os.Root, string, error) {
	if r.dir == "" {
		return nil, "", errors.New("file functions are available only for a job file read from disk (the source has no directory)")
	}
	if path == "" {
		return nil, "", errors.New("the path is empty")
	}
	if filepath.IsAbs(path) || strings.HasPrefix(path, "/") || filepath.VolumeName(path) != "" {
		return nil, "", fmt.Errorf("%q is absolute; paths are relative to the job file's directory", path)
	}
	for _, part := range strings.FieldsFunc(path, func(c rune) bool { return c == '/' || c == filepath.Separator }) {
		if part == ".." {
			return nil, "", fmt.Errorf("%q leaves the job file's directory (\"..\" is not allowed)", path)
		}
	}
	root, err := os.OpenRoot(r.dir)
	if err != nil {
		return nil, "", fmt.Errorf("open the job file's directory: %w", err)
	}
	return root, filepath.Clean(path), nil
}

// read returns the text of the file at path, below r.dir. os.Root refuses
// symbolic links that resolve outside the directory.
func (r *fileReader) read(path string) (string, error) {
	if s, ok := r.cache[path]; ok {
		return s, nil
	}
	root, rel, err := r.open(path)
	if err != nil {
		return "", err
	}
	defer root.Close()
	f, err := root.Open(rel)
	if err != nil {
		return "", confined(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%q is not a regular file", path)
	}
	if fi.Size() > MaxIncludedFileSize {
		return "", fmt.Errorf("%q is %d bytes; file() reads at most %d", path, fi.Size(), MaxIncludedFileSize)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxIncludedFileSize+1))
	if err != nil {
		return "", fmt.Errorf("read %q: %w", path, err)
	}
	if len(b) > MaxIncludedFileSize {
		return "", fmt.Errorf("%q is over %d bytes; file() reads at most that", path, MaxIncludedFileSize)
	}
	if r.used+int64(len(b)) > maxIncludedTotal {
		return "", fmt.Errorf("the files read by file() add up to more than %d bytes", maxIncludedTotal)
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("%q is not UTF-8 text", path)
	}
	r.used += int64(len(b))
	r.cache[path] = string(b)
	return string(b), nil
}

// confined words an error of os.Root: the paths it refuses are those that
// escape the job file's directory.
func confined(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "escapes") {
		return fmt.Errorf("%q leaves the job file's directory (through a symbolic link or \"..\")", pe.Path)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no file %q in the job file's directory", pathOf(err))
	}
	return err
}

func pathOf(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Path
	}
	return ""
}
