package mix_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"switchboard/audio"
	"switchboard/audio/mix"
	"switchboard/audio/tone"
)

// conference is a manually clocked bridge with a 500 Hz microphone, a
// capturing speaker and calls driven in lockstep with the bridge.
type conference struct {
	t       *testing.T
	f       audio.Format
	b       *mix.Bridge
	speaker *capture
	calls   map[string]*call
	order   []string
}

func newConference(t *testing.T, f audio.Format, opts ...mix.Option) *conference {
	t.Helper()
	speaker := &capture{f: f}
	b, err := mix.New(context.Background(), f, tone.NewSine(f, micHz, level), speaker,
		append([]mix.Option{mix.WithManualClock()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return &conference{t: t, f: f, b: b, speaker: speaker, calls: map[string]*call{}}
}

func (c *conference) join(id string, hz float64) *call {
	c.t.Helper()
	src, sink, err := c.b.Join(id)
	if err != nil {
		c.t.Fatalf("Join(%q): %v", id, err)
	}
	if src.Format() != c.f || sink.Format() != c.f {
		c.t.Fatalf("leg formats %+v/%+v, want %+v", src.Format(), sink.Format(), c.f)
	}
	cl := newCall(c.f, src, sink, hz)
	c.calls[id] = cl
	c.order = append(c.order, id)
	return cl
}

// run plays n frames: every call receives a frame, the bridge mixes, every
// call sends a frame — the order a session's loops settle into.
func (c *conference) run(n int) {
	frame := c.f.SamplesPer(20)
	for range n {
		for _, id := range c.order {
			c.calls[id].receive(c.t, frame)
		}
		if err := c.b.Step(); err != nil {
			c.t.Fatal(err)
		}
		for _, id := range c.order {
			c.calls[id].send(c.t, frame)
		}
	}
}

// tail returns the last frames frames of s.
func tail(f audio.Format, s []int16, frames int) []int16 {
	return s[len(s)-frames*f.SamplesPer(20):]
}

func TestEachPartyHearsEveryoneElse(t *testing.T) {
	for _, f := range []audio.Format{audio.Mono16k, audio.Mono48k} {
		t.Run(fmtName(f), func(t *testing.T) {
			c := newConference(t, f)
			a := c.join("A", aHz)
			b := c.join("B", bHz)
			c.run(50) // 1 s
			r := f.Rate
			isoA := want(t, "leg A sends", tail(f, a.sent, 25), r, []float64{micHz, bHz}, []float64{aHz})
			isoB := want(t, "leg B sends", tail(f, b.sent, 25), r, []float64{micHz, aHz}, []float64{bHz})
			isoS := want(t, "speaker", tail(f, c.speaker.samples(), 25), r, []float64{aHz, bHz}, []float64{micHz})
			t.Logf("own voice suppressed by: A %.1f dB, B %.1f dB; mic on speaker %.1f dB", isoA, isoB, isoS)
			for _, s := range c.b.Stats().Legs {
				if s.Underruns != 0 || s.Dropped != 0 || s.SendUnderruns != 0 || s.SendDropped != 0 {
					t.Errorf("lockstep leg %s: %+v, want no underruns or drops", s.ID, s)
				}
				if s.Mixed != 50 {
					t.Errorf("leg %s mixed %d frames, want 50", s.ID, s.Mixed)
				}
			}
		})
	}
}

func fmtName(f audio.Format) string {
	return map[audio.Format]string{audio.Mono16k: "16k", audio.Mono48k: "48k"}[f]
}

func TestSumSaturatesInsteadOfWrapping(t *testing.T) {
	f := audio.Mono16k
	const hot = 0.9
	speaker := &capture{f: f}
	b, err := mix.New(context.Background(), f, tone.NewSine(f, micHz, hot), speaker, mix.WithManualClock())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	srcA, sinkA, _ := b.Join("A")
	srcB, sinkB, _ := b.Join("B")
	// All three in phase at the same pitch: any two sum to 1.8 × full scale.
	genA, genB, ref := tone.NewSine(f, micHz, hot), tone.NewSine(f, micHz, hot), tone.NewSine(f, micHz, hot)
	frame := f.SamplesPer(20)
	in, x, gotA, gotB := make([]int16, frame), make([]int16, frame), make([]int16, frame), make([]int16, frame)
	clipped := 0
	for range 25 {
		genA.Read(in)
		sinkA.Write(in)
		genB.Read(in)
		sinkB.Write(in)
		b.Step()
		srcA.Read(gotA)
		srcB.Read(gotB)
		ref.Read(x)
		for i, v := range x {
			sum := 2 * int32(v)
			want := int16(max(-32768, min(32767, sum)))
			if gotA[i] != want || gotB[i] != want {
				t.Fatalf("sample %d: sum %d gave A %d, B %d; want %d", i, sum, gotA[i], gotB[i], want)
			}
			if sum != int32(want) {
				clipped++
			}
		}
	}
	sp := speaker.samples()
	if mn, mx := slices.Min(sp), slices.Max(sp); mn != -32768 || mx != 32767 {
		t.Errorf("speaker range %d..%d, want it pinned at -32768..32767", mn, mx)
	}
	for i := range sp { // speaker = A + B, same waveform as above
		if i > 0 && (sp[i-1] > 16384 && sp[i] < -16384 || sp[i-1] < -16384 && sp[i] > 16384) {
			t.Fatalf("speaker jumps %d → %d at %d: wrapped around", sp[i-1], sp[i], i)
		}
	}
	if clipped == 0 {
		t.Fatal("test did not clip")
	}
	t.Logf("%d of %d samples saturated, none wrapped", clipped, 25*frame)
}

func TestLeaveAndJoinMidConference(t *testing.T) {
	f := audio.Mono16k
	r := f.Rate
	c := newConference(t, f)
	a := c.join("A", aHz)
	b := c.join("B", bHz)
	c.run(25)
	want(t, "B before A leaves", tail(f, b.sent, 20), r, []float64{micHz, aHz}, []float64{bHz})

	// Hang up A: from the next frame B and the speaker no longer hear 700 Hz.
	if !c.b.Leave("A") {
		t.Fatal("Leave(A) = false")
	}
	if c.b.Leave("A") {
		t.Fatal("second Leave(A) = true")
	}
	if got := c.b.Legs(); !slices.Equal(got, []string{"B"}) {
		t.Fatalf("Legs() = %v, want [B]", got)
	}
	if _, ok := c.b.LegStats("A"); ok {
		t.Error("LegStats(A) still found after Leave")
	}
	mark, markS := len(b.sent), len(c.speaker.samples())
	c.run(25) // A's session keeps running with the pair it was given
	want(t, "B after A left", b.sent[mark:], r, []float64{micHz}, []float64{aHz, bHz})
	want(t, "speaker after A left", c.speaker.samples()[markS:], r, []float64{bHz}, []float64{aHz, micHz})
	if rms := audio.RMS(tail(f, a.sent, 25)); rms != 0 {
		t.Errorf("A's old source after Leave: RMS %v, want silence", rms)
	}

	// A third party joins later; A may also come back under the same id.
	cc := c.join("C", cHz)
	if _, _, err := c.b.Join("C"); !errors.Is(err, mix.ErrDuplicate) {
		t.Errorf("second Join(C): %v, want ErrDuplicate", err)
	}
	delete(c.calls, "A")
	c.order = slices.DeleteFunc(c.order, func(id string) bool { return id == "A" })
	a2 := c.join("A", aHz)
	if got := c.b.Legs(); !slices.Equal(got, []string{"B", "C", "A"}) {
		t.Fatalf("Legs() = %v, want [B C A]", got)
	}
	mark, markS = len(b.sent), len(c.speaker.samples())
	c.run(25)
	want(t, "C", tail(f, cc.sent, 25), r, []float64{micHz, aHz, bHz}, []float64{cHz})
	want(t, "rejoined A", tail(f, a2.sent, 25), r, []float64{micHz, bHz, cHz}, []float64{aHz})
	want(t, "B with C", b.sent[mark:], r, []float64{micHz, aHz, cHz}, []float64{bHz})
	want(t, "speaker with C", c.speaker.samples()[markS:], r, []float64{aHz, bHz, cHz}, []float64{micHz})
}

// TestDriftIsBoundedAndCounted gives each leg a session whose clock runs 2%
// fast or slow on one side and checks that the delay cannot grow and that
// every pad and drop is counted.
func TestDriftIsBoundedAndCounted(t *testing.T) {
	f := audio.Mono16k
	frame := f.SamplesPer(20)
	fast, slow := frame+frame/50, frame-frame/50
	const maxDelay = 60 * time.Millisecond
	c := newConference(t, f, mix.WithMaxDelay(maxDelay))
	legs := []struct {
		id          string
		write, read int
	}{
		{"fastWriter", fast, frame},
		{"slowWriter", slow, frame},
		{"fastReader", frame, fast},
		{"slowReader", frame, slow},
	}
	calls := make([]*call, len(legs))
	for i, l := range legs {
		calls[i] = c.join(l.id, aHz)
	}
	for step := range 500 { // 10 s
		for i, l := range legs {
			calls[i].receive(t, l.write)
		}
		if err := c.b.Step(); err != nil {
			t.Fatal(err)
		}
		for i, l := range legs {
			calls[i].send(t, l.read)
		}
		for _, s := range c.b.Stats().Legs {
			if s.RecvDelay > maxDelay || s.SendDelay > maxDelay {
				t.Fatalf("step %d leg %s: delay recv %v send %v, want ≤ %v", step, s.ID, s.RecvDelay, s.SendDelay, maxDelay)
			}
		}
	}
	st := map[string]mix.LegStats{}
	for _, s := range c.b.Stats().Legs {
		st[s.ID] = s
		t.Logf("%+v", s)
	}
	if s := st["fastWriter"]; s.Dropped == 0 || s.Underruns != 0 {
		t.Errorf("fast writer: %+v, want drops and no underruns", s)
	}
	if s := st["slowWriter"]; s.Underruns == 0 || s.Dropped != 0 {
		t.Errorf("slow writer: %+v, want underruns and no drops", s)
	}
	if s := st["fastReader"]; s.SendUnderruns == 0 || s.SendDropped != 0 {
		t.Errorf("fast reader: %+v, want send underruns and no drops", s)
	}
	if s := st["slowReader"]; s.SendDropped == 0 {
		t.Errorf("slow reader: %+v, want send drops", s)
	}
}

// TestHeldLegCannotBuildDelay stops a leg's session for a second (hold, a
// stalled goroutine) and checks the audio it finds afterwards is fresh.
func TestHeldLegCannotBuildDelay(t *testing.T) {
	f := audio.Mono16k
	frame := f.SamplesPer(20)
	c := newConference(t, f)
	a := c.join("A", aHz)
	c.run(10)
	for range 50 { // A neither writes nor reads for 1 s
		c.b.Step()
	}
	s, _ := c.b.LegStats("A")
	if s.Underruns != 50 || s.SendDropped == 0 {
		t.Errorf("after hold: %+v, want 50 underruns and send drops", s)
	}
	a.send(t, frame)
	if s, _ := c.b.LegStats("A"); s.SendDelay > mix.DefaultMaxDelay {
		t.Errorf("after resuming: send delay %v, want ≤ %v", s.SendDelay, mix.DefaultMaxDelay)
	}
}

func TestResamplesMicAndSpeaker(t *testing.T) {
	dev := audio.Mono48k
	f := audio.Mono16k
	speaker := &capture{f: dev}
	b, err := mix.New(context.Background(), f, tone.NewSine(dev, micHz, level), speaker, mix.WithManualClock())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	src, sink, _ := b.Join("A")
	a := newCall(f, src, sink, aHz)
	for range 50 {
		a.receive(t, f.SamplesPer(20))
		b.Step()
		a.send(t, f.SamplesPer(20))
	}
	sp := speaker.samples()
	if len(sp) < 40*dev.SamplesPer(20) {
		t.Fatalf("speaker got %d samples at 48 kHz, want about %d", len(sp), 50*dev.SamplesPer(20))
	}
	want(t, "speaker (48 kHz)", sp[len(sp)-25*dev.SamplesPer(20):], dev.Rate, []float64{aHz}, []float64{micHz})
	want(t, "leg A", tail(f, a.sent, 25), f.Rate, []float64{micHz}, []float64{aHz})
}

func TestLifecycle(t *testing.T) {
	if _, err := mix.New(context.Background(), audio.Format{Rate: 11025, Channels: 1}, nil, nil); !errors.Is(err, mix.ErrFormat) {
		t.Errorf("11025 Hz: %v, want ErrFormat", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b, err := mix.New(ctx, audio.Mono16k, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Step(); !errors.Is(err, mix.ErrNotManual) {
		t.Errorf("Step on a clocked bridge: %v, want ErrNotManual", err)
	}
	src, sink, err := b.Join("A")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	closed := make(chan struct{})
	go func() { b.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return after ctx was cancelled")
	}
	b.Close() // idempotent
	if _, _, err := b.Join("B"); !errors.Is(err, mix.ErrClosed) {
		t.Errorf("Join after Close: %v, want ErrClosed", err)
	}
	if len(b.Legs()) != 0 {
		t.Errorf("Legs() after Close = %v", b.Legs())
	}
	// A session still holding the pair gets silence and may keep writing.
	p := []int16{1, 2, 3, 4}
	if n, err := sink.Write(p); n != 4 || err != nil {
		t.Errorf("Write after Close: %d, %v", n, err)
	}
	if n, err := src.Read(p); n != 4 || err != nil || slices.ContainsFunc(p, func(v int16) bool { return v != 0 }) {
		t.Errorf("Read after Close: %d, %v, %v; want silence", n, err, p)
	}

	m, _ := mix.New(context.Background(), audio.Mono16k, nil, nil, mix.WithManualClock())
	m.Close()
	if err := m.Step(); !errors.Is(err, mix.ErrClosed) {
		t.Errorf("Step after Close: %v, want ErrClosed", err)
	}

	// A manually clocked bridge also ends with its context.
	ctx, cancel = context.WithCancel(context.Background())
	m, _ = mix.New(ctx, audio.Mono16k, tone.NewSine(audio.Mono16k, micHz, level), nil, mix.WithManualClock())
	src, _, _ = m.Join("A")
	cancel()
	if err := m.Step(); !errors.Is(err, mix.ErrClosed) {
		t.Errorf("Step after cancel: %v, want ErrClosed", err)
	}
	if n, _ := src.Read(p); n != 4 || slices.ContainsFunc(p, func(v int16) bool { return v != 0 }) || len(m.Legs()) != 0 {
		t.Errorf("after cancel: read %v, legs %v; want silence and no legs", p, m.Legs())
	}
}

func TestMixDoesNotAllocate(t *testing.T) {
	f := audio.Mono48k
	b, _ := mix.New(context.Background(), f, tone.NewSine(f, micHz, level), audio.Discard{F: f}, mix.WithManualClock())
	defer b.Close()
	frame := make([]int16, f.SamplesPer(20))
	tone.NewSine(f, aHz, level).Read(frame)
	type pair struct {
		src  audio.Source
		sink audio.Sink
	}
	var legs []pair
	for _, id := range []string{"A", "B", "C"} {
		s, k, _ := b.Join(id)
		legs = append(legs, pair{s, k})
	}
	buf := make([]int16, len(frame))
	allocs := testing.AllocsPerRun(200, func() {
		for _, l := range legs {
			l.sink.Write(frame)
		}
		b.Step()
		for _, l := range legs {
			l.src.Read(buf)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per mixed frame, want 0", allocs)
	}
}
