package testpeer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"time"

	"switchboard/audio"
)

// WAV is 16-bit PCM audio read by ReadWAV.
type WAV struct {
	Rate     int     // samples per second per channel
	Channels int     // 1 or 2
	Samples  []int16 // interleaved when Channels > 1
}

// ReadWAV reads a 16-bit PCM RIFF/WAVE file. A data chunk whose size is 0
// or runs past the end of the file (a file still being written) is read to
// the end of the file.
func ReadWAV(path string) (*WAV, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%s: not a RIFF/WAVE file", path)
	}
	w := &WAV{}
	bits := 0
	for off := 12; off+8 <= len(b); {
		id := string(b[off : off+4])
		size := int(binary.LittleEndian.Uint32(b[off+4 : off+8]))
		body := off + 8
		switch id {
		case "fmt ":
			if body+16 > len(b) {
				return nil, fmt.Errorf("%s: short fmt chunk", path)
			}
			format := binary.LittleEndian.Uint16(b[body:])
			w.Channels = int(binary.LittleEndian.Uint16(b[body+2:]))
			w.Rate = int(binary.LittleEndian.Uint32(b[body+4:]))
			bits = int(binary.LittleEndian.Uint16(b[body+14:]))
			if format != 1 && format != 0xFFFE {
				return nil, fmt.Errorf("%s: WAV format %d is not PCM", path, format)
			}
		case "data":
			if bits != 16 || w.Channels < 1 {
				return nil, fmt.Errorf("%s: want 16-bit PCM (bits %d, channels %d)", path, bits, w.Channels)
			}
			end := body + size
			if size == 0 || size == 0xFFFFFFFF || end > len(b) {
				end = len(b)
			}
			n := (end - body) / 2
			n -= n % w.Channels
			w.Samples = make([]int16, n)
			for i := range w.Samples {
				w.Samples[i] = int16(binary.LittleEndian.Uint16(b[body+2*i:]))
			}
			return w, nil
		}
		if size == 0xFFFFFFFF || body+size > len(b) {
			break
		}
		off = body + size + size%2
	}
	return nil, errors.New(path + ": no data chunk")
}

// Mono returns the samples with channels averaged.
func (w *WAV) Mono() []int16 {
	if w.Channels <= 1 {
		return w.Samples
	}
	out := make([]int16, len(w.Samples)/w.Channels)
	for i := range out {
		sum := 0
		for c := 0; c < w.Channels; c++ {
			sum += int(w.Samples[i*w.Channels+c])
		}
		out[i] = int16(sum / w.Channels)
	}
	return out
}

// Duration is the length of the audio.
func (w *WAV) Duration() time.Duration {
	if w.Rate == 0 || w.Channels == 0 {
		return 0
	}
	return time.Duration(len(w.Samples)/w.Channels) * time.Second / time.Duration(w.Rate)
}

// Window returns the mono samples from offset from for length d (clipped
// to the file).
func (w *WAV) Window(from, d time.Duration) []int16 {
	m := w.Mono()
	a := int(from.Seconds() * float64(w.Rate))
	z := a + int(d.Seconds()*float64(w.Rate))
	if a > len(m) {
		a = len(m)
	}
	if z > len(m) {
		z = len(m)
	}
	if a < 0 {
		a = 0
	}
	return m[a:z]
}

// ListenTone looks for a tone of wantHz in mono samples at rate. gotHz is
// the dominant frequency between 100 Hz and min(4000, rate/2) Hz (10 Hz
// bins, audio.DominantFrequency); level is the RMS level (0..1). ok means
// gotHz is within 20 Hz (or 2 %) of wantHz, that bin holds at least half of
// the signal power and the level is above -50 dBFS.
func ListenTone(samples []int16, rate int, wantHz float64) (ok bool, gotHz float64, level float64) {
	if len(samples) == 0 || rate <= 0 {
		return false, 0, 0
	}
	hi := math.Min(4000, float64(rate)/2-10)
	got, share := audio.DominantFrequency(samples, rate, 100, hi, 10)
	level = audio.RMS(samples)
	tol := math.Max(20, wantHz*0.02)
	ok = math.Abs(got-wantHz) <= tol && share >= 0.5 && audio.DBFS(level) > -50
	return ok, got, level
}
