package tone

import (
	"fmt"
	"io"

	"switchboard/audio"
)

// Mixer is an audio.Source summing several sources of the same format,
// with saturation. A source that ends contributes silence from then on;
// the mix returns io.EOF when every source has ended.
type Mixer struct {
	f       audio.Format
	srcs    []audio.Source
	ended   []bool
	scratch []int16
	acc     []int32
}

// Mix returns a Mixer of srcs in format f. Sources in another format make
// Read return an error (convert them with audio/resample first).
func Mix(f audio.Format, srcs ...audio.Source) *Mixer {
	return &Mixer{f: f, srcs: srcs, ended: make([]bool, len(srcs))}
}

// Format returns the mix's format.
func (m *Mixer) Format() audio.Format { return m.f }

// Read fills p with the sum of the sources.
func (m *Mixer) Read(p []int16) (int, error) {
	p = p[:len(p)-len(p)%max(1, m.f.Channels)]
	if cap(m.acc) < len(p) {
		m.acc = make([]int32, len(p))
		m.scratch = make([]int16, len(p))
	}
	acc, buf := m.acc[:len(p)], m.scratch[:len(p)]
	clear(acc)
	live := false
	for i, s := range m.srcs {
		if m.ended[i] {
			continue
		}
		if s.Format() != m.f {
			return 0, fmt.Errorf("tone: mixing %+v into %+v", s.Format(), m.f)
		}
		n, err := s.Read(buf)
		for j, v := range buf[:n] {
			acc[j] += int32(v)
		}
		if err == io.EOF {
			m.ended[i] = true
		} else if err != nil {
			return 0, err
		}
		live = live || n > 0 || !m.ended[i]
	}
	if !live && len(p) > 0 {
		return 0, io.EOF
	}
	for j, v := range acc {
		p[j] = int16(max(-32768, min(32767, v)))
	}
	return len(p), nil
}
