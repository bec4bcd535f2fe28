package codec

import (
	"errors"
	"math"
	"slices"
	"testing"

	"switchboard/audio"
	"switchboard/audio/tone"
)

func TestByName(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"PCMU", "PCMU", true},
		{"pcma", "PCMA", true},
		{"Pcmu", "PCMU", true},
		{"speex", "", false},
		{"", "", false},
	} {
		c, ok := ByName(tc.name)
		if ok != tc.ok {
			t.Fatalf("ByName(%q) ok=%v, want %v", tc.name, ok, tc.ok)
		}
		if !ok {
			continue
		}
		if c.Name() != tc.want || c.ClockRate() != 8000 || c.Format() != audio.Mono8k {
			t.Errorf("ByName(%q) = %s/%d/%v", tc.name, c.Name(), c.ClockRate(), c.Format())
		}
		if FrameSamples(c) != 160 || FrameTimestamp(c) != 160 {
			t.Errorf("%s frame = %d samples / %d ts, want 160/160", c.Name(), FrameSamples(c), FrameTimestamp(c))
		}
	}
	if got := Names(); !slices.Contains(got, "PCMA") || !slices.Contains(got, "PCMU") {
		t.Errorf("Names() = %v", got)
	}
}

// Known values from ITU-T G.711 tables (and G.191's reference g711 tool).
func TestG711KnownVectors(t *testing.T) {
	enc := []struct {
		c    Codec
		in   int16
		want byte
	}{
		{PCMU{}, 0, 0xFF},
		{PCMU{}, 32767, 0x80},
		{PCMU{}, -32768, 0x00},
		{PCMU{}, 8, 0xFE},    // 8>>2=2, +33=35 → seg 0, step 17 → 0xFE
		{PCMU{}, -8, 0x7E},   // mirror with the sign bit clear
		{PCMU{}, 1000, 0xCE}, // segment 3
		{PCMA{}, 0, 0xD5},
		{PCMA{}, -1, 0x55},
		{PCMA{}, 32767, 0xAA},
		{PCMA{}, -32768, 0x2A},
		{PCMA{}, 1000, 0xFA}, // segment 3
	}
	for _, tc := range enc {
		var out [1]byte
		if _, err := tc.c.Encode(out[:], []int16{tc.in}); err != nil {
			t.Fatal(err)
		}
		if out[0] != tc.want {
			t.Errorf("%s encode(%d) = %#02x, want %#02x", tc.c.Name(), tc.in, out[0], tc.want)
		}
	}
	dec := []struct {
		c    Codec
		in   byte
		want int16
	}{
		{PCMU{}, 0x00, -32124},
		{PCMU{}, 0x80, 32124},
		{PCMU{}, 0xFF, 0},
		{PCMU{}, 0x7F, 0},
		{PCMU{}, 0xCE, 988},
		{PCMA{}, 0xD5, 8},
		{PCMA{}, 0x55, -8},
		{PCMA{}, 0xAA, 32256},
		{PCMA{}, 0x2A, -32256},
		{PCMA{}, 0x80, 5504},
		{PCMA{}, 0xFA, 1008},
	}
	for _, tc := range dec {
		var out [1]int16
		if _, err := tc.c.Decode(out[:], []byte{tc.in}); err != nil {
			t.Fatal(err)
		}
		if out[0] != tc.want {
			t.Errorf("%s decode(%#02x) = %d, want %d", tc.c.Name(), tc.in, out[0], tc.want)
		}
	}
}

// Every code decodes to a level that encodes back to the same code (µ-law has
// two zero codes, 0x7F and 0xFF; both decode to 0 which encodes as 0xFF).
func TestG711CodeRoundTrip(t *testing.T) {
	for _, c := range []Codec{PCMU{}, PCMA{}} {
		for b := range 256 {
			var pcm [1]int16
			var code [1]byte
			c.Decode(pcm[:], []byte{byte(b)})
			c.Encode(code[:], pcm[:])
			want := byte(b)
			if c.Name() == "PCMU" && b == 0x7F {
				want = 0xFF
			}
			if code[0] != want {
				t.Errorf("%s: code %#02x → %d → %#02x", c.Name(), b, pcm[0], code[0])
			}
		}
	}
}

// The tables must agree with the reference algorithms for every input, the
// decoded value must be monotonic in the input, and the error is bounded by
// half the quantisation step of the segment (plus the codec's clipping).
func TestG711AllSamples(t *testing.T) {
	for _, c := range []Codec{PCMU{}, PCMA{}} {
		in := make([]int16, 65536)
		for i := range in {
			in[i] = int16(i - 32768)
		}
		code := make([]byte, len(in))
		out := make([]int16, len(in))
		if n, err := c.Encode(code, in); n != len(in) || err != nil {
			t.Fatalf("Encode = %d, %v", n, err)
		}
		if n, err := c.Decode(out, code); n != len(in) || err != nil {
			t.Fatalf("Decode = %d, %v", n, err)
		}
		ref := linear2ulaw
		if c.Name() == "PCMA" {
			ref = linear2alaw
		}
		maxRel := 0.0
		for i, x := range in {
			if code[i] != ref(x) {
				t.Fatalf("%s table(%d) = %#02x, reference %#02x", c.Name(), x, code[i], ref(x))
			}
			if i > 0 && out[i] < out[i-1] {
				t.Fatalf("%s not monotonic at %d: %d < %d", c.Name(), x, out[i], out[i-1])
			}
			ax := math.Abs(float64(x))
			err := math.Abs(float64(x) - float64(out[i]))
			// The bound is half a quantisation step: 8 in the first segments,
			// then about 1/32 of the value (4-bit mantissa) plus rounding slop,
			// except above the top decision level where clipping adds more.
			limit := 8 + ax/28
			if ax > 31500 {
				limit = 700
			}
			if err > limit {
				t.Fatalf("%s: %d → %d, error %.0f > %.0f", c.Name(), x, out[i], err, limit)
			}
			if ax > 1024 && ax < 31000 {
				maxRel = math.Max(maxRel, err/ax)
			}
		}
		if maxRel > 1.0/24 || maxRel < 1.0/70 {
			t.Errorf("%s max relative error %.4f not in the G.711 range", c.Name(), maxRel)
		}
	}
}

func TestG711SineSNR(t *testing.T) {
	for _, c := range []Codec{PCMU{}, PCMA{}} {
		in := make([]int16, 8000)
		tone.NewSine(audio.Mono8k, 1004, 0.5).Read(in)
		code := make([]byte, len(in))
		out := make([]int16, len(in))
		c.Encode(code, in)
		c.Decode(out, code)
		var sig, noise float64
		for i := range in {
			sig += float64(in[i]) * float64(in[i])
			d := float64(in[i]) - float64(out[i])
			noise += d * d
		}
		snr := 10 * math.Log10(sig/noise)
		// G.711 gives about 38 dB SQNR for a mid-level sine.
		if snr < 35 || snr > 42 {
			t.Errorf("%s SNR = %.1f dB, want 35..42", c.Name(), snr)
		}
		if hz, share := audio.DominantFrequency(out, 8000, 900, 1100, 4); math.Abs(hz-1004) > 4 || share < 0.9 {
			t.Errorf("%s decoded tone %.0f Hz share %.2f", c.Name(), hz, share)
		}
	}
}

func TestG711ShortBuffer(t *testing.T) {
	for _, c := range []Codec{PCMU{}, PCMA{}} {
		if _, err := c.Encode(make([]byte, 3), make([]int16, 4)); !errors.Is(err, ErrShortBuffer) {
			t.Errorf("%s Encode short: %v", c.Name(), err)
		}
		if _, err := c.Decode(make([]int16, 3), make([]byte, 4)); !errors.Is(err, ErrShortBuffer) {
			t.Errorf("%s Decode short: %v", c.Name(), err)
		}
		if n, err := c.Decode(make([]int16, 10), []byte{1, 2}); n != 2 || err != nil {
			t.Errorf("%s Decode = %d, %v", c.Name(), n, err)
		}
	}
}

func TestG711NoAllocs(t *testing.T) {
	pcm := make([]int16, 160)
	tone.NewSine(audio.Mono8k, 700, 0.5).Read(pcm)
	buf := make([]byte, 160)
	for _, c := range []Codec{PCMU{}, PCMA{}} {
		a := testing.AllocsPerRun(100, func() {
			c.Encode(buf, pcm)
			c.Decode(pcm, buf)
		})
		if a != 0 {
			t.Errorf("%s allocates %.1f times per frame", c.Name(), a)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{}, false)
	f.Add([]byte{0, 0x7f, 0x80, 0xff}, true)
	f.Fuzz(func(t *testing.T, payload []byte, alaw bool) {
		var c Codec = PCMU{}
		if alaw {
			c = PCMA{}
		}
		dst := make([]int16, len(payload))
		n, err := c.Decode(dst, payload)
		if err != nil || n != len(payload) {
			t.Fatalf("Decode = %d, %v", n, err)
		}
		// Re-encoding decoded G.711 is lossless (µ-law's two zeros aside).
		code := make([]byte, n)
		c.Encode(code, dst[:n])
		for i := range code {
			if code[i] != payload[i] && !(payload[i] == 0x7F && code[i] == 0xFF && !alaw) {
				t.Fatalf("byte %d: %#02x → %d → %#02x", i, payload[i], dst[i], code[i])
			}
		}
		if _, err := c.Decode(dst[:0], payload); len(payload) > 0 && !errors.Is(err, ErrShortBuffer) {
			t.Fatalf("short dst: %v", err)
		}
	})
}

func BenchmarkG711(b *testing.B) {
	pcm := make([]int16, 160)
	tone.NewSine(audio.Mono8k, 700, 0.5).Read(pcm)
	buf := make([]byte, 160)
	for _, c := range []Codec{PCMU{}, PCMA{}} {
		b.Run(c.Name()+"/Encode", func(b *testing.B) {
			b.SetBytes(int64(len(pcm) * 2))
			for b.Loop() {
				c.Encode(buf, pcm)
			}
		})
		b.Run(c.Name()+"/Decode", func(b *testing.B) {
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				c.Decode(pcm, buf)
			}
		})
	}
}
