package logfile

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRotationUnderLoad runs a writer producing lots of data while the
// rotator runs and a follow reader reads: disk use must stay bounded, the
// reader must see lines in order, and fragments lost to the copy-and-truncate
// window must be rare (at most one damaged line per rotation).
func TestRotationUnderLoad(t *testing.T) {
	const (
		maxFiles = 3
		maxBytes = 64 << 10
		total    = 4 << 20 // written in all: far above the bound
		bound    = 4 << 20 // generous: maxFiles*maxBytes plus growth between checks
	)
	dir := t.TempDir()
	live := filepath.Join(dir, "web.stdout")
	w, err := OpenAppend(live)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rotCtx, stopRot := context.WithCancel(ctx)
	rot := NewRotator(live, maxFiles, maxBytes, nil)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); rot.Run(rotCtx, time.Millisecond) }()

	var maxSeen atomic.Int64
	go func() { // disk use sampler
		defer wg.Done()
		for rotCtx.Err() == nil {
			maxSeen.Store(max(maxSeen.Load(), dirSize(dir)))
			time.Sleep(time.Millisecond) // sampling period, not synchronisation
		}
	}()

	r, err := NewFollowReader(ctx, dir, "web", "stdout", "start", 0, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	type result struct {
		good, bad, outOfOrder int
		sawEnd                bool
	}
	res := make(chan result, 1)
	go func() {
		var out result
		last := -1
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if line == "END" {
				out.sawEnd = true
				break
			}
			n, ok := parseLine(line)
			if !ok {
				out.bad++
				continue
			}
			if n <= last {
				out.outOfOrder++
			}
			last = n
			out.good++
		}
		res <- out
	}()

	// Writer: batches of numbered lines, each line "n:n" so damage shows.
	written, lines := 0, 0
	buf := make([]byte, 0, 200*18)
	for written < total {
		buf = buf[:0]
		for range 200 {
			buf = appendLine(buf, lines)
			lines++
		}
		n, err := w.Write(buf)
		if err != nil {
			t.Fatal(err)
		}
		written += n
		// Pace the writer a little so that, on a loaded machine, the
		// rotator's ticks still come between batches (rate limit, not
		// synchronisation).
		time.Sleep(100 * time.Microsecond)
	}
	stopRot()
	wg.Wait()
	if _, err := w.WriteString("END\n"); err != nil {
		t.Fatal(err)
	}

	var out result
	select {
	case out = <-res:
	case <-time.After(20 * time.Second):
		t.Fatal("reader did not reach END")
	}
	rotations := 0
	if rs, _ := listRotated(live); len(rs) > 0 {
		rotations = rs[len(rs)-1].n + 1
	}
	t.Logf("wrote %d lines (%d bytes); reader: %d good, %d damaged; %d rotations; max disk %d",
		lines, written, out.good, out.bad, rotations, maxSeen.Load())
	if rotations < 10 {
		t.Fatalf("only %d rotations: the test did not exercise rotation", rotations)
	}
	if got := maxSeen.Load(); got > bound {
		t.Fatalf("disk use reached %d bytes, bound %d", got, bound)
	}
	if !out.sawEnd {
		t.Fatal("reader stopped before END")
	}
	if out.outOfOrder != 0 {
		t.Fatalf("%d lines out of order", out.outOfOrder)
	}
	if out.bad > rotations {
		t.Fatalf("%d damaged lines for %d rotations", out.bad, rotations)
	}
	if out.good == 0 {
		t.Fatal("reader saw no lines")
	}
}

// appendLine appends "nnnnnnnn:nnnnnnnn\n" (cheaper than Sprintf under -race).
func appendLine(b []byte, n int) []byte {
	num := strconv.AppendInt(make([]byte, 0, 8), int64(n), 10)
	for range 8 - len(num) {
		b = append(b, '0')
	}
	b = append(b, num...)
	b = append(b, ':')
	b = append(b, b[len(b)-9:len(b)-1]...)
	return append(b, '\n')
}

func parseLine(s string) (int, bool) {
	a, b, ok := strings.Cut(s, ":")
	if !ok || a != b || len(a) != 8 {
		return 0, false
	}
	n, err := strconv.Atoi(a)
	return n, err == nil
}

func dirSize(dir string) int64 {
	entries, _ := os.ReadDir(dir)
	var n int64
	for _, e := range entries {
		if fi, err := e.Info(); err == nil {
			n += fi.Size()
		}
	}
	return n
}
