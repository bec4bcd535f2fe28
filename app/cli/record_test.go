package cli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/app/cli"
	"switchboard/audio"
	"switchboard/audio/record"
	"switchboard/audio/tone"
	"switchboard/audio/wavfile"
	"switchboard/phone"
	"switchboard/phone/sip"
)

// TestRecordCommands: "record on" and "record off" during a call print
// "recording" events with the file's path, and the file is a stereo WAV.
func TestRecordCommands(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sig, err := sip.New(ctx, sip.Config{Listen: "127.0.0.1:0", DirectIP: true})
	if err != nil {
		t.Fatal(err)
	}
	ours := phone.New(phone.Config{Signaler: sig, Audio: pair{tone.NewSine(audio.Mono8k, 440, 0.5)},
		RecordDir: dir, OpenRecorder: func(p string) (phone.Recorder, error) { return record.Create(p) }})
	coreDone := make(chan struct{})
	go func() { _ = ours.Run(ctx); close(coreDone) }()
	defer func() { cancel(); <-coreDone }()
	_, peerAddr := startCore(t, true)

	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- cli.Run(ctx, ours, nil, "", inR, cli.NewWriter(outW), nil); outW.Close() }()
	lines := bufio.NewScanner(outR)
	next := func(kind string) map[string]any {
		t.Helper()
		for lines.Scan() {
			var m map[string]any
			if err := json.Unmarshal(lines.Bytes(), &m); err != nil {
				t.Fatalf("not JSON: %q", lines.Text())
			}
			if m["event"] == kind {
				return m
			}
		}
		t.Fatalf("stdout ended before %q", kind)
		return nil
	}
	send := func(s string) {
		if _, err := io.WriteString(inW, s+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	send("dial sip:bob@" + peerAddr)
	ans := next("answered")
	send("record sideways")
	if m := next("error"); !strings.Contains(m["message"].(string), "record on|off") {
		t.Fatalf("bad record command: %v", m)
	}
	send("record on " + ans["call"].(string))
	on := next("recording")
	path, _ := on["path"].(string)
	if on["recording"] != true || filepath.Dir(path) != dir || on["call"] != ans["call"] {
		t.Fatalf("record on: %v", on)
	}
	time.Sleep(500 * time.Millisecond) // some call audio to record
	send("record off")
	off := next("recording")
	if off["recording"] != false || off["path"] != path {
		t.Fatalf("record off: %v", off)
	}
	s, f, err := wavfile.ReadAll(path)
	if err != nil || f.Channels != 2 || len(s) == 0 {
		t.Fatalf("recording %s: %+v, %d samples, %v", path, f, len(s), err)
	}
	send("output default")
	if m := next("error"); !strings.Contains(m["message"].(string), "cannot switch") {
		t.Fatalf("output on a WAV/tone audio: %v", m)
	}
	send("quit")
	go func() { _, _ = io.Copy(io.Discard, outR) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("quit returned %v", err)
		}
	case <-ctx.Done():
		t.Fatal("quit did not return")
	}
}
