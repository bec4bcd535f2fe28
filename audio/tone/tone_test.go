package tone

import (
	"io"
	"testing"
	"time"

	"switchboard/audio"
)

// readN reads exactly n samples from a live source in 20 ms chunks.
func readN(t *testing.T, s audio.Source, n int) []int16 {
	t.Helper()
	out := make([]int16, 0, n)
	buf := make([]int16, s.Format().SamplesPer(20))
	for len(out) < n {
		k, err := s.Read(buf[:min(len(buf), n-len(out))])
		if err != nil {
			t.Fatalf("Read after %d samples: %v", len(out), err)
		}
		out = append(out, buf[:k]...)
	}
	return out
}

// readAll reads a finite source to io.EOF (bounded by limit samples).
func readAll(t *testing.T, s audio.Source, limit int) []int16 {
	t.Helper()
	var out []int16
	buf := make([]int16, 333) // odd size: generators must keep whole frames
	for len(out) <= limit {
		k, err := s.Read(buf)
		out = append(out, buf[:k]...)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("source did not end within %d samples", limit)
	return nil
}

// window returns the mono samples between from and to (in ms).
func window(s []int16, rate, from, to int) []int16 {
	return s[rate*from/1000 : rate*to/1000]
}

// on reports whether hz is clearly present (power above -30 dB re full scale).
func on(s []int16, rate int, hz float64) bool { return audio.Goertzel(s, rate, hz) > 1e-3 }

func silent(s []int16) bool { return audio.DBFS(audio.RMS(s)) < -80 }

// checkCadence verifies that every 100 ms window (away from the edges) is
// either carrying all of hz or silent, according to the expected period.
func checkCadence(t *testing.T, name string, s []int16, rate int, hz []float64, onMs, periodMs int) {
	t.Helper()
	for start := 0; start+100 <= len(s)*1000/rate; start += 100 {
		w := window(s, rate, start+10, start+90)
		phase := start % periodMs
		switch {
		case phase+100 <= onMs:
			for _, f := range hz {
				if !on(w, rate, f) {
					t.Fatalf("%s: %v Hz missing at %d ms (should be on)", name, f, start)
				}
			}
		case phase >= onMs:
			if !silent(w) {
				t.Fatalf("%s: sound at %d ms (should be off), %.1f dBFS", name, start, audio.DBFS(audio.RMS(w)))
			}
		}
	}
}

func TestRingbackNorthAmerica(t *testing.T) {
	s := readN(t, NewRingback(audio.Mono8k, RingbackNorthAmerica), 8000*13)
	checkCadence(t, "NA ringback", s, 8000, []float64{440, 480}, 2000, 6000)
	if on(window(s, 8000, 100, 1900), 8000, 425) {
		t.Fatal("NA ringback carries 425 Hz")
	}
}

func TestRingbackEurope(t *testing.T) {
	s := readN(t, NewRingback(audio.Mono16k, RingbackEurope), 16000*11)
	checkCadence(t, "EU ringback", s, 16000, []float64{425}, 1000, 5000)
	w := window(s, 16000, 100, 900)
	if hz, share := audio.DominantFrequency(w, 16000, 300, 600, 5); hz != 425 || share < 0.9 {
		t.Fatalf("EU ringback is %v Hz share %.2f", hz, share)
	}
	if on(w, 16000, 480) {
		t.Fatal("EU ringback carries 480 Hz")
	}
}

func TestRingtoneCadenceAndWarble(t *testing.T) {
	rate := 48000
	s := readN(t, NewRingtone(audio.Mono48k), rate*6)
	// ring 0-400, gap 400-600, ring 600-1000, silence 1000-3000, repeat.
	for _, base := range []int{0, 3000} {
		for _, r := range [][2]int{{base + 10, base + 390}, {base + 610, base + 990}} {
			w := window(s, rate, r[0], r[1])
			if !on(w, rate, RingtoneLowHz) || !on(w, rate, RingtoneHighHz) {
				t.Fatalf("ring at %v ms lacks the warble pair", r)
			}
		}
		for _, r := range [][2]int{{base + 410, base + 590}, {base + 1010, base + 2990}} {
			if !silent(window(s, rate, r[0], r[1])) {
				t.Fatalf("sound during gap %v ms", r)
			}
		}
	}
	// Within a 50 ms step only one of the two tones sounds.
	step := window(s, rate, 55, 95) // second step: high tone
	if audio.Goertzel(step, rate, RingtoneHighHz) < 100*audio.Goertzel(step, rate, RingtoneLowHz) {
		t.Fatal("warble steps are not separate tones")
	}
}

func TestDTMFAllKeys(t *testing.T) {
	rows := []float64{697, 770, 852, 941}
	cols := []float64{1209, 1336, 1477, 1633}
	keys := []string{"123A", "456B", "789C", "*0#D"}
	for r, line := range keys {
		for c, k := range line {
			src, err := NewDTMF(audio.Mono8k, k, 100*time.Millisecond, 60*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			s := readAll(t, src, 8000)
			if len(s) != 8000*160/1000 {
				t.Fatalf("%c: %d samples, want 1280 (100 ms tone + 60 ms gap)", k, len(s))
			}
			tonePart := s[80:720] // 10..90 ms
			for _, f := range rows {
				if on(tonePart, 8000, f) != (f == rows[r]) {
					t.Fatalf("%c: row %v Hz presence wrong", k, f)
				}
			}
			for _, f := range cols {
				if on(tonePart, 8000, f) != (f == cols[c]) {
					t.Fatalf("%c: column %v Hz presence wrong", k, f)
				}
			}
			if !silent(s[800:]) {
				t.Fatalf("%c: gap after the tone is not silent", k)
			}
		}
	}
	if _, err := NewDTMF(audio.Mono8k, 'x', time.Second, 0); err == nil {
		t.Fatal("'x' accepted as a DTMF key")
	}
	if lo, hi, ok := DTMFFreqs('d'); !ok || lo != 941 || hi != 1633 {
		t.Fatalf("DTMFFreqs('d') = %v %v %v", lo, hi, ok)
	}
}

func TestBeepStereoAndClickFree(t *testing.T) {
	f := audio.Format{Rate: 44100, Channels: 2}
	s := readAll(t, NewBeep(f, 1000, 200*time.Millisecond), 44100*2)
	if len(s) != 2*8820 {
		t.Fatalf("beep is %d samples, want %d", len(s), 2*8820)
	}
	mono := make([]int16, len(s)/2)
	for i := range mono {
		if s[2*i] != s[2*i+1] {
			t.Fatalf("frame %d channels differ", i)
		}
		mono[i] = s[2*i]
	}
	if hz, share := audio.DominantFrequency(mono, 44100, 500, 2000, 10); hz != 1000 || share < 0.95 {
		t.Fatalf("beep %v Hz share %.2f", hz, share)
	}
	// Faded edges (no click): the first and last 0.5 ms stay far below the
	// beep's peak of 0.4 full scale.
	edge := 22
	for _, part := range [][]int16{mono[:edge], mono[len(mono)-edge:]} {
		for _, v := range part {
			if abs(v) > 1300 {
				t.Fatalf("beep edge reaches %d: not faded", v)
			}
		}
	}
}

func TestMix(t *testing.T) {
	f := audio.Mono8k
	beep := NewBeep(f, 1500, 100*time.Millisecond)
	beep2 := NewBeep(f, 600, 200*time.Millisecond)
	s := readAll(t, Mix(f, beep, beep2), 8000)
	if len(s) < 1600 || len(s) > 1600+333 {
		t.Fatalf("mix lasted %d samples, want the longest source (1600)", len(s))
	}
	first := s[80:720]
	if !on(first, 8000, 1500) || !on(first, 8000, 600) {
		t.Fatal("mix lacks a component while both play")
	}
	if on(s[880:1520], 8000, 1500) {
		t.Fatal("ended source still audible")
	}
	// Saturation instead of wrap-around.
	loud := Mix(f, NewSine(f, 0, 0), &constSource{f, 30000}, &constSource{f, 30000})
	p := make([]int16, 10)
	loud.Read(p)
	if p[0] != 32767 {
		t.Fatalf("mix of 30000+30000 = %d, want 32767", p[0])
	}
	if _, err := Mix(f, NewSine(audio.Mono16k, 1, 1)).Read(p); err == nil {
		t.Fatal("format mismatch not reported")
	}
}

type constSource struct {
	f audio.Format
	v int16
}

func (c *constSource) Format() audio.Format { return c.f }
func (c *constSource) Read(p []int16) (int, error) {
	for i := range p {
		p[i] = c.v
	}
	return len(p), nil
}

func abs(v int16) int {
	if v < 0 {
		return -int(v)
	}
	return int(v)
}
