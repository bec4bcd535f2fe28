package cli_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

	d := drive(t, ctx, ours)
	next, send := d.next, d.send

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
	d.quit()
}
