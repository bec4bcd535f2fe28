package mix_test

import (
	"context"
	"fmt"
	"testing"

	"switchboard/audio"
	"switchboard/audio/mix"
	"switchboard/audio/tone"
)

// loop is a Source repeating one precomputed frame, so the benchmark times
// the bridge rather than a sine generator.
type loop struct {
	f     audio.Format
	frame []int16
}

func (l loop) Format() audio.Format { return l.f }

func (l loop) Read(p []int16) (int, error) {
	for i := 0; i < len(p); i += len(l.frame) {
		copy(p[i:], l.frame)
	}
	return len(p), nil
}

// BenchmarkMix measures one 20 ms frame of a conference at 48 kHz mono: every
// leg writes its received frame, the bridge mixes, every leg reads its send
// frame. The microphone repeats a precomputed
// frame. ns/op is per frame (the budget is 20 ms); allocs/op must be 0.
func BenchmarkMix(b *testing.B) {
	for _, n := range []int{2, 3, 5} {
		b.Run(fmt.Sprintf("legs=%d", n), func(b *testing.B) {
			f := audio.Mono48k
			mic := loop{f: f, frame: make([]int16, f.SamplesPer(20))}
			tone.NewSine(f, micHz, level).Read(mic.frame)
			br, err := mix.New(context.Background(), f, mic, audio.Discard{F: f}, mix.WithManualClock())
			if err != nil {
				b.Fatal(err)
			}
			defer br.Close()
			srcs := make([]audio.Source, n)
			sinks := make([]audio.Sink, n)
			frames := make([][]int16, n)
			for i := range n {
				srcs[i], sinks[i], _ = br.Join(fmt.Sprint("leg", i))
				frames[i] = make([]int16, f.SamplesPer(20))
				tone.NewSine(f, 300+200*float64(i), level).Read(frames[i])
			}
			out := make([]int16, f.SamplesPer(20))
			b.ReportAllocs()
			b.SetBytes(int64(2 * len(out) * (n + 1)))
			for b.Loop() {
				for i := range n {
					sinks[i].Write(frames[i])
				}
				br.Step()
				for i := range n {
					srcs[i].Read(out)
				}
			}
			b.StopTimer()
			if s := br.Stats(); s.Legs[0].Underruns != 0 || s.Legs[0].Dropped != 0 {
				b.Fatalf("benchmark was not steady: %+v", s.Legs[0])
			}
		})
	}
}
