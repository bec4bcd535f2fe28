//go:build cgo && !nospeexdsp

package aec

import (
	"math"
	"math/rand"
	"testing"

	"switchboard/audio"
)

// TestAGCOnlyWhenAsked feeds a quiet talker (about -49 dBFS): with AGC off
// (the default) its level is kept, with AGC on speexdsp brings it up.
func TestAGCOnlyWhenAsked(t *testing.T) {
	for _, agc := range []bool{false, true} {
		c, err := New(16000, Options{Noise: true, AGC: agc})
		if err != nil {
			t.Fatal(err)
		}
		sp := &speechLike{f: audio.Mono16k, rnd: rand.New(rand.NewSource(7))}
		b := make([]int16, 320)
		var in, out []int16
		for i := 0; i < 400; i++ { // 8 s
			sp.Read(b)
			for j := range b {
				b[j] /= 30
			}
			if i >= 300 {
				in = append(in, b...)
			}
			if err := c.Process(b); err != nil {
				t.Fatal(err)
			}
			if i >= 300 {
				out = append(out, b...)
			}
		}
		c.Close()
		gain := audio.DBFS(audio.RMS(out)) - audio.DBFS(audio.RMS(in))
		t.Logf("AGC %v: quiet talker %.1f dBFS, gain %.1f dB", agc, audio.DBFS(audio.RMS(in)), gain)
		if !agc && math.Abs(gain) > 2 {
			t.Errorf("AGC off changed the level by %.1f dB", gain)
		}
		if agc && gain < 10 {
			t.Errorf("AGC on raised a quiet talker by only %.1f dB", gain)
		}
	}
}
