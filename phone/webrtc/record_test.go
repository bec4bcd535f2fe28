package webrtc_test

import (
	"testing"

	"switchboard/audio"
	"switchboard/audio/record"
	"switchboard/audio/wavfile"
	"switchboard/internal/testpeer"
	"switchboard/phone"
)

// TestRecordWebRTCCall: a WebRTC call with baresip is recorded through the
// same Tap/record path as plain SIP: our tone left, baresip's right.
func TestRecordWebRTCCall(t *testing.T) {
	skipShort(t)
	k := gateway(t)
	testpeer.StartBaresip(t, testpeer.BaresipOptions{User: "bob", Password: "bob-secret", Kamailio: k,
		ToneHz: peerTone, Codecs: []string{"PCMU"}, AnswerMode: "auto"})
	dir := t.TempDir()
	c := newCore(t, ourTone, func(p *phone.Config) {
		p.RecordDir = dir
		p.OpenRecorder = func(path string) (phone.Recorder, error) { return record.Create(path) }
	})
	if err := c.SetAccount(wsAccount(k, phone.WS), "alice-secret"); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvRegistered, phone.EvRegFailed)
	if _, err := c.Dial("alice-ws", "bob"); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvAnswered, phone.EvEnded)
	hears(t, "Switchboard", c.rec.waitSamples(t, c.rec.Len()+2400, 4000), peerTone)
	if err := c.Record("", true); err != nil {
		t.Fatal(err)
	}
	start := c.wait(t, phone.EvRecording, phone.EvEnded)
	c.rec.waitSamples(t, c.rec.Len(), 12000) // 1.5 s of call
	if err := c.Record("", false); err != nil {
		t.Fatal(err)
	}
	stop := c.wait(t, phone.EvRecording, phone.EvEnded)
	if stop.Path != start.Path || stop.Message != "" {
		t.Fatalf("stop: path %q message %q", stop.Path, stop.Message)
	}
	s, f, err := wavfile.ReadAll(stop.Path)
	if err != nil {
		t.Fatal(err)
	}
	frames := len(s) / 2
	if f.Channels != 2 || float64(frames)/float64(f.Rate) < 1.2 {
		t.Fatalf("format %+v, %d frames", f, frames)
	}
	left, right := make([]int16, 0, frames), make([]int16, 0, frames)
	for i := frames / 5; i < frames; i++ {
		left, right = append(left, s[2*i]), append(right, s[2*i+1])
	}
	for _, ch := range []struct {
		who     string
		samples []int16
		hz      float64
	}{{"left (us)", left, ourTone}, {"right (baresip)", right, peerTone}} {
		got, share := audio.DominantFrequency(ch.samples, f.Rate, 100, 3900, 10)
		level := audio.DBFS(audio.RMS(ch.samples))
		if got < ch.hz-20 || got > ch.hz+20 || share < 0.5 || level < -40 {
			t.Fatalf("%s: %.0f Hz (share %.2f, %.1f dBFS), want %.0f Hz", ch.who, got, share, level, ch.hz)
		}
		t.Logf("%s: %.0f Hz at %.1f dBFS", ch.who, got, level)
	}
	if err := c.Hangup(""); err != nil {
		t.Fatal(err)
	}
	c.wait(t, phone.EvEnded)
}
