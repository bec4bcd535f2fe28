//go:build cgo && !nospeexdsp

package aec

import (
	"math/rand"
	"testing"

	"switchboard/audio"
	"switchboard/audio/tone"
)

// burst gates a source on and off (a talker's syllables and pauses).
type burst struct {
	src     audio.Source
	on, off int // samples
	n       int
}

func (b *burst) Format() audio.Format { return b.src.Format() }

func (b *burst) Read(p []int16) (int, error) {
	if _, err := b.src.Read(p); err != nil {
		return 0, err
	}
	for i := range p {
		if b.n%(b.on+b.off) >= b.on {
			p[i] = 0
		}
		b.n++
	}
	return len(p), nil
}

// TestDoubleTalkKeepsNearEnd: with everything on, a near-end talker who
// speaks while the far end talks comes through at (nearly) full level while
// the echo goes.
func TestDoubleTalkKeepsNearEnd(t *testing.T) {
	const rate = 16000
	f := audio.Mono16k
	c, err := New(rate, Options{Echo: true, Noise: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	near := &burst{src: tone.NewSine(f, 1000, 0.1), on: rate * 400 / 1000, off: rate * 300 / 1000}
	far := &speechLike{f: f, rnd: rand.New(rand.NewSource(9))}
	r := newRoom(f, 40, near, 0.0003)
	echo, nearIn, out := runRoom(t, c, far, r, 8)
	// Echo left in the pauses of the near-end talker (whole 20 ms frames
	// where the near end is silent) and the near-end tone while it plays
	// (the preprocessor's 10 ms lag is negligible over 400 ms bursts).
	var echoP, outP []int16
	for i := 0; i+320 <= len(out); i += 320 {
		if audio.RMS(nearIn[i:i+320]) == 0 {
			echoP, outP = append(echoP, echo[i:i+320]...), append(outP, out[i:i+320]...)
		}
	}
	erle := audio.DBFS(audio.RMS(echoP)) - audio.DBFS(audio.RMS(outP))
	nearDB := db(audio.Goertzel(out, rate, 1000)) - db(audio.Goertzel(nearIn, rate, 1000))
	t.Logf("double talk: near-end tone changed %.1f dB; echo in the near end's pauses reduced %.1f dB (%d ms measured)",
		nearDB, erle, len(echoP)*1000/rate)
	if nearDB < -3 || nearDB > 3 {
		t.Errorf("near-end talker changed by %.1f dB during double talk, want within 3", nearDB)
	}
	if len(echoP) == 0 || erle < 15 {
		t.Errorf("echo reduced by %.1f dB in the near end's pauses, want >= 15", erle)
	}
}
