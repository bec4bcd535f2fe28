package audio

import "math"

// Goertzel returns the power of frequency hz in samples (mono, at rate),
// normalised so that a full-scale sine of that frequency gives about 1.0 and
// silence gives 0. It is the single-bin DFT used by level meters, DTMF and
// the tests that listen for a tone.
func Goertzel(samples []int16, rate int, hz float64) float64 {
	n := len(samples)
	if n == 0 || rate <= 0 {
		return 0
	}
	w := 2 * math.Pi * hz / float64(rate)
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range samples {
		s0 := float64(x)/32768 + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	// A full-scale sine accumulates amplitude n/2 in its bin.
	return power / (float64(n) * float64(n) / 4)
}

// RMS returns the root-mean-square level of samples on a 0..1 scale.
func RMS(samples []int16) float64 {
	if len(samples) == 0 {
		return 0
	}
	var sum float64
	for _, x := range samples {
		v := float64(x) / 32768
		sum += v * v
	}
	return math.Sqrt(sum / float64(len(samples)))
}

// DBFS converts a 0..1 RMS level to decibels relative to full scale (a
// full-scale sine is about -3 dBFS). Silence gives -120.
func DBFS(rms float64) float64 {
	if rms <= 1e-6 {
		return -120
	}
	return 20 * math.Log10(rms)
}

// DominantFrequency scans lo..hi Hz in step-Hz bins and returns the frequency
// with the most energy and that bin's share of the total signal power (0..1).
// A clean tone gives a share near 1; noise or silence gives a small one.
func DominantFrequency(samples []int16, rate int, lo, hi, step float64) (hz float64, share float64) {
	rms := RMS(samples)
	total := rms * rms
	if total == 0 {
		return 0, 0
	}
	best, bestP := 0.0, 0.0
	for f := lo; f <= hi; f += step {
		if p := Goertzel(samples, rate, f); p > bestP {
			best, bestP = f, p
		}
	}
	// A sine of amplitude A has power A²/2 and Goertzel A²; normalise to a share.
	return best, math.Min(1, bestP/(2*total))
}
