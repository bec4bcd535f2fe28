//go:build cgo && !nospeexdsp

package aec

import (
	"math"
	"math/rand"
	"sync"
	"testing"
	"time"

	"switchboard/audio"
	"switchboard/audio/tone"
)

// room simulates a speakerphone: what is played (the far end) comes back to
// the microphone delayed, attenuated and coloured, mixed with the near-end
// talker and a little noise. It is an audio.Sink (the speaker) and an
// audio.Source (the microphone); the test alternates Write and Read.
type room struct {
	f        audio.Format
	delay    []float64 // echo delay line (circular)
	pos      int       // where the next far-end sample goes in delay
	bulk     int       // bulk delay in samples
	taps     []float64 // echo impulse response (after the bulk delay)
	near     audio.Source
	noise    float64 // RMS of added white noise, 0..1
	rnd      *rand.Rand
	lastEcho []int16 // echo part of the last Read, for measuring
	lastNear []int16 // near part of the last Read
	pending  []int16 // far-end samples written but not yet echoed
}

func newRoom(f audio.Format, delayMs int, near audio.Source, noise float64) *room {
	d := f.Rate * delayMs / 1000
	// Bulk delay, then a short low-passing response with one reflection
	// 12 ms later: loudspeaker to mic at about -8 dB.
	taps := make([]float64, f.Rate*15/1000)
	taps[0], taps[1], taps[2] = 0.25, 0.12, 0.05
	taps[len(taps)-1] = 0.08
	return &room{
		f: f, delay: make([]float64, d+len(taps)), taps: taps, bulk: d,
		near: near, noise: noise, rnd: rand.New(rand.NewSource(1)),
	}
}

func (r *room) Format() audio.Format { return r.f }

func (r *room) Write(p []int16) (int, error) {
	r.pending = append(r.pending, p...)
	return len(p), nil
}

func (r *room) Read(p []int16) (int, error) {
	r.lastEcho = grow(r.lastEcho, len(p))
	r.lastNear = grow(r.lastNear, len(p))
	if r.near != nil {
		if _, err := r.near.Read(r.lastNear); err != nil {
			return 0, err
		}
	} else {
		clear(r.lastNear)
	}
	for i := range p {
		var x float64
		if len(r.pending) > 0 {
			x = float64(r.pending[0])
			r.pending = r.pending[1:]
		}
		L := len(r.delay)
		r.delay[r.pos] = x
		var e float64
		for j, h := range r.taps {
			if h != 0 {
				e += h * r.delay[((r.pos-r.bulk-j)%L+L)%L]
			}
		}
		r.pos = (r.pos + 1) % L
		r.lastEcho[i] = clamp(e)
		v := e + float64(r.lastNear[i]) + r.rnd.NormFloat64()*r.noise*32768
		p[i] = clamp(v)
	}
	return len(p), nil
}

func grow(s []int16, n int) []int16 {
	if cap(s) < n {
		return make([]int16, n)
	}
	return s[:n]
}

func clamp(v float64) int16 {
	return int16(max(-32768, min(32767, math.Round(v))))
}

func db(p float64) float64 { return 10 * math.Log10(max(p, 1e-20)) }

// runRoom plays far through the wrapped speaker and reads the wrapped mic
// for secs seconds in 20 ms frames; it returns the last second of the
// echo alone, the near talker alone and the processed mic.
func runRoom(t *testing.T, c *Canceller, far audio.Source, r *room, secs int) (echo, near, out []int16) {
	t.Helper()
	src, spk := Wrap(r, r, c)
	n := c.Format().SamplesPer(20)
	fb := make([]int16, n)
	ob := make([]int16, n)
	frames := secs * 50
	for i := 0; i < frames; i++ {
		if _, err := far.Read(fb); err != nil {
			t.Fatal(err)
		}
		if _, err := spk.Write(fb); err != nil {
			t.Fatal(err)
		}
		if _, err := src.Read(ob); err != nil {
			t.Fatal(err)
		}
		if i >= frames-50 {
			echo = append(echo, r.lastEcho...)
			near = append(near, r.lastNear...)
			out = append(out, ob...)
		}
	}
	return
}

func TestEchoCancelledNearEndKept(t *testing.T) {
	for _, rate := range []int{8000, 16000, 48000} {
		for _, delay := range []int{30, 60} {
			f := audio.Format{Rate: rate, Channels: 1}
			c, err := New(rate, Options{Echo: true})
			if err != nil {
				t.Fatal(err)
			}
			far := tone.NewSine(f, 440, 0.5)
			r := newRoom(f, delay, tone.NewSine(f, 1000, 0.1), 0.0003)
			echo, near, out := runRoom(t, c, far, r, 6)
			c.Close()

			erle := db(audio.Goertzel(echo, rate, 440)) - db(audio.Goertzel(out, rate, 440))
			nearIn := db(audio.Goertzel(near, rate, 1000))
			nearOut := db(audio.Goertzel(out, rate, 1000))
			t.Logf("%d Hz, echo delay %d ms: ERLE at 440 Hz %.1f dB; near 1000 Hz %.1f dB -> %.1f dB",
				rate, delay, erle, nearIn, nearOut)
			if erle < 15 {
				t.Errorf("%d Hz, delay %d ms: echo reduced by %.1f dB, want >= 15", rate, delay, erle)
			}
			if math.Abs(nearOut-nearIn) > 3 {
				t.Errorf("%d Hz, delay %d ms: near-end tone changed by %.1f dB, want within 3", rate, delay, nearOut-nearIn)
			}
		}
	}
}

// speechLike is a far-end talker: bursts of a few harmonics over a noise
// floor, changing pitch every burst, with pauses between them.
type speechLike struct {
	f     audio.Format
	rnd   *rand.Rand
	n     int
	pitch float64
	phase float64
}

func (s *speechLike) Format() audio.Format { return s.f }

func (s *speechLike) Read(p []int16) (int, error) {
	burst := s.f.Rate * 300 / 1000
	for i := range p {
		pos := s.n % (burst + burst/2)
		if pos == 0 {
			s.pitch = 110 + s.rnd.Float64()*120
		}
		var v float64
		if pos < burst {
			env := math.Sin(math.Pi * float64(pos) / float64(burst))
			for h := 1; h <= 5; h++ {
				v += math.Sin(float64(h)*s.phase) / float64(h)
			}
			v = env * (0.2*v + 0.05*s.rnd.NormFloat64())
		}
		s.phase += 2 * math.Pi * s.pitch / float64(s.f.Rate)
		p[i] = clamp(v * 32767)
		s.n++
	}
	return len(p), nil
}

func TestEchoOfSpeechLikeSignalCancelled(t *testing.T) {
	const rate = 16000
	f := audio.Mono16k
	c, err := New(rate, Options{Echo: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	far := &speechLike{f: f, rnd: rand.New(rand.NewSource(2))}
	r := newRoom(f, 45, nil, 0.0003)
	echo, _, out := runRoom(t, c, far, r, 8)
	erle := db(sq(audio.RMS(echo))) - db(sq(audio.RMS(out)))
	t.Logf("speech-like far end, 45 ms echo: ERLE %.1f dB (echo %.1f dBFS -> %.1f dBFS)",
		erle, audio.DBFS(audio.RMS(echo)), audio.DBFS(audio.RMS(out)))
	if erle < 15 {
		t.Errorf("echo reduced by %.1f dB, want >= 15", erle)
	}
}

func sq(x float64) float64 { return x * x }

func TestEchoOffIsBypass(t *testing.T) {
	c, err := New(16000, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f := audio.Mono16k
	r := newRoom(f, 40, tone.NewSine(f, 1000, 0.1), 0.001)
	src, spk := Wrap(r, r, c)
	far := tone.NewSine(f, 440, 0.5)
	fb, ob := make([]int16, 320), make([]int16, 320)
	for i := 0; i < 100; i++ {
		far.Read(fb)
		spk.Write(fb)
		if _, err := src.Read(ob); err != nil {
			t.Fatal(err)
		}
		// With nothing enabled the mic must come through untouched:
		// rebuild what the room produced and compare sample by sample.
		r2 := r.lastEcho
		for j := range ob {
			want := float64(r2[j]) + float64(r.lastNear[j])
			if d := math.Abs(float64(ob[j]) - want); d > 400 { // room noise is ~0.001 FS = 33 LSB RMS
				t.Fatalf("frame %d sample %d: got %d, echo+near %v", i, j, ob[j], want)
			}
		}
	}
	// And exactly: Process with nothing enabled leaves the buffer alone.
	x := make([]int16, 320)
	tone.NewSine(f, 700, 0.3).Read(x)
	y := append([]int16(nil), x...)
	if err := c.Process(y); err != nil {
		t.Fatal(err)
	}
	for i := range x {
		if x[i] != y[i] {
			t.Fatalf("sample %d changed %d -> %d with echo and noise off", i, x[i], y[i])
		}
	}

	// Switched off at run time: after the one cross-faded frame the mic
	// passes untouched too.
	c2, err := New(16000, Options{Echo: true, Noise: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	for i := 0; i < 50; i++ {
		c2.Playback(x)
		y = append(y[:0], x...)
		c2.Process(y)
	}
	c2.SetEnabled(false, false)
	c2.Process(append(y[:0], x...)) // holds the 10 ms cross-fade
	for i := 0; i < 5; i++ {
		c2.Playback(x)
		y = append(y[:0], x...)
		if err := c2.Process(y); err != nil {
			t.Fatal(err)
		}
		for j := range x {
			if x[j] != y[j] {
				t.Fatalf("after SetEnabled(false, false), frame %d sample %d changed %d -> %d", i, j, x[j], y[j])
			}
		}
	}
}

func TestNoiseSuppressed(t *testing.T) {
	for _, rate := range []int{8000, 16000, 48000} {
		f := audio.Format{Rate: rate, Channels: 1}
		c, err := New(rate, Options{Noise: true})
		if err != nil {
			t.Fatal(err)
		}
		rnd := rand.New(rand.NewSource(3))
		sine := tone.NewSine(f, 1000, 0.3)
		n := f.SamplesPer(20)
		buf, tn, nz := make([]int16, n), make([]int16, n), make([]int16, n)
		var inTone, outTone, inNoise, outNoise []int16
		const frames = 200 // 4 s
		for i := 0; i < frames; i++ {
			sine.Read(tn)
			on := (i/25)%2 == 0 // tone 0.5 s on, 0.5 s off: a talker, not a hum
			for j := range buf {
				nz[j] = clamp(rnd.NormFloat64() * 0.01 * 32768) // -40 dBFS white noise
				v := float64(nz[j])
				if on {
					v += float64(tn[j])
				}
				buf[j] = clamp(v)
			}
			in := append([]int16(nil), buf...)
			if err := c.Process(buf); err != nil {
				t.Fatal(err)
			}
			if i < frames-100 || i%25 < 5 { // skip warm-up and burst edges
				continue
			}
			if on {
				inTone, outTone = append(inTone, in...), append(outTone, buf...)
			} else {
				inNoise, outNoise = append(inNoise, in...), append(outNoise, buf...)
			}
		}
		c.Close()
		nsDB := audio.DBFS(audio.RMS(inNoise)) - audio.DBFS(audio.RMS(outNoise))
		toneDB := db(audio.Goertzel(outTone, rate, 1000)) - db(audio.Goertzel(inTone, rate, 1000))
		t.Logf("%d Hz: noise floor %.1f -> %.1f dBFS (%.1f dB less); tone changed %.1f dB",
			rate, audio.DBFS(audio.RMS(inNoise)), audio.DBFS(audio.RMS(outNoise)), nsDB, toneDB)
		if nsDB < 6 {
			t.Errorf("%d Hz: noise reduced by %.1f dB, want >= 6", rate, nsDB)
		}
		if math.Abs(toneDB) > 3 {
			t.Errorf("%d Hz: tone changed by %.1f dB, want within 3", rate, toneDB)
		}
	}
}

// TestSwitchingDoesNotClick toggles echo and noise while a tone plays and
// checks that no sample jumps more than a sine of that level can.
func TestSwitchingDoesNotClick(t *testing.T) {
	const rate = 16000
	f := audio.Mono16k
	c, err := New(rate, Options{Echo: true, Noise: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := newRoom(f, 40, tone.NewSine(f, 300, 0.3), 0)
	src, spk := Wrap(r, r, c)
	far := tone.NewSine(f, 440, 0.3)
	fb, ob := make([]int16, 320), make([]int16, 320)
	modes := [][2]bool{{true, true}, {false, true}, {false, false}, {true, false}, {true, true}, {false, false}, {true, true}}
	// A 300 Hz sine at 0.3 FS plus its echo moves at most about
	// 2π·300/16000·0.5·32768 ≈ 1930 per sample; allow headroom.
	const maxStep = 3000
	prev := int16(0)
	for i := 0; i < 50*len(modes); i++ {
		if i%50 == 0 {
			m := modes[i/50]
			c.SetEnabled(m[0], m[1])
			if e, n := c.Enabled(); e != m[0] || n != m[1] {
				t.Fatalf("Enabled() = %v,%v after SetEnabled(%v,%v)", e, n, m[0], m[1])
			}
		}
		far.Read(fb)
		spk.Write(fb)
		if _, err := src.Read(ob); err != nil {
			t.Fatal(err)
		}
		for j, v := range ob {
			if i > 0 || j > 0 {
				if d := int(v) - int(prev); d > maxStep || d < -maxStep {
					t.Fatalf("frame %d sample %d: jump of %d (mode %v)", i, j, d, modes[i/50])
				}
			}
			prev = v
		}
	}
}

// TestWrapAcrossGoroutines drives the speaker and the mic from two
// goroutines, as the playout and send loops do (run with -race).
func TestWrapAcrossGoroutines(t *testing.T) {
	// Noise suppression off: a tone held for seconds is, to a noise
	// estimator, stationary noise.
	c, err := New(48000, Options{Echo: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f := audio.Mono48k
	src, spk := Wrap(tone.NewSine(f, 1000, 0.2), audio.Discard{F: f}, c)
	const frames = 200
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		far := tone.NewSine(f, 440, 0.3)
		b := make([]int16, 960)
		for i := 0; i < frames; i++ {
			far.Read(b)
			spk.Write(b)
		}
	}()
	var level float64
	go func() {
		defer wg.Done()
		b := make([]int16, 960)
		for i := 0; i < frames; i++ {
			if _, err := src.Read(b); err != nil {
				t.Error(err)
				return
			}
		}
		level = audio.Goertzel(b, 48000, 1000)
	}()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("timed out")
	}
	if level < 0.01 {
		t.Errorf("near-end 1000 Hz tone lost across goroutines: power %.4f", level)
	}
}

func TestBadInput(t *testing.T) {
	for _, rate := range []int{0, -1, 11025, 44100} {
		if c, err := New(rate, Options{Echo: true}); err == nil {
			c.Close()
			t.Errorf("New(%d) accepted an unsupported rate", rate)
		}
	}
	if _, err := New(16000, Options{Echo: true, TailMillis: 5000}); err == nil {
		t.Error("New accepted a 5 s tail")
	}
	c, err := New(8000, Options{Echo: true, Noise: true})
	if err != nil {
		t.Fatal(err)
	}
	// Odd lengths and empty input are processed, not rejected.
	for _, n := range []int{0, 1, 79, 161, 333} {
		if err := c.Process(make([]int16, n)); err != nil {
			t.Errorf("Process(%d samples): %v", n, err)
		}
	}
	c.Playback(nil)
	c.Close()
	c.Close()
	if err := c.Process(make([]int16, 80)); err != ErrClosed {
		t.Errorf("Process after Close = %v, want ErrClosed", err)
	}
	src, _ := Wrap(audio.Silence{F: audio.Mono8k}, audio.Discard{F: audio.Mono8k}, c)
	if _, err := src.Read(make([]int16, 160)); err != ErrClosed {
		t.Errorf("Read after Close = %v, want ErrClosed", err)
	}

	// A second capture goroutine is refused, and Close during a running
	// Process leaves the freeing to that Process.
	c2, err := New(8000, Options{Echo: true})
	if err != nil {
		t.Fatal(err)
	}
	c2.state.Store(stBusy) // as if Process were running on another goroutine
	if err := c2.Process(make([]int16, 80)); err != ErrConcurrent {
		t.Errorf("concurrent Process = %v, want ErrConcurrent", err)
	}
	c2.Close()
	if c2.echo == nil || c2.pp == nil {
		t.Fatal("Close freed the speexdsp state under a running Process")
	}
	c2.leave() // the running Process returns
	if c2.echo != nil || c2.pp != nil {
		t.Error("state not freed when the running Process returned")
	}
}

func TestWrapConvertsFormats(t *testing.T) {
	c, err := New(16000, Options{Echo: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dev := audio.Format{Rate: 48000, Channels: 2}
	src, spk := Wrap(tone.NewSine(dev, 1000, 0.3), audio.Discard{F: dev}, c)
	if src.Format() != audio.Mono16k || spk.Format() != audio.Mono16k {
		t.Fatalf("wrapped formats %v / %v, want mono 16 kHz", src.Format(), spk.Format())
	}
	b := make([]int16, 320)
	for i := 0; i < 20; i++ {
		spk.Write(b)
		if _, err := src.Read(b); err != nil {
			t.Fatal(err)
		}
	}
	if hz, share := audio.DominantFrequency(b, 16000, 500, 2000, 10); math.Abs(hz-1000) > 10 || share < 0.5 {
		t.Errorf("48 kHz stereo mic through Wrap: dominant %.0f Hz (share %.2f), want 1000 Hz", hz, share)
	}
}

func benchProcess(b *testing.B, rate int, opts Options) {
	c, err := New(rate, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	f := audio.Format{Rate: rate, Channels: 1}
	far := make([]int16, f.SamplesPer(20))
	mic := make([]int16, f.SamplesPer(20))
	tone.NewSine(f, 440, 0.3).Read(far)
	tone.NewSine(f, 1000, 0.1).Read(mic)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Playback(far)
		if err := c.Process(mic); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProcess8k(b *testing.B)  { benchProcess(b, 8000, Options{Echo: true, Noise: true}) }
func BenchmarkProcess16k(b *testing.B) { benchProcess(b, 16000, Options{Echo: true, Noise: true}) }
func BenchmarkProcess48k(b *testing.B) { benchProcess(b, 48000, Options{Echo: true, Noise: true}) }

// BenchmarkWrap is one 20 ms frame through the wrapped speaker and mic.
func BenchmarkWrap(b *testing.B) {
	c, err := New(16000, Options{Echo: true, Noise: true})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	f := audio.Mono16k
	src, spk := Wrap(tone.NewSine(f, 1000, 0.1), audio.Discard{F: f}, c)
	far := tone.NewSine(f, 440, 0.3)
	fb, ob := make([]int16, 320), make([]int16, 320)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		far.Read(fb)
		spk.Write(fb)
		if _, err := src.Read(ob); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWrapConverting is one 20 ms frame through Wrap when the device
// is 48 kHz stereo and the canceller runs at 16 kHz mono.
func BenchmarkWrapConverting(b *testing.B) {
	c, err := New(16000, Options{Echo: true, Noise: true})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	dev := audio.Format{Rate: 48000, Channels: 2}
	src, spk := Wrap(tone.NewSine(dev, 1000, 0.1), audio.Discard{F: dev}, c)
	far := tone.NewSine(audio.Mono16k, 440, 0.3)
	fb, ob := make([]int16, 320), make([]int16, 320)
	for i := 0; i < 10; i++ { // let the converters' buffers grow
		far.Read(fb)
		spk.Write(fb)
		src.Read(ob)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		far.Read(fb)
		spk.Write(fb)
		if _, err := src.Read(ob); err != nil {
			b.Fatal(err)
		}
	}
}

// TestResetForgetsAndRelearns: after Reset (a device switch) the echo comes
// back until the filter has learnt the path again.
func TestResetForgetsAndRelearns(t *testing.T) {
	const rate = 16000
	f := audio.Mono16k
	c, err := New(rate, Options{Echo: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := newRoom(f, 40, nil, 0.0003)
	src, spk := Wrap(r, r, c)
	far := tone.NewSine(f, 440, 0.5)
	fb, ob := make([]int16, 320), make([]int16, 320)
	erle := func(frames int) float64 {
		var echo, out []int16
		for i := 0; i < frames; i++ {
			far.Read(fb)
			spk.Write(fb)
			if _, err := src.Read(ob); err != nil {
				t.Fatal(err)
			}
			echo, out = append(echo, r.lastEcho...), append(out, ob...)
		}
		return db(audio.Goertzel(echo, rate, 440)) - db(audio.Goertzel(out, rate, 440))
	}
	erle(200)
	before := erle(10)
	c.Reset()
	after := erle(5)
	erle(200)
	again := erle(10)
	t.Logf("ERLE %.1f dB, right after Reset %.1f dB, 4 s later %.1f dB", before, after, again)
	if before < 15 || again < 15 || after > before-10 {
		t.Errorf("Reset did not restart the filter: ERLE %.1f -> %.1f -> %.1f dB", before, after, again)
	}
}
