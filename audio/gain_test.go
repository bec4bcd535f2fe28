package audio

import (
	"math"
	"testing"
)

func TestGainScalesAndSaturates(t *testing.T) {
	var g Gain
	if g.Factor() != 1 {
		t.Fatalf("zero Gain factor %v", g.Factor())
	}
	g.Set(0.5)
	src := GainSource{Src: sineSource{hz: 1000}, G: &g}
	p := make([]int16, 800)
	src.Read(p)
	if l := DBFS(RMS(p)); math.Abs(l-(-9.03-6.02)) > 0.2 {
		t.Fatalf("half gain: %.2f dBFS", l)
	}
	g.Set(4) // +12 dB on a -6 dBFS sine clips, never wraps
	src.Read(p)
	raw := make([]int16, len(p))
	sineSource{hz: 1000}.Read(raw)
	for i, v := range p {
		want := min(max(4*float64(raw[i]), math.MinInt16), math.MaxInt16)
		if math.Abs(float64(v)-want) > 1 {
			t.Fatalf("sample %d: %d, want %.0f (from %d)", i, v, want, raw[i])
		}
	}
	var rec recordSink
	s := &GainSink{Sink: &rec, G: &g}
	in := []int16{1000, -1000, 20000}
	s.Write(in)
	if in[0] != 1000 || rec.got[0] != 4000 || rec.got[1] != -4000 || rec.got[2] != math.MaxInt16 {
		t.Fatalf("sink: in %v out %v", in, rec.got)
	}
	if a := testing.AllocsPerRun(100, func() { s.Write(in) }); a != 0 {
		t.Fatalf("%v allocations per write", a)
	}
}

type sineSource struct{ hz float64 }

func (s sineSource) Format() Format { return Mono8k }
func (s sineSource) Read(p []int16) (int, error) {
	for i := range p {
		p[i] = int16(16384 * math.Sin(2*math.Pi*s.hz*float64(i)/8000))
	}
	return len(p), nil
}

type recordSink struct{ got []int16 }

func (r *recordSink) Format() Format { return Mono8k }
func (r *recordSink) Write(p []int16) (int, error) {
	r.got = append(r.got[:0], p...)
	return len(p), nil
}
