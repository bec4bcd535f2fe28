package resample

import "math"

// Filter design parameters. The prototype low-pass is a Kaiser-windowed
// sinc; baseTaps input samples per output sample are used when upsampling
// and proportionally more when downsampling so the transition band stays
// the same fraction of the lower Nyquist frequency.
const (
	baseTaps = 64
	// rolloff places the -6 dB point at this fraction of the lower Nyquist
	// frequency: 0.92 keeps 3.4 kHz at 8 kHz and reaches the stop band
	// just under 4 kHz.
	rolloff = 0.92
	// kaiserBeta ≈ 7 gives about 70 dB of stop-band attenuation.
	kaiserBeta = 7.0
)

// polyphase holds the prototype filter split into l phases of taps
// coefficients each. Phase p's coefficients are stored reversed so that the
// inner loop walks input history and coefficients forwards together.
type polyphase struct {
	l, m int       // upsample by l, downsample by m (reduced ratio)
	taps int       // input samples per output sample
	coef []float32 // l*taps, phase-major
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func design(inRate, outRate int) *polyphase {
	g := gcd(inRate, outRate)
	l, m := outRate/g, inRate/g
	taps := (baseTaps*max(l, m) + l - 1) / l
	taps += taps % 2
	n := l * taps
	// Cutoff in cycles per sample at the upsampled rate inRate*l.
	fc := 0.5 * rolloff / float64(max(l, m))
	center := float64(n-1) / 2
	i0b := besselI0(kaiserBeta)
	h := make([]float64, n)
	for i := range h {
		x := float64(i) - center
		sinc := 2 * fc
		if x != 0 {
			sinc = math.Sin(2*math.Pi*fc*x) / (math.Pi * x)
		}
		r := 2*float64(i)/float64(n-1) - 1
		h[i] = sinc * besselI0(kaiserBeta*math.Sqrt(max(0, 1-r*r))) / i0b
	}
	pp := &polyphase{l: l, m: m, taps: taps, coef: make([]float32, n)}
	for p := 0; p < l; p++ {
		// Normalise each phase to unity DC gain so a constant input gives
		// a constant output whatever the phase (no ripple at the output
		// rate from phase-to-phase gain differences).
		var sum float64
		for j := 0; j < taps; j++ {
			sum += h[p+j*l]
		}
		for j := 0; j < taps; j++ {
			pp.coef[p*taps+(taps-1-j)] = float32(h[p+j*l] / sum)
		}
	}
	return pp
}

// besselI0 is the zeroth-order modified Bessel function of the first kind.
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / (2 * float64(k))) * (x / (2 * float64(k)))
		sum += term
		if term < sum*1e-12 {
			break
		}
	}
	return sum
}
