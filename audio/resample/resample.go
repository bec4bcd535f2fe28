// Package resample converts int16 PCM between sample rates (and channel
// counts) in a stream: 20 ms chunks go in one at a time and the filter
// state carries across calls, so chunk boundaries are seamless.
//
// The converter is a rational polyphase FIR: upsample by L, low-pass with a
// Kaiser-windowed sinc (about 70 dB stop band, cutoff at 92% of the lower
// Nyquist frequency), downsample by M, computing only the outputs that are
// kept. It handles 8/16/44.1/48 kHz in any direction (44.1k<->48k is
// 147:160).
//
// It is hand-written because no well-kept pure-Go resampler is served by the
// module proxy, and the usual C libraries (libsoxr, speexdsp) would pull cgo
// into the pure-Go core; only audio/device may use cgo.
package resample

import (
	"fmt"
	"math"
	"sync"
)

// maxTable bounds the coefficient table (odd rate pairs such as 48000 and
// 47999 would need a huge number of phases).
const maxTable = 1 << 20

var designs sync.Map // [2]int{in, out} -> *polyphase (read-only once built)

func cachedDesign(in, out int) *polyphase {
	key := [2]int{in, out}
	if pp, ok := designs.Load(key); ok {
		return pp.(*polyphase)
	}
	pp, _ := designs.LoadOrStore(key, design(in, out))
	return pp.(*polyphase)
}

// Resampler converts interleaved int16 frames from one rate to another,
// keeping filter history between calls. It is not safe for concurrent use.
type Resampler struct {
	pp   *polyphase
	ch   int
	hist [][]float32 // per channel: input history, oldest first
	t    int         // next output position, in 1/L input samples from hist[0]
}

// New returns a Resampler from inRate to outRate for interleaved audio with
// the given channel count.
func New(inRate, outRate, channels int) (*Resampler, error) {
	if inRate <= 0 || outRate <= 0 || channels <= 0 {
		return nil, fmt.Errorf("resample: invalid conversion %d Hz -> %d Hz, %d channels", inRate, outRate, channels)
	}
	g := gcd(inRate, outRate)
	if l := outRate / g; l*((baseTaps*max(l, inRate/g)+l-1)/l+1) > maxTable {
		return nil, fmt.Errorf("resample: ratio %d:%d too awkward (filter table too large)", inRate, outRate)
	}
	r := &Resampler{pp: cachedDesign(inRate, outRate), ch: channels, hist: make([][]float32, channels)}
	r.Reset()
	return r, nil
}

// Reset clears the filter history, as if the stream had just started.
func (r *Resampler) Reset() {
	for c := range r.hist {
		if cap(r.hist[c]) < r.pp.taps {
			r.hist[c] = make([]float32, 0, 4*r.pp.taps)
		}
		r.hist[c] = r.hist[c][:r.pp.taps-1]
		clear(r.hist[c])
	}
	r.t = (r.pp.taps - 1) * r.pp.l
}

// Delay returns the converter's group delay in input frames.
func (r *Resampler) Delay() float64 {
	return float64(r.pp.l*r.pp.taps-1) / 2 / float64(r.pp.l)
}

// MaxOut returns an upper bound on the samples Process returns for
// inSamples input samples, for sizing buffers.
func (r *Resampler) MaxOut(inSamples int) int {
	frames := inSamples / r.ch
	return (frames*r.pp.l/r.pp.m + 2) * r.ch
}

// Process appends to dst the output for the interleaved frames in src and
// returns the extended slice. Output frames appear as soon as the input
// they depend on has arrived; the remainder is kept for the next call. It
// does not allocate once its buffers have grown to the chunk size (pass a
// dst with room for MaxOut(len(src)) samples).
func (r *Resampler) Process(dst, src []int16) []int16 {
	ch := r.ch
	frames := len(src) / ch
	for c := 0; c < ch; c++ {
		h := r.hist[c]
		for i := 0; i < frames; i++ {
			h = append(h, float32(src[i*ch+c]))
		}
		r.hist[c] = h
	}
	pp := r.pp
	l, m, taps := pp.l, pp.m, pp.taps
	nf := len(r.hist[0])
	t := r.t
	for {
		n0 := t / l
		if n0 >= nf {
			break
		}
		coef := pp.coef[(t%l)*taps : (t%l+1)*taps]
		start := n0 - taps + 1
		for c := 0; c < ch; c++ {
			dst = append(dst, toInt16(dot(r.hist[c][start:n0+1], coef)))
		}
		t += m
	}
	// Keep the taps-1 samples before the next output's newest input.
	drop := min(max(t/l-(taps-1), 0), nf)
	for c := 0; c < ch; c++ {
		h := r.hist[c]
		r.hist[c] = h[:copy(h, h[drop:])]
	}
	r.t = t - drop*l
	return dst
}

// Flush appends the output still held in the filter (the last Delay()
// frames of input, pushed through with silence), then resets the state.
func (r *Resampler) Flush(dst []int16) []int16 {
	zeros := make([]int16, (int(r.Delay())+1)*r.ch)
	dst = r.Process(dst, zeros)
	r.Reset()
	return dst
}

func dot(x, c []float32) float32 {
	c = c[:len(x)]
	var a0, a1, a2, a3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		a0 += x[i] * c[i]
		a1 += x[i+1] * c[i+1]
		a2 += x[i+2] * c[i+2]
		a3 += x[i+3] * c[i+3]
	}
	for ; i < len(x); i++ {
		a0 += x[i] * c[i]
	}
	return (a0 + a1) + (a2 + a3)
}

func toInt16(v float32) int16 {
	switch {
	case v >= math.MaxInt16:
		return math.MaxInt16
	case v <= math.MinInt16:
		return math.MinInt16
	}
	return int16(math.Round(float64(v)))
}
