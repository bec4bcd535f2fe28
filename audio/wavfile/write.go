package wavfile

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"switchboard/audio"
)

// maxData is the largest data chunk a RIFF header can describe.
const maxData = 0xFFFFFFFF - 36

// ErrTooLarge is returned by Sink.Write once the file would exceed the 4 GiB
// RIFF limit; the samples already written stay valid.
var ErrTooLarge = errors.New("wavfile: WAV data would exceed 4 GiB")

// Sink records 16-bit PCM to a WAV file as an audio.Sink. It streams to
// disk; the header's sizes are fixed up on Close. It is not safe for
// concurrent use.
type Sink struct {
	path    string
	f       *os.File
	w       *bufio.Writer
	format  audio.Format
	data    int64 // bytes of samples written
	err     error // first write error, returned again by Close
	scratch [2048]byte
}

// Create creates (or truncates) path and writes a WAV header for format f.
// Close must be called to finish the file.
func Create(path string, f audio.Format) (*Sink, error) {
	if f.Rate < 1 || f.Rate > maxRate || f.Channels < 1 || f.Channels > 16 {
		return nil, fmt.Errorf("wavfile %s: cannot record format %+v", path, f)
	}
	file, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	s := &Sink{path: path, f: file, w: bufio.NewWriterSize(file, 32<<10), format: f}
	if _, err := s.w.Write(header(f, 0)); err != nil {
		file.Close()
		return nil, err
	}
	return s, nil
}

// header builds the 44-byte canonical PCM header for dataBytes of samples.
func header(f audio.Format, dataBytes uint32) []byte {
	h := make([]byte, 44)
	le := binary.LittleEndian
	copy(h[0:], "RIFF")
	le.PutUint32(h[4:], 36+dataBytes)
	copy(h[8:], "WAVEfmt ")
	le.PutUint32(h[16:], 16)
	le.PutUint16(h[20:], formatPCM)
	le.PutUint16(h[22:], uint16(f.Channels))
	le.PutUint32(h[24:], uint32(f.Rate))
	le.PutUint32(h[28:], uint32(f.Rate*f.Channels*2))
	le.PutUint16(h[32:], uint16(f.Channels*2))
	le.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	le.PutUint32(h[40:], dataBytes)
	return h
}

// Format returns the format being recorded.
func (s *Sink) Format() audio.Format { return s.format }

// Write appends the samples in p (whole frames) to the file.
func (s *Sink) Write(p []int16) (int, error) {
	if s.f == nil {
		return 0, os.ErrClosed
	}
	if s.err != nil {
		return 0, s.err
	}
	if s.data+2*int64(len(p)) > maxData {
		return 0, ErrTooLarge
	}
	done := 0
	for done < len(p) {
		k := min(len(p)-done, len(s.scratch)/2)
		for i, v := range p[done : done+k] {
			binary.LittleEndian.PutUint16(s.scratch[2*i:], uint16(v))
		}
		if _, err := s.w.Write(s.scratch[:2*k]); err != nil {
			s.err = fmt.Errorf("wavfile %s: %w", s.path, err)
			return done, s.err
		}
		done += k
		s.data += int64(2 * k)
	}
	return done, nil
}

// Close flushes the samples, writes the final sizes into the header and
// closes the file. Calling Close again does nothing and returns nil.
func (s *Sink) Close() error {
	if s.f == nil {
		return nil
	}
	f := s.f
	s.f = nil
	err := s.err
	if e := s.w.Flush(); err == nil && e != nil {
		err = e
	}
	if err == nil {
		if _, e := f.Seek(0, io.SeekStart); e != nil {
			err = e
		} else if _, e := f.Write(header(s.format, uint32(s.data))); e != nil {
			err = e
		}
	}
	if e := f.Close(); err == nil && e != nil {
		err = e
	}
	if err != nil && s.err == nil {
		err = fmt.Errorf("wavfile %s: %w", s.path, err)
	}
	return err
}
