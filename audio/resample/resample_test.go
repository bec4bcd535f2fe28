package resample

import (
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"switchboard/audio"
	"switchboard/audio/tone"
)

var rates = []int{8000, 16000, 44100, 48000}

// readChunks reads ms milliseconds from src in 20 ms chunks.
func readChunks(t testing.TB, src audio.Source, ms int) []int16 {
	t.Helper()
	f := src.Format()
	chunk := make([]int16, f.SamplesPer(20))
	var out []int16
	for len(out) < f.SamplesPer(ms) {
		n, err := src.Read(chunk)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if n != len(chunk) {
			t.Fatalf("live source gave %d of %d samples", n, len(chunk))
		}
		out = append(out, chunk[:n]...)
	}
	return out
}

func level(s []int16) float64 { return audio.DBFS(audio.RMS(s)) }

func TestRoundTrip8k48k8kKeepsTone(t *testing.T) {
	in := tone.NewSine(audio.Mono8k, 1000, 0.5)
	up := NewSource(in, audio.Mono48k)
	down := NewSource(up, audio.Mono8k)
	got := readChunks(t, down, 1000)[audio.Mono8k.SamplesPer(100):] // skip warm-up
	hz, share := audio.DominantFrequency(got, 8000, 200, 3800, 10)
	if hz != 1000 || share < 0.99 {
		t.Fatalf("dominant %v Hz share %.3f, want 1000 Hz clean", hz, share)
	}
	want := level(readChunks(t, tone.NewSine(audio.Mono8k, 1000, 0.5), 500))
	if d := level(got) - want; math.Abs(d) > 1 {
		t.Fatalf("level changed by %.2f dB", d)
	}
}

func TestAllRatePairsKeepToneAndLevel(t *testing.T) {
	for _, from := range rates {
		for _, to := range rates {
			if from == to {
				continue
			}
			f, g := audio.Format{Rate: from, Channels: 1}, audio.Format{Rate: to, Channels: 1}
			for _, hz := range []float64{300, 1000, 3000} {
				got := readChunks(t, NewSource(tone.NewSine(f, hz, 0.5), g), 600)[g.SamplesPer(100):]
				found, share := audio.DominantFrequency(got, to, hz-200, hz+200, 10)
				if found != hz || share < 0.98 {
					t.Errorf("%d->%d: %v Hz came out as %v Hz share %.3f", from, to, hz, found, share)
				}
				// Full-scale-0.5 sine is -9.03 dBFS.
				if d := level(got) + 9.03; math.Abs(d) > 0.5 {
					t.Errorf("%d->%d: %v Hz level off by %.2f dB", from, to, hz, d)
				}
			}
		}
	}
}

// Tones above the output Nyquist frequency must be filtered out, not folded
// back: 6 kHz at 48 kHz would alias to 2 kHz at 8 kHz.
func TestDownsamplingRejectsAliases(t *testing.T) {
	for _, c := range []struct {
		from, to int
		hz       float64
	}{{48000, 8000, 6000}, {48000, 8000, 4500}, {44100, 8000, 5000}, {48000, 16000, 10000}, {44100, 16000, 9000}} {
		f, g := audio.Format{Rate: c.from, Channels: 1}, audio.Format{Rate: c.to, Channels: 1}
		got := readChunks(t, NewSource(tone.NewSine(f, c.hz, 0.5), g), 500)[g.SamplesPer(100):]
		alias := math.Abs(float64(c.to) - c.hz)
		att := 10 * math.Log10(0.25/max(audio.Goertzel(got, c.to, alias), 1e-20))
		t.Logf("%d->%d: %v Hz: alias %.1f dB down, output %.1f dBFS", c.from, c.to, c.hz, att, level(got))
		if att < 50 || level(got) > -9.03-50 {
			t.Errorf("%d->%d: %v Hz alias at %v Hz only %.1f dB down (level %.1f dBFS)", c.from, c.to, c.hz, alias, att, level(got))
		}
	}
}

// Chunk boundaries must be invisible: any split of the input gives exactly
// the output of one big call.
func TestChunkingIsSeamless(t *testing.T) {
	for _, c := range [][2]int{{8000, 48000}, {48000, 8000}, {44100, 48000}, {48000, 44100}, {16000, 8000}} {
		in := readChunks(t, tone.NewSine(audio.Format{Rate: c[0], Channels: 1}, 997, 0.7), 400)
		one, _ := New(c[0], c[1], 1)
		want := one.Process(nil, in)
		r, _ := New(c[0], c[1], 1)
		rng := rand.New(rand.NewPCG(1, 2))
		var got []int16
		for i := 0; i < len(in); {
			k := min(len(in)-i, rng.IntN(500))
			got = r.Process(got, in[i:i+k])
			i += k
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%v: chunked output differs (len %d vs %d)", c, len(got), len(want))
		}
		ratio := float64(len(want)) / float64(len(in))
		if math.Abs(ratio-float64(c[1])/float64(c[0])) > 0.01 {
			t.Fatalf("%v: output/input = %.4f", c, ratio)
		}
	}
}

func TestConstantStaysConstant(t *testing.T) {
	r, _ := New(44100, 48000, 1)
	in := make([]int16, 4410)
	for i := range in {
		in[i] = 10000
	}
	out := r.Process(nil, in)
	for i, v := range out[400:] {
		if v < 9999 || v > 10001 {
			t.Fatalf("out[%d] = %d, want 10000", 400+i, v)
		}
	}
}

func TestChannels(t *testing.T) {
	stereo48 := audio.Format{Rate: 48000, Channels: 2}
	// Stereo in with L=1 kHz and R silent downmixes to mono at half level.
	src := &funcSource{f: stereo48, gen: func(i int) (int16, int16) {
		return int16(16000 * math.Sin(2*math.Pi*1000*float64(i)/48000)), 0
	}}
	got := readChunks(t, NewSource(src, audio.Mono8k), 500)[800:]
	if d := level(got) - (-9.03 - 6.02); math.Abs(d) > 0.5 {
		t.Fatalf("downmix level off by %.2f dB", d)
	}
	// Mono 8k duplicated to stereo 48k: both channels equal.
	st := readChunks(t, NewSource(tone.NewSine(audio.Mono8k, 1000, 0.5), stereo48), 200)
	for i := 0; i < len(st); i += 2 {
		if st[i] != st[i+1] {
			t.Fatalf("frame %d: L %d != R %d", i/2, st[i], st[i+1])
		}
	}
	// Same rate, channel change only.
	same := readChunks(t, NewSource(tone.NewSine(audio.Mono48k, 1000, 0.5), stereo48), 20)
	if same[10] != same[11] || same[10] == 0 {
		t.Fatalf("mono->stereo at same rate: %v", same[10:12])
	}
}

func TestIdentityReturnsInput(t *testing.T) {
	s := tone.NewSine(audio.Mono8k, 1000, 0.5)
	if NewSource(s, audio.Mono8k) != audio.Source(s) {
		t.Fatal("NewSource wrapped a source already in the right format")
	}
	var d audio.Sink = audio.Discard{F: audio.Mono16k}
	if NewSink(d, audio.Mono16k) != d {
		t.Fatal("NewSink wrapped a sink already in the right format")
	}
}

func TestBadFormatGivesErrorNotPanic(t *testing.T) {
	s := NewSource(tone.NewSine(audio.Mono8k, 1000, 0.5), audio.Format{Rate: 0, Channels: 1})
	if _, err := s.Read(make([]int16, 10)); err == nil {
		t.Fatal("conversion to rate 0 did not fail")
	}
	if _, err := New(48000, 47999, 1); err == nil {
		t.Fatal("pathological ratio accepted")
	}
}

func TestSinkConverts(t *testing.T) {
	rec := &recorder{f: audio.Mono8k}
	sk := NewSink(rec, audio.Mono48k)
	if sk.Format() != audio.Mono48k {
		t.Fatal(sk.Format())
	}
	src := tone.NewSine(audio.Mono48k, 1000, 0.5)
	buf := make([]int16, 960)
	for i := 0; i < 50; i++ {
		src.Read(buf)
		if n, err := sk.Write(buf); n != 960 || err != nil {
			t.Fatalf("Write = %d %v", n, err)
		}
	}
	if len(rec.s) < 7900 || len(rec.s) > 8000 {
		t.Fatalf("1 s at 48k became %d samples at 8k", len(rec.s))
	}
	hz, share := audio.DominantFrequency(rec.s[800:], 8000, 200, 3800, 10)
	if hz != 1000 || share < 0.99 {
		t.Fatalf("sink output %v Hz share %.3f", hz, share)
	}
}

func TestFiniteSourceEnds(t *testing.T) {
	src := &funcSource{f: audio.Mono8k, limit: 8000, gen: func(int) (int16, int16) { return 1000, 0 }}
	up := NewSource(src, audio.Mono48k)
	buf := make([]int16, 960)
	total := 0
	for i := 0; ; i++ {
		n, err := up.Read(buf)
		total += n
		if err == io.EOF {
			break
		}
		if err != nil || i > 100 {
			t.Fatalf("Read: %v after %d reads", err, i)
		}
	}
	// 1 s in must give 1 s out (plus at most the flushed filter tail).
	if total < 48000 || total > 48000+48*10 {
		t.Fatalf("got %d samples, want about 48000", total)
	}
}

func TestProcessDoesNotAllocate(t *testing.T) {
	r, _ := New(48000, 8000, 1)
	in := make([]int16, 960)
	out := make([]int16, 0, r.MaxOut(len(in)))
	r.Process(out, in) // grow history once
	if a := testing.AllocsPerRun(50, func() { out = r.Process(out[:0], in) }); a != 0 {
		t.Fatalf("%v allocations per 20 ms chunk", a)
	}
}

// funcSource generates frames from gen; limit > 0 makes it finite.
type funcSource struct {
	f     audio.Format
	gen   func(i int) (int16, int16)
	i     int
	limit int
}

func (s *funcSource) Format() audio.Format { return s.f }

func (s *funcSource) Read(p []int16) (int, error) {
	n := 0
	for ; n+s.f.Channels <= len(p); n += s.f.Channels {
		if s.limit > 0 && s.i >= s.limit {
			break
		}
		l, r := s.gen(s.i)
		p[n] = l
		if s.f.Channels == 2 {
			p[n+1] = r
		}
		s.i++
	}
	if n == 0 && s.limit > 0 {
		return 0, io.EOF
	}
	return n, nil
}

type recorder struct {
	f audio.Format
	s []int16
}

func (r *recorder) Format() audio.Format { return r.f }
func (r *recorder) Write(p []int16) (int, error) {
	r.s = append(r.s, p...)
	return len(p), nil
}

func benchProcess(b *testing.B, from, to int) {
	r, _ := New(from, to, 1)
	in := readChunks(b, tone.NewSine(audio.Format{Rate: from, Channels: 1}, 1000, 0.5), 20)
	out := make([]int16, 0, r.MaxOut(len(in)))
	b.SetBytes(int64(2 * len(in)))
	for b.Loop() {
		out = r.Process(out[:0], in)
	}
}

// Each op converts one 20 ms mono chunk.
func BenchmarkProcess8kTo48k(b *testing.B)    { benchProcess(b, 8000, 48000) }
func BenchmarkProcess48kTo8k(b *testing.B)    { benchProcess(b, 48000, 8000) }
func BenchmarkProcess48kTo16k(b *testing.B)   { benchProcess(b, 48000, 16000) }
func BenchmarkProcess44100To48k(b *testing.B) { benchProcess(b, 44100, 48000) }
func BenchmarkProcess44100To8k(b *testing.B)  { benchProcess(b, 44100, 8000) }
