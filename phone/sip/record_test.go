package sip_test

import (
	"path/filepath"
	"regexp"
	"testing"

	"switchboard/audio"
	"switchboard/audio/record"
	"switchboard/audio/wavfile"
	"switchboard/phone"
	"switchboard/phone/sip"
)

// withRecorder lets a core record calls into dir.
func withRecorder(dir string) func(*sip.Config, *phone.Config) {
	return func(_ *sip.Config, p *phone.Config) {
		p.RecordDir = dir
		p.OpenRecorder = func(path string) (phone.Recorder, error) { return record.Create(path) }
	}
}

// TestRecordCall: A calls B directly (tones 700 and 1300 Hz), starts
// recording mid-call, stops it, and the stereo WAV has A's tone on the
// left and B's on the right.
func TestRecordCall(t *testing.T) {
	dir := t.TempDir()
	a := newCore(t, 700, withRecorder(dir))
	b := newCore(t, 1300, func(_ *sip.Config, p *phone.Config) { p.AutoAnswer = true })
	if _, err := a.Dial("", "sip:bob@"+b.sig.Listen()[len("sip:"):]); err != nil {
		t.Fatal(err)
	}
	a.wait(t, phone.EvAnswered, phone.EvEnded)
	hears(t, "A", a.rec.waitSamples(t, a.rec.Len()+2400, 4000), 1300)

	if err := a.Record("", true); err != nil {
		t.Fatal(err)
	}
	start := a.wait(t, phone.EvRecording, phone.EvEnded)
	if !start.Call.Recording || start.Path == "" {
		t.Fatalf("start event: recording=%v path=%q", start.Call.Recording, start.Path)
	}
	if snap := a.Snapshot(); len(snap.Calls) != 1 || !snap.Calls[0].Recording {
		t.Fatalf("snapshot does not show the recording: %+v", snap.Calls)
	}
	name := filepath.Base(start.Path)
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\d_\d{4}_out_bob-127\.0\.0\.1_\d+\.wav$`).MatchString(name) {
		t.Fatalf("file name %q", name)
	}
	a.rec.waitSamples(t, a.rec.Len(), 12000) // 1.5 s of call
	if err := a.Record("", false); err != nil {
		t.Fatal(err)
	}
	stop := a.wait(t, phone.EvRecording, phone.EvEnded)
	if stop.Call.Recording || stop.Path != start.Path || stop.Message != "" {
		t.Fatalf("stop event: recording=%v path=%q message=%q", stop.Call.Recording, stop.Path, stop.Message)
	}

	s, f, err := wavfile.ReadAll(stop.Path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Channels != 2 {
		t.Fatalf("format %+v, want stereo", f)
	}
	frames := len(s) / 2
	if secs := float64(frames) / float64(f.Rate); secs < 1.2 || secs > 3 {
		t.Fatalf("%.2f s recorded, want about 1.5", secs)
	}
	left, right := make([]int16, 0, frames), make([]int16, 0, frames)
	for i := frames / 5; i < frames; i++ { // skip the jitter buffer's start
		left, right = append(left, s[2*i]), append(right, s[2*i+1])
	}
	channel(t, "left (A)", left, f.Rate, 700)
	channel(t, "right (B)", right, f.Rate, 1300)

	// The call goes on, and recording can start again.
	if err := a.Record("", true); err != nil {
		t.Fatal(err)
	}
	again := a.wait(t, phone.EvRecording, phone.EvEnded)
	if again.Path == start.Path {
		t.Fatalf("second recording reuses %s", again.Path)
	}
	if err := b.Hangup(""); err != nil {
		t.Fatal(err)
	}
	a.wait(t, phone.EvEnded)
	if ev := a.wait(t, phone.EvRecording); ev.Call.Recording || ev.Path != again.Path {
		t.Fatalf("call end did not finish the recording: %+v", ev)
	}
	if _, _, err := wavfile.ReadAll(again.Path); err != nil {
		t.Fatal(err)
	}
}

func channel(t *testing.T, who string, s []int16, rate int, hz float64) {
	t.Helper()
	got, share := audio.DominantFrequency(s, rate, 100, 3900, 10)
	level := audio.DBFS(audio.RMS(s))
	if got < hz-20 || got > hz+20 || share < 0.5 || level < -40 {
		t.Fatalf("%s: %.0f Hz (share %.2f, %.1f dBFS), want %.0f Hz", who, got, share, level, hz)
	}
	t.Logf("%s: %.0f Hz at %.1f dBFS (share %.2f)", who, got, level, share)
}
