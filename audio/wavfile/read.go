// Package wavfile reads and writes 16-bit PCM WAV files as audio.Source and
// audio.Sink, for ringtone files, recordings and test fixtures.
//
// It is hand-written rather than built on github.com/go-audio/wav: that
// package decodes into audio.IntBuffer ([]int), so every read would convert
// and allocate on the way to our []int16; Switchboard only needs 16-bit PCM;
// and a ~200-line reader that never sizes an allocation from header fields
// is easy to fuzz (FuzzOpen) and adds no module to the shared go.mod.
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

const (
	formatPCM        = 1
	formatExtensible = 0xFFFE
	maxChannels      = 2
	maxRate          = 768000
)

// ErrFormat is wrapped by every error about a file that is not a WAV file
// Switchboard can play (test with errors.Is).
var ErrFormat = errors.New("unsupported or malformed WAV")

// Source plays a 16-bit PCM WAV file as an audio.Source in the file's own
// format. It is not safe for concurrent use. Close it when done.
type Source struct {
	path      string
	f         *os.File
	r         *bufio.Reader
	format    audio.Format
	dataStart int64 // byte offset of the first sample
	dataLen   int64 // bytes of whole frames in the data chunk
	left      int64 // bytes of the data chunk not yet read
	loop      bool
	scratch   [2048]byte
}

// Open opens a WAV file for reading. With loop set, Read restarts at the
// beginning of the data when it reaches the end, forever; otherwise Read
// returns io.EOF after the last sample. Files that are not 16-bit PCM
// (mono or stereo) are rejected with an error naming the file and what it
// contains.
func Open(path string, loop bool) (*Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s := &Source{path: path, f: f, r: bufio.NewReaderSize(f, 16<<10), loop: loop}
	if err := s.parseHeader(); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

func (s *Source) fail(format string, a ...any) error {
	return fmt.Errorf("wavfile %s: %w: %s", s.path, ErrFormat, fmt.Sprintf(format, a...))
}

// parseHeader walks the RIFF chunks up to "data", checking "fmt ".
func (s *Source) parseHeader() error {
	var hdr [12]byte
	if _, err := io.ReadFull(s.r, hdr[:]); err != nil {
		return s.fail("file too short for a RIFF header (%v)", err)
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return s.fail("not a RIFF/WAVE file (starts %q)", hdr[:])
	}
	pos := int64(12)
	haveFmt := false
	blockAlign := 0
	for {
		var ch [8]byte
		if _, err := io.ReadFull(s.r, ch[:]); err != nil {
			if !haveFmt {
				return s.fail("no fmt chunk")
			}
			return s.fail("no data chunk")
		}
		pos += 8
		id, size := string(ch[0:4]), int64(binary.LittleEndian.Uint32(ch[4:8]))
		switch id {
		case "fmt ":
			if err := s.parseFmt(size); err != nil {
				return err
			}
			haveFmt = true
			blockAlign = 2 * s.format.Channels
		case "data":
			if !haveFmt {
				return s.fail("data chunk before fmt chunk")
			}
			s.dataStart = pos
			if size == 0xFFFFFFFF || size == 0 {
				// Streaming writers leave the size unset: play to end of file.
				size = -1
			}
			if fi, err := s.f.Stat(); err == nil {
				if avail := fi.Size() - pos; size < 0 || size > avail {
					size = max(avail, 0) // truncated file: play what is there
				}
			}
			size = max(size, 0)
			s.dataLen = size - size%int64(blockAlign)
			s.left = s.dataLen
			return nil
		default:
			if size%2 == 1 {
				size++ // chunks are word-aligned
			}
			if n, err := s.r.Discard(int(min(size, 1<<31-1))); int64(n) != size {
				return s.fail("chunk %q of %d bytes runs past the end (%v)", id, size, err)
			}
		}
		pos += size + size%2
	}
}

func (s *Source) parseFmt(size int64) error {
	if size < 16 {
		return s.fail("fmt chunk is %d bytes, want at least 16", size)
	}
	var b [40]byte
	n := min(size, int64(len(b)))
	if _, err := io.ReadFull(s.r, b[:n]); err != nil {
		return s.fail("fmt chunk truncated (%v)", err)
	}
	if rest := size + size%2 - n; rest > 0 {
		if d, _ := s.r.Discard(int(min(rest, 1<<31-1))); int64(d) != rest {
			return s.fail("fmt chunk runs past the end")
		}
	}
	tag := binary.LittleEndian.Uint16(b[0:2])
	channels := int(binary.LittleEndian.Uint16(b[2:4]))
	rate := int(binary.LittleEndian.Uint32(b[4:8]))
	bits := int(binary.LittleEndian.Uint16(b[14:16]))
	if tag == formatExtensible {
		// WAVE_FORMAT_EXTENSIBLE: the real tag is the first two bytes of
		// the SubFormat GUID at offset 24.
		if n < 40 {
			return s.fail("extensible fmt chunk is %d bytes, want 40", size)
		}
		tag = binary.LittleEndian.Uint16(b[24:26])
	}
	switch {
	case tag != formatPCM:
		return s.fail("format tag %#x, want PCM (1); compressed and float WAVs are not supported", tag)
	case bits != 16:
		return s.fail("%d-bit samples, want 16-bit", bits)
	case channels < 1 || channels > maxChannels:
		return s.fail("%d channels, want 1 or 2", channels)
	case rate < 1 || rate > maxRate:
		return s.fail("sample rate %d Hz out of range", rate)
	}
	s.format = audio.Format{Rate: rate, Channels: channels}
	return nil
}

// Format returns the file's sample format.
func (s *Source) Format() audio.Format { return s.format }

// Frames returns the number of frames in the file's data chunk.
func (s *Source) Frames() int64 { return s.dataLen / int64(2*s.format.Channels) }

// Read fills p with the next whole frames of the file and returns the
// number of samples written. At the end it returns io.EOF, or with loop
// set rewinds and keeps filling p.
func (s *Source) Read(p []int16) (int, error) {
	if s.f == nil {
		return 0, os.ErrClosed
	}
	p = p[:len(p)-len(p)%s.format.Channels]
	n := 0
	for n < len(p) {
		if s.left == 0 {
			if !s.loop || s.dataLen == 0 {
				break
			}
			if err := s.rewind(); err != nil {
				return n, err
			}
		}
		k := int(min(int64(len(p)-n), s.left/2, int64(len(s.scratch)/2)))
		if _, err := io.ReadFull(s.r, s.scratch[:2*k]); err != nil {
			// The file shrank under us: stop here, on a frame boundary.
			s.left, s.dataLen = 0, 0
			n -= n % s.format.Channels
			break
		}
		for i := 0; i < k; i++ {
			p[n+i] = int16(binary.LittleEndian.Uint16(s.scratch[2*i:]))
		}
		n += k
		s.left -= int64(2 * k)
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (s *Source) rewind() error {
	if _, err := s.f.Seek(s.dataStart, io.SeekStart); err != nil {
		return fmt.Errorf("wavfile %s: rewind: %w", s.path, err)
	}
	s.r.Reset(s.f)
	s.left = s.dataLen
	return nil
}

// Close closes the file. It is safe to call more than once.
func (s *Source) Close() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}

// ReadAll reads a whole 16-bit PCM WAV file into memory.
func ReadAll(path string) ([]int16, audio.Format, error) {
	s, err := Open(path, false)
	if err != nil {
		return nil, audio.Format{}, err
	}
	defer s.Close()
	out := make([]int16, 0, s.Frames()*int64(s.format.Channels))
	buf := make([]int16, 4096)
	for {
		n, err := s.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, s.format, nil
		}
		if err != nil {
			return out, s.format, err
		}
	}
}
