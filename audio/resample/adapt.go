package resample

import (
	"io"

	"switchboard/audio"
)

// NewSource returns a Source that reads src and delivers its audio in format
// to, converting sample rate and channel count (stereo is downmixed to mono
// by averaging; mono is duplicated to every channel). If src already
// produces to, src itself is returned. An impossible conversion gives a
// Source whose Read returns the error.
func NewSource(src audio.Source, to audio.Format) audio.Source {
	from := src.Format()
	if from == to {
		return src
	}
	q, err := newPipeline(from, to)
	if err != nil {
		return errSource{to, err}
	}
	return &source{src: src, q: q, to: to}
}

// NewSink returns a Sink accepting audio in format from and writing it to
// dst in dst's format, converting rate and channels as NewSource does. If
// from equals dst's format, dst itself is returned.
func NewSink(dst audio.Sink, from audio.Format) audio.Sink {
	to := dst.Format()
	if from == to {
		return dst
	}
	q, err := newPipeline(from, to)
	if err != nil {
		return errSink{from, err}
	}
	return &sink{dst: dst, q: q, from: from}
}

// pipeline converts channels and rate, doing the channel step on whichever
// side has fewer channels so the filter runs on as few as possible.
type pipeline struct {
	inCh, outCh int
	rs          *Resampler // nil when the rates match
	mix, tmp    []int16
}

func newPipeline(from, to audio.Format) (*pipeline, error) {
	q := &pipeline{inCh: from.Channels, outCh: to.Channels}
	if from.Rate != to.Rate || from.Rate <= 0 || from.Channels <= 0 || to.Channels <= 0 {
		rs, err := New(from.Rate, to.Rate, min(from.Channels, to.Channels))
		if err != nil {
			return nil, err
		}
		q.rs = rs
	}
	return q, nil
}

// run appends the converted form of in (whole input frames) to dst.
func (q *pipeline) run(dst, in []int16) []int16 {
	x := in
	if q.inCh > q.outCh {
		q.mix = remix(q.mix[:0], x, q.inCh, q.outCh)
		x = q.mix
	}
	if q.rs != nil {
		if q.outCh <= q.inCh {
			return q.rs.Process(dst, x)
		}
		q.tmp = q.rs.Process(q.tmp[:0], x)
		x = q.tmp
	}
	if q.outCh > q.inCh {
		return remix(dst, x, q.inCh, q.outCh)
	}
	return append(dst, x...)
}

// flush appends whatever the filter still holds.
func (q *pipeline) flush(dst []int16) []int16 {
	if q.rs == nil {
		return dst
	}
	if q.outCh <= q.inCh {
		return q.rs.Flush(dst)
	}
	q.tmp = q.rs.Flush(q.tmp[:0])
	return remix(dst, q.tmp, q.inCh, q.outCh)
}

// remix appends src (inCh interleaved) to dst as outCh interleaved: mono
// output averages all input channels, mono input is copied to every output
// channel, otherwise channel c takes input channel c mod inCh.
func remix(dst, src []int16, inCh, outCh int) []int16 {
	for i := 0; i+inCh <= len(src); i += inCh {
		f := src[i : i+inCh]
		switch {
		case outCh == 1:
			sum := 0
			for _, v := range f {
				sum += int(v)
			}
			dst = append(dst, int16(sum/inCh))
		default:
			for c := 0; c < outCh; c++ {
				dst = append(dst, f[c%inCh])
			}
		}
	}
	return dst
}

type source struct {
	src     audio.Source
	q       *pipeline
	to      audio.Format
	in      []int16
	out     []int16 // backing store for pending
	pending []int16 // converted samples not yet delivered
	eof     bool
}

// Format returns the converted (output) format.
func (s *source) Format() audio.Format { return s.to }

// Read fills p with converted audio, pulling from the wrapped source as needed.
func (s *source) Read(p []int16) (int, error) {
	p = p[:len(p)-len(p)%s.to.Channels]
	from := s.src.Format()
	n := 0
	for n < len(p) {
		if len(s.pending) > 0 {
			k := copy(p[n:], s.pending)
			s.pending = s.pending[k:]
			n += k
			continue
		}
		if s.eof {
			break
		}
		frames := (len(p)-n)/s.to.Channels*from.Rate/s.to.Rate + 1
		if need := frames * from.Channels; cap(s.in) < need {
			s.in = make([]int16, need)
		}
		k, err := s.src.Read(s.in[:frames*from.Channels])
		k -= k % from.Channels
		s.out = s.q.run(s.out[:0], s.in[:k])
		if err == io.EOF {
			s.eof = true
			s.out = s.q.flush(s.out)
		} else if err != nil {
			s.pending = s.out
			return n, err
		}
		s.pending = s.out
		if k == 0 && err == nil {
			break // a source with nothing to give; do not spin
		}
	}
	if n == 0 && s.eof && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

type sink struct {
	dst  audio.Sink
	q    *pipeline
	from audio.Format
	out  []int16
}

// Format returns the format Write accepts.
func (s *sink) Format() audio.Format { return s.from }

// Write converts p and writes the result to the wrapped sink.
func (s *sink) Write(p []int16) (int, error) {
	p = p[:len(p)-len(p)%s.from.Channels]
	s.out = s.q.run(s.out[:0], p)
	if len(s.out) > 0 {
		if _, err := s.dst.Write(s.out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

type errSource struct {
	f   audio.Format
	err error
}

// Format returns the requested format.
func (e errSource) Format() audio.Format { return e.f }

// Read returns the conversion error.
func (e errSource) Read([]int16) (int, error) { return 0, e.err }

type errSink struct {
	f   audio.Format
	err error
}

// Format returns the requested format.
func (e errSink) Format() audio.Format { return e.f }

// Write returns the conversion error.
func (e errSink) Write([]int16) (int, error) { return 0, e.err }
