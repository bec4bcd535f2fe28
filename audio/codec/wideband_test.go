//go:build cgo && !nog722

package codec

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"testing"

	"gopkg.in/hraban/opus.v2"

	"switchboard/audio"
	"switchboard/audio/tone"
)

// roundTrip encodes and decodes d of a hz sine frame by frame with enc and
// dec and returns the decoded audio and the mean payload size.
func roundTrip(t testing.TB, enc, dec Codec, hz float64, frames int) ([]int16, float64) {
	t.Helper()
	src := tone.NewSine(enc.Format(), hz, 0.5)
	n := FrameSamples(enc)
	pcm := make([]int16, n)
	payload := make([]byte, 1500)
	out := make([]int16, 0, n*frames)
	buf := make([]int16, 5760)
	total := 0
	for range frames {
		src.Read(pcm)
		m, err := enc.Encode(payload, pcm)
		if err != nil {
			t.Fatalf("%s Encode: %v", enc.Name(), err)
		}
		total += m
		k, err := dec.Decode(buf, payload[:m])
		if err != nil {
			t.Fatalf("%s Decode: %v", dec.Name(), err)
		}
		if k != n {
			t.Fatalf("%s Decode gave %d samples, want %d", dec.Name(), k, n)
		}
		out = append(out, buf[:k]...)
	}
	return out, float64(total) / float64(frames)
}

// assertTone checks that pcm (after the codec's start-up) carries hz.
func assertTone(t *testing.T, name string, pcm []int16, rate int, hz float64) {
	t.Helper()
	pcm = pcm[len(pcm)/4:]
	got, share := audio.DominantFrequency(pcm, rate, 100, 4000, 5)
	level := audio.DBFS(audio.RMS(pcm))
	if math.Abs(got-hz) > 10 || share < 0.8 || level < -12 {
		t.Errorf("%s: decoded %.0f Hz (share %.2f, %.1f dBFS), want %.0f Hz at about -9 dBFS", name, got, share, level, hz)
	}
}

func TestWidebandByName(t *testing.T) {
	for _, tc := range []struct {
		name      string
		clock     int
		format    audio.Format
		samples   int
		timestamp uint32
	}{
		{"G722", 8000, audio.Mono16k, 320, 160},
		{"g722", 8000, audio.Mono16k, 320, 160},
		{"opus", 48000, audio.Mono48k, 960, 960},
		{"OPUS", 48000, audio.Mono48k, 960, 960},
	} {
		c, ok := ByName(tc.name)
		if !ok {
			t.Fatalf("ByName(%q) not found", tc.name)
		}
		if c.ClockRate() != tc.clock || c.Format() != tc.format || FrameSamples(c) != tc.samples || FrameTimestamp(c) != tc.timestamp {
			t.Errorf("%s: clock %d format %+v frame %d/%d", tc.name, c.ClockRate(), c.Format(), FrameSamples(c), FrameTimestamp(c))
		}
	}
	if got := Names(); !slices.Contains(got, "G722") || !slices.Contains(got, "OPUS") {
		t.Errorf("Names() = %v", got)
	}
}

func TestByRTPMap(t *testing.T) {
	for _, tc := range []struct {
		name  string
		clock int
		ok    bool
		rate  int
	}{
		{"opus", 48000, true, 48000},
		{"OPUS", 16000, true, 16000}, // RingCentral
		{"opus", 8000, false, 0},
		{"PCMU", 8000, true, 8000},
		{"PCMU", 16000, false, 0},
		{"G722", 8000, true, 16000},
		{"G722", 16000, false, 0},
	} {
		c, ok := ByRTPMap(tc.name, tc.clock)
		if ok != tc.ok {
			t.Errorf("ByRTPMap(%s, %d) ok=%v", tc.name, tc.clock, ok)
			continue
		}
		if ok && (c.ClockRate() != tc.clock || c.Format().Rate != tc.rate) {
			t.Errorf("ByRTPMap(%s, %d) = clock %d rate %d", tc.name, tc.clock, c.ClockRate(), c.Format().Rate)
		}
	}
	if slices.Contains(Names(), "OPUS/16000") {
		t.Error("variants must not be listed by Names")
	}
}

func TestOpusSDP(t *testing.T) {
	o := NewOpus(48000)
	if o.RTPMapChannels() != 2 || o.FMTP() != "minptime=10;useinbandfec=1" {
		t.Errorf("opus/48000 rtpmap channels %d fmtp %q", o.RTPMapChannels(), o.FMTP())
	}
	if NewOpus(16000).RTPMapChannels() != 0 {
		t.Error("opus/16000 is written without channels")
	}
	o.ApplyFMTP("stereo=1; maxaveragebitrate=20000;useinbandfec=1;maxplaybackrate=16000;junk;x=")
	if o.Bitrate() != 20000 || o.maxBW != opus.Wideband {
		t.Errorf("after fmtp: bitrate %d bandwidth %v", o.Bitrate(), o.maxBW)
	}
	o.ApplyFMTP("maxaveragebitrate=100")
	if o.Bitrate() != opusMinBitrate {
		t.Errorf("bitrate floor: %d", o.Bitrate())
	}
	o.ApplyFMTP("maxaveragebitrate=510000")
	if o.Bitrate() != opusMinBitrate {
		t.Errorf("a peer's cap never raises our rate: %d", o.Bitrate())
	}
}

func TestOpusRoundTrip(t *testing.T) {
	for _, rate := range []int{48000, 16000} {
		out, size := roundTrip(t, NewOpus(rate), NewOpus(rate), 1000, 50)
		assertTone(t, "opus", out, rate, 1000)
		// 32 kbit/s at 20 ms is 80 bytes a packet; allow the encoder's VBR.
		if size < 40 || size > 120 {
			t.Errorf("opus/%d: %.0f bytes per 20 ms packet, want about 80", rate, size)
		}
		t.Logf("opus/%d: %.1f bytes per packet (%.1f kbit/s)", rate, size, size*8*50/1000)
	}
}

func TestG722RoundTrip(t *testing.T) {
	for _, hz := range []float64{1000, 300, 6000} { // 6 kHz: only wideband carries it
		out, size := roundTrip(t, NewG722(), NewG722(), hz, 50)
		if size != 160 {
			t.Errorf("G.722: %.0f bytes per 20 ms, want 160 (64 kbit/s)", size)
		}
		pcm := out[len(out)/4:]
		got, share := audio.DominantFrequency(pcm, 16000, 100, 7900, 5)
		if math.Abs(got-hz) > 10 || share < 0.8 || audio.DBFS(audio.RMS(pcm)) < -12 {
			t.Errorf("G.722 %.0f Hz: decoded %.0f Hz share %.2f", hz, got, share)
		}
	}
}

// TestOpusDecodesStereo: a stereo-signalled stream (as baresip sends with
// stereo=1) decodes to mono.
func TestOpusDecodesStereo(t *testing.T) {
	enc, err := opus.NewEncoder(48000, 2, opus.AppVoIP)
	if err != nil {
		t.Fatal(err)
	}
	mono := make([]int16, 960)
	st := make([]int16, 1920)
	src := tone.NewSine(audio.Mono48k, 1000, 0.5)
	dec := NewOpus(48000)
	pkt := make([]byte, 1500)
	buf := make([]int16, 5760)
	var out []int16
	for range 50 {
		src.Read(mono)
		for i, s := range mono {
			st[2*i], st[2*i+1] = s, s
		}
		n, err := enc.Encode(st, pkt)
		if err != nil {
			t.Fatal(err)
		}
		k, err := dec.Decode(buf, pkt[:n])
		if err != nil || k != 960 {
			t.Fatalf("Decode stereo packet = %d, %v", k, err)
		}
		out = append(out, buf[:k]...)
	}
	assertTone(t, "opus stereo→mono", out, 48000, 1000)
}

func TestOpusBadInput(t *testing.T) {
	o := NewOpus(48000)
	buf := make([]int16, 5760)
	for _, p := range [][]byte{
		nil,
		{0x03},             // code 3 without the frame count byte
		{0xff, 0xff, 0xff}, // code 3, 63 frames of 60 ms: too long
	} {
		if _, err := o.Decode(buf, p); err == nil {
			t.Errorf("Decode(%x) succeeded", p)
		}
	}
	if _, err := o.Decode(buf[:10], []byte{0xf8, 0xff, 0xfe}); err == nil {
		t.Error("Decode into 10 samples succeeded")
	}
	if _, err := o.Encode(make([]byte, 100), make([]int16, 100)); err == nil {
		t.Error("Encode of 100 samples (not an Opus frame size) succeeded")
	}
	if _, err := o.Encode(nil, make([]int16, 960)); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("Encode into nil: %v", err)
	}
}

func TestG722ShortBuffer(t *testing.T) {
	g := NewG722()
	if _, err := g.Encode(make([]byte, 3), make([]int16, 8)); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("Encode short: %v", err)
	}
	if _, err := g.Decode(make([]int16, 7), make([]byte, 4)); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("Decode short: %v", err)
	}
}

// TestOpusConceal: a lost frame is recovered from the next packet's in-band
// FEC, or extrapolated by PLC; both keep the tone going.
func TestOpusConceal(t *testing.T) {
	enc, dec := NewOpus(48000), NewOpus(48000)
	src := tone.NewSine(audio.Mono48k, 1000, 0.5)
	pcm := make([]int16, 960)
	pkts := make([][]byte, 30)
	for i := range pkts {
		src.Read(pcm)
		b := make([]byte, 1500)
		n, err := enc.Encode(b, pcm)
		if err != nil {
			t.Fatal(err)
		}
		pkts[i] = b[:n]
	}
	buf := make([]int16, 5760)
	var fec, plc []int16
	for i, p := range pkts {
		switch i {
		case 20: // lost; FEC from packet 21
			n, err := dec.Conceal(buf, pkts[21])
			if err != nil || n != 960 {
				t.Fatalf("Conceal with FEC = %d, %v", n, err)
			}
			fec = append(fec, buf[:n]...)
		case 25: // lost, next unknown: PLC
			n, err := dec.Conceal(buf, nil)
			if err != nil || n != 960 {
				t.Fatalf("Conceal (PLC) = %d, %v", n, err)
			}
			plc = append(plc, buf[:n]...)
		default:
			if _, err := dec.Decode(buf, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, f := range map[string][]int16{"FEC": fec, "PLC": plc} {
		hz, share := audio.DominantFrequency(f, 48000, 100, 4000, 10)
		if l := audio.DBFS(audio.RMS(f)); math.Abs(hz-1000) > 20 || share < 0.5 || l < -20 {
			t.Errorf("%s frame: %.0f Hz share %.2f %.1f dBFS", name, hz, share, l)
		}
	}
	if _, err := dec.Conceal(buf[:100], nil); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("Conceal into 100 samples: %v", err)
	}
}

func TestWidebandNoAllocs(t *testing.T) {
	for _, c := range []Codec{NewOpus(48000), NewG722()} {
		pcm := make([]int16, FrameSamples(c))
		tone.NewSine(c.Format(), 700, 0.5).Read(pcm)
		buf := make([]byte, 1500)
		out := make([]int16, 5760)
		var n int
		step := func() {
			n, _ = c.Encode(buf, pcm)
			c.Decode(out, buf[:n])
		}
		step() // creates the codec states
		if a := testing.AllocsPerRun(50, step); a != 0 {
			t.Errorf("%s allocates %.1f times per frame", c.Name(), a)
		}
		if cc, ok := c.(Concealer); ok {
			if a := testing.AllocsPerRun(20, func() { cc.Conceal(out, buf[:n]) }); a != 0 {
				t.Errorf("%s Conceal allocates %.1f times", c.Name(), a)
			}
		}
	}
}

func FuzzOpusDecode(f *testing.F) {
	o := NewOpus(48000)
	pcm := make([]int16, 960)
	tone.NewSine(audio.Mono48k, 440, 0.5).Read(pcm)
	pkt := make([]byte, 1500)
	n, _ := o.Encode(pkt, pcm)
	f.Add(pkt[:n], false)
	f.Add([]byte{0x03}, true)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff}, false)
	dec := NewOpus(48000) // one decoder: its state carries across inputs, as on a call
	dst := make([]int16, 5760)
	f.Fuzz(func(t *testing.T, payload []byte, small bool) {
		dst := dst[:5760]
		if small {
			dst = dst[:960]
		}
		n, err := dec.Decode(dst, payload)
		if err == nil && (n <= 0 || n > len(dst)) {
			t.Fatalf("Decode = %d samples into %d", n, len(dst))
		}
		if _, err := dec.Conceal(dst, payload); err != nil && len(payload) > 0 {
			// FEC falls back to PLC, which cannot fail on a valid state.
			t.Fatalf("Conceal: %v", err)
		}
	})
}

func FuzzG722Decode(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0x7f, 0x80, 0xff})
	f.Fuzz(func(t *testing.T, payload []byte) {
		g := NewG722()
		dst := make([]int16, 2*len(payload))
		n, err := g.Decode(dst, payload)
		if err != nil || n != 2*len(payload) {
			t.Fatalf("Decode = %d, %v", n, err)
		}
	})
}

func BenchmarkCodecs(b *testing.B) {
	for _, c := range []Codec{PCMU{}, PCMA{}, NewG722(), NewOpus(48000), NewOpus(16000)} {
		name := c.Name()
		if c.ClockRate() != 8000 || name == "opus" {
			name += "-" + strconv.Itoa(c.ClockRate()/1000) + "k"
		}
		pcm := make([]int16, FrameSamples(c))
		tone.NewSine(c.Format(), 700, 0.5).Read(pcm)
		buf := make([]byte, 1500)
		out := make([]int16, 5760)
		n, err := c.Encode(buf, pcm)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/Encode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Encode(buf, pcm)
			}
		})
		b.Run(name+"/Decode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Decode(out, buf[:n])
			}
		})
	}
}
