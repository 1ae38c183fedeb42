package artifact

import (
	"archive/tar"
	"archive/zip"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	getter "github.com/hashicorp/go-getter"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// decompressors wraps go-getter's limited decompressors so that an archive
// is read through once before anything is written: an entry with an
// absolute path or a ".." element is refused (go-getter would quietly
// re-root the first), as is an archive whose declared sizes or entry count
// pass the limits. go-getter's own limits stay on as the second check.
//
// A single compressed file (.gz, .bz2, .xz, .zst) declares no size, and
// go-getter cuts it at its limit without an error; it is given one byte
// more than the limit, so that checkTree sees a file over the limit and
// refuses it instead of passing a truncated file.
func decompressors(l Limits) map[string]getter.Decompressor {
	inner := getter.LimitedDecompressors(l.DecompressionFileCountLimit, l.DecompressionSizeLimit)
	single := inner
	if l.DecompressionSizeLimit > 0 {
		single = getter.LimitedDecompressors(l.DecompressionFileCountLimit, l.DecompressionSizeLimit+1)
	}
	out := make(map[string]getter.Decompressor, len(inner))
	for ext, d := range inner {
		open := tarOpener(ext)
		if ext == "zip" {
			out[ext] = &scanning{inner: d, scan: func(src string) error { return scanZip(src, l) }}
			continue
		}
		if open == nil { // a single compressed file: no entry names
			out[ext] = single[ext]
			continue
		}
		out[ext] = &scanning{inner: d, scan: func(src string) error { return scanTar(src, open, l) }}
	}
	return out
}

// scanning runs scan on the archive before the inner decompressor.
type scanning struct {
	inner getter.Decompressor
	scan  func(src string) error
}

func (s *scanning) Decompress(dst, src string, dir bool, umask os.FileMode) error {
	if err := s.scan(src); err != nil {
		return err
	}
	return s.inner.Decompress(dst, src, dir, umask)
}

type opener func(io.Reader) (io.Reader, error)

func tarOpener(ext string) opener {
	switch ext {
	case "tar":
		return func(r io.Reader) (io.Reader, error) { return r, nil }
	case "tar.gz", "tgz":
		return func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }
	case "tar.bz2", "tbz2":
		return func(r io.Reader) (io.Reader, error) { return bzip2.NewReader(r), nil }
	case "tar.xz", "txz":
		return func(r io.Reader) (io.Reader, error) { return xz.NewReader(r) }
	case "tar.zst", "tzst":
		return func(r io.Reader) (io.Reader, error) {
			z, err := zstd.NewReader(r)
			if err != nil {
				return nil, err
			}
			return z.IOReadCloser(), nil
		}
	}
	return nil
}

// scanTar reads the tar headers (the stream is decompressed but nothing is
// written) and stops at the first entry that breaks a rule.
func scanTar(src string, open opener, l Limits) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := open(f)
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	tr := tar.NewReader(r)
	var count int
	var size int64
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader || hdr.Typeflag == tar.TypeXHeader {
			continue
		}
		if err := checkEntry(hdr.Name); err != nil {
			return err
		}
		switch hdr.Typeflag {
		case tar.TypeSymlink: // relative to the link's own directory
			if err := checkEntryLink(hdr.Name, path.Dir(hdr.Name), hdr.Linkname); err != nil {
				return err
			}
		case tar.TypeLink: // relative to the archive's root
			if err := checkEntryLink(hdr.Name, ".", hdr.Linkname); err != nil {
				return err
			}
		}
		count++
		size += hdr.Size
		if err := overLimits(count, size, l); err != nil {
			return err
		}
	}
}

// scanZip checks the names and declared sizes in the zip's directory.
func scanZip(src string, l Limits) error {
	zr, err := zip.OpenReader(src)
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	defer zr.Close()
	var size int64
	for i, f := range zr.File {
		if err := checkEntry(f.Name); err != nil {
			return err
		}
		size += int64(f.UncompressedSize64)
		if f.UncompressedSize64 > 1<<62 {
			return refusef("archive entry %q declares an impossible size", f.Name)
		}
		if err := overLimits(i+1, size, l); err != nil {
			return err
		}
	}
	return nil
}

func overLimits(count int, size int64, l Limits) error {
	if l.DecompressionFileCountLimit > 0 && count > l.DecompressionFileCountLimit {
		return refusef("archive holds more than %d entries (decompression_file_count_limit)", l.DecompressionFileCountLimit)
	}
	if l.DecompressionSizeLimit > 0 && size > l.DecompressionSizeLimit {
		return refusef("archive unpacks to more than %d bytes (decompression_size_limit)", l.DecompressionSizeLimit)
	}
	return nil
}

// checkEntry refuses an entry name that is absolute or steps up.
func checkEntry(name string) error {
	slashed := strings.ReplaceAll(name, `\`, "/")
	if strings.HasPrefix(slashed, "/") || filepath.IsAbs(name) || (len(slashed) > 1 && slashed[1] == ':') {
		return refusef("archive entry %q has an absolute path", name)
	}
	for _, part := range strings.Split(slashed, "/") {
		if part == ".." {
			return refusef("archive entry %q leads out of the destination (..)", name)
		}
	}
	return nil
}

// checkEntryLink refuses a link entry whose target is absolute or, taken
// from dir (slash-separated, inside the archive), steps above the
// archive's root.
func checkEntryLink(name, dir, target string) error {
	slashed := strings.ReplaceAll(target, `\`, "/")
	if strings.HasPrefix(slashed, "/") || filepath.IsAbs(target) {
		return refusef("archive entry %q links to the absolute path %q", name, target)
	}
	resolved := path.Clean(path.Join(dir, slashed))
	if resolved == ".." || strings.HasPrefix(resolved, "../") {
		return refusef("archive entry %q links to %q, out of the destination", name, target)
	}
	return nil
}
