package media

import (
	"math"
	"testing"
	"time"
)

func TestEstimateMOSKnownPoints(t *testing.T) {
	tests := []struct {
		name     string
		codec    string
		delay    time.Duration
		loss     float64
		want, by float64
	}{
		{"G.711 clean, no delay", "PCMU", 0, 0, 4.41, 0.02},
		{"G.711 clean, 80 ms", "PCMA", 80 * time.Millisecond, 0, 4.35, 0.05},
		{"G.711 5% random loss with PLC", "PCMU", 0, 0.05, 3.92, 0.05},
		{"G.711 5% loss, 100 ms", "PCMU", 100 * time.Millisecond, 0.05, 3.8, 0.1},
		{"G.711 clean, 400 ms (delay impairment)", "PCMU", 400 * time.Millisecond, 0, 3.05, 0.05},
		{"Opus 5% loss beats G.711", "opus", 0, 0.05, 4.0, 0.1},
		{"everything lost", "PCMU", 0, 1, 1.18, 0.05},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := EstimateMOS(tc.codec, tc.delay, tc.loss)
			if math.Abs(got-tc.want) > tc.by {
				t.Errorf("MOS %.3f (R %.1f), want %.2f ± %.2f", got, RFactor(tc.codec, tc.delay, tc.loss), tc.want, tc.by)
			}
		})
	}
	if MOSFromR(-5) != 1 || MOSFromR(120) != 4.5 {
		t.Error("MOS not clamped to 1..4.5")
	}
	// More loss or more delay never raises the score.
	for l := 0.0; l < 0.3; l += 0.01 {
		if EstimateMOS("PCMU", 0, l+0.01) > EstimateMOS("PCMU", 0, l) {
			t.Fatalf("MOS rises with loss at %.2f", l)
		}
	}
}
