package cli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"testing"

	"switchboard/app/cli"
)

// driver runs cli.Run on a core and talks to it through its stdin and
// stdout, as a script would.
type driver struct {
	t     *testing.T
	ctx   context.Context
	in    *io.PipeWriter
	out   *io.PipeReader
	lines *bufio.Scanner
	done  chan error
}

func drive(t *testing.T, ctx context.Context, core cli.Core) *driver {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	d := &driver{t: t, ctx: ctx, in: inW, out: outR, lines: bufio.NewScanner(outR), done: make(chan error, 1)}
	go func() { d.done <- cli.Run(ctx, core, nil, "", inR, cli.NewWriter(outW), nil); outW.Close() }()
	return d
}

// send writes one command line.
func (d *driver) send(s string) {
	d.t.Helper()
	if _, err := io.WriteString(d.in, s+"\n"); err != nil {
		d.t.Fatal(err)
	}
}

// next returns the next event of kind (or of any of kinds), skipping others.
func (d *driver) next(kind string, more ...string) map[string]any {
	d.t.Helper()
	for d.lines.Scan() {
		var m map[string]any
		if err := json.Unmarshal(d.lines.Bytes(), &m); err != nil {
			d.t.Fatalf("not JSON: %q", d.lines.Text())
		}
		if m["event"] == kind {
			return m
		}
		for _, k := range more {
			if m["event"] == k {
				return m
			}
		}
		d.t.Logf("(skipped) %s", d.lines.Text())
	}
	d.t.Fatalf("stdout ended before %q", kind)
	return nil
}

// quit sends quit and checks that Run returns nil in time.
func (d *driver) quit() {
	d.t.Helper()
	d.send("quit")
	go func() { _, _ = io.Copy(io.Discard, d.out) }()
	select {
	case err := <-d.done:
		if err != nil {
			d.t.Fatalf("quit returned %v", err)
		}
	case <-d.ctx.Done():
		d.t.Fatal("quit did not return")
	}
}
