package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/api"
)

func allocFSCommand() *command {
	return &command{
		name:     "alloc fs",
		args:     "[options] <alloc> [path]",
		synopsis: "List or read files of an allocation's directory",
		help: `Lists the directory at path of an allocation's directory (an ID, or a unique prefix of one; path "/" or left out is the allocation directory itself), or prints the file at path. The allocation directory holds alloc/ (shared by the group's tasks: data, logs, tmp) and one directory per task (local, secrets, tmp). Symlinks are shown as links and followed only while they stay inside the allocation directory; files in a task's secrets/ are listed but never printed.

With -stat, describes path instead. With -f, keeps printing what is appended to the file until Ctrl-C. With -tail, prints only the end of the file: the last 10 lines, the last -n lines, or the last -c bytes.`,
		example: `drover alloc fs cb3116cf
drover alloc fs cb31 alloc/logs
drover alloc fs -stat cb31 web/local/config.json
drover alloc fs -tail -n 20 cb31 alloc/logs/web.stdout
drover alloc fs -f cb31 alloc/data/progress.txt`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			stat := fs.Bool("stat", false, "Describe the file or directory at path instead of printing or listing it.")
			follow := fs.Bool("f", false, "Follow the file: keep printing what is appended until Ctrl-C.")
			tail := fs.Bool("tail", false, "Print only the end of the file: the last -n lines (10) or the last -c bytes.")
			lines := fs.Int("n", 10, "The number of `lines` -tail prints; setting it implies -tail.")
			bytesN := fs.Int64("c", 0, "The number of `bytes` -tail prints, instead of lines; setting it implies -tail.")
			exact := fs.Bool("H", false, "Print sizes as exact byte counts instead of KiB, MiB, GiB.")
			asJSON := fs.Bool("json", false, "Print a listing or -stat as JSON.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) < 1 || len(args) > 2 {
					return usagef("alloc fs takes the allocation ID and, optionally, a path in its directory")
				}
				set := map[string]bool{}
				fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
				if *lines < 0 || *bytesN < 0 {
					return usagef("-n and -c must not be negative")
				}
				if set["n"] && set["c"] {
					return usagef("-n and -c are exclusive: tail by lines or by bytes")
				}
				opts := fsOpts{stat: *stat, follow: *follow, lines: -1, bytes: -1, exact: *exact, json: *asJSON}
				switch {
				case set["c"]:
					opts.bytes = *bytesN
				case *tail || set["n"]:
					opts.lines = *lines
				}
				return allocFS(ctx, env, af, args, opts)
			}
		},
	}
}

// fsOpts are the options of alloc fs; lines and bytes < 0 print the whole
// file.
type fsOpts struct {
	stat, follow, exact, json bool
	lines                     int
	bytes                     int64
}

// fsTarget reaches the agent that serves an allocation's files: the one at
// -address, or, when that one answers that the allocation runs elsewhere,
// the agent of the allocation's node (as alloc logs does).
type fsTarget struct {
	af     *apiFlags
	c      *api.Client
	nodeID string
	moved  bool
}

func (t *fsTarget) call(do func(*api.AllocFS) error) error {
	err := do(t.c.AllocFS())
	if !errors.Is(err, drover.ErrNotSupported) || t.moved || t.nodeID == "" {
		return err
	}
	nc, nerr := nodeClient(t.af, t.c, t.nodeID)
	if nerr != nil {
		return fmt.Errorf("%w; reaching the allocation's node instead: %w", err, nerr)
	}
	t.c, t.moved = nc, true
	return do(nc.AllocFS())
}

func allocFS(ctx context.Context, env *Env, af *apiFlags, args []string, opts fsOpts) error {
	c, err := af.client()
	if err != nil {
		return err
	}
	id, err := resolveAlloc(c, clock(ctx)(), args[0])
	if err != nil {
		return err
	}
	alloc, _, err := c.Allocations().Info(id, nil)
	if err != nil {
		return fmt.Errorf("reading allocation %q: %w", id, err)
	}
	path := "/"
	if len(args) == 2 {
		path = args[1]
	}
	t := &fsTarget{af: af, c: c, nodeID: alloc.NodeID}
	fail := func(err error) error {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("reading %q in allocation %q: %w", path, short(id), err)
	}
	var info *drover.AllocFileInfo
	if err := t.call(func(fs *api.AllocFS) (err error) { info, err = fs.Stat(ctx, id, path); return err }); err != nil {
		return fail(err)
	}
	if opts.stat {
		if opts.json {
			return writeJSON(env.Stdout, info)
		}
		writeFileTable(env.Stdout, []*drover.AllocFileInfo{info}, opts.exact)
		return nil
	}
	if info.IsDir || strings.HasPrefix(info.FileMode, "L") {
		var list []*drover.AllocFileInfo
		err := t.call(func(fs *api.AllocFS) (err error) { list, err = fs.List(ctx, id, path); return err })
		switch {
		case err == nil:
			if opts.json {
				return writeJSON(env.Stdout, list)
			}
			writeFileTable(env.Stdout, list, opts.exact)
			return nil
		case info.IsDir || !errors.Is(err, drover.ErrInvalid):
			return fail(err)
		}
		// A link that is not a directory: print what it leads to.
	}
	if err := printFile(ctx, env, t, id, path, opts); err != nil {
		return fail(err)
	}
	return nil
}

// printFile copies the file to stdout: whole, its tail, or followed.
func printFile(ctx context.Context, env *Env, t *fsTarget, id, path string, opts fsOpts) error {
	origin, offset := "start", int64(0)
	switch {
	case opts.bytes >= 0:
		origin, offset = "end", opts.bytes
	case opts.lines >= 0:
		origin, offset = "end", int64(opts.lines+1)*tailBytesPerLine
	}
	var rc io.ReadCloser
	err := t.call(func(fs *api.AllocFS) (err error) {
		if !opts.follow && origin == "start" {
			rc, err = fs.Cat(ctx, id, path)
		} else {
			rc, err = fs.Stream(ctx, id, path, origin, offset, opts.follow)
		}
		return err
	})
	if err != nil {
		return err
	}
	defer rc.Close()
	var src io.Reader = rc
	switch {
	case opts.lines >= 0 && !opts.follow:
		b, err := io.ReadAll(rc)
		if err != nil {
			return err
		}
		src = bytes.NewReader(lastLines(b, opts.lines))
	case opts.lines >= 0:
		src = &tailReader{r: rc, lines: opts.lines}
	}
	if _, err := io.Copy(env.Stdout, src); err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// writeFileTable prints files as alloc fs lists them; directories get a
// trailing "/".
func writeFileTable(w io.Writer, files []*drover.AllocFileInfo, exact bool) {
	rows := make([][]string, 0, len(files))
	for _, f := range files {
		name := f.Name
		if f.IsDir && name != "/" {
			name += "/"
		}
		size := formatBytes(uint64(max(f.Size, 0)))
		if exact {
			size = strconv.FormatInt(f.Size, 10)
		}
		rows = append(rows, []string{f.FileMode, size, formatTime(f.ModTime), name})
	}
	writeTable(w, []string{"Mode", "Size", "Modified Time", "Name"}, rows)
}
