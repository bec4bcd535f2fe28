package audio

import (
	"math"
	"testing"
)

func sine(hz float64, rate, n int, amp float64) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(amp * 32767 * math.Sin(2*math.Pi*hz*float64(i)/float64(rate)))
	}
	return s
}

func TestGoertzelFindsTone(t *testing.T) {
	s := sine(1000, 8000, 1600, 0.5)
	if p := Goertzel(s, 8000, 1000); p < 0.2 || p > 0.3 {
		t.Fatalf("power at 1000 Hz = %v, want about 0.25", p)
	}
	if p := Goertzel(s, 8000, 1400); p > 0.001 {
		t.Fatalf("power at 1400 Hz = %v, want about 0", p)
	}
	hz, share := DominantFrequency(s, 8000, 200, 3800, 10)
	if hz != 1000 || share < 0.9 {
		t.Fatalf("dominant = %v Hz share %v", hz, share)
	}
	if got := DBFS(RMS(s)); math.Abs(got-(-9.03)) > 0.1 {
		t.Fatalf("level %v dBFS, want -9.03", got)
	}
	if hz, share := DominantFrequency(make([]int16, 800), 8000, 200, 3800, 10); hz != 0 || share != 0 {
		t.Fatalf("silence: %v %v", hz, share)
	}
}
