//go:build cgo && !nospeexdsp

package aec

import (
	"math/rand"
	"testing"

	"switchboard/audio"
)

// TestEchoCancelledWithJitteryLoops runs the playout and send loops with
// realistic scheduling jitter: each 20 ms tick the far-end frame is written
// before or after the mic is read, and now and then a write slips to the
// next tick (two frames at once). The room's speaker queue behaves like the
// device ring: a late frame plays late, after silence.
func TestEchoCancelledWithJitteryLoops(t *testing.T) {
	const rate = 16000
	f := audio.Mono16k
	c, err := New(rate, Options{Echo: true, Noise: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	far := &speechLike{f: f, rnd: rand.New(rand.NewSource(4))}
	r := newRoom(f, 50, nil, 0.0003)
	src, spk := Wrap(r, r, c)
	rnd := rand.New(rand.NewSource(5))
	fb, ob := make([]int16, 320), make([]int16, 320)
	var echo, out []int16
	owed := 0
	write := func() {
		for ; owed > 0; owed-- {
			far.Read(fb)
			spk.Write(fb)
		}
	}
	const frames = 500 // 10 s
	for i := 0; i < frames; i++ {
		owed++
		x := rnd.Float64()
		skip := x < 0.05       // the playout loop misses this tick
		writeFirst := x >= 0.5 // otherwise the mic is read first
		if writeFirst {
			write()
		}
		if _, err := src.Read(ob); err != nil {
			t.Fatal(err)
		}
		if !writeFirst && !skip {
			write()
		}
		if i >= frames-100 {
			echo = append(echo, r.lastEcho...)
			out = append(out, ob...)
		}
	}
	erle := db(sq(audio.RMS(echo))) - db(sq(audio.RMS(out)))
	t.Logf("jittery loops, speech-like far end, 50 ms echo: ERLE %.1f dB over the last 2 s", erle)
	if erle < 15 {
		t.Errorf("echo reduced by %.1f dB, want >= 15", erle)
	}
}
