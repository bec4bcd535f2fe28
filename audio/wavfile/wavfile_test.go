package wavfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"switchboard/audio"
)

func ramp(n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(i*37 - 20000)
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	for _, f := range []audio.Format{audio.Mono8k, {Rate: 22050, Channels: 1}, {Rate: 44100, Channels: 2}} {
		path := filepath.Join(t.TempDir(), "rt.wav")
		w, err := Create(path, f)
		if err != nil {
			t.Fatal(err)
		}
		want := ramp(3000 * f.Channels)
		// Write in uneven chunks bigger and smaller than the scratch buffer.
		for i, step := 0, 0; i < len(want); i += step {
			step = min(len(want)-i, []int{f.Channels, 1500 * f.Channels, 2 * f.Channels}[i%3])
			if n, err := w.Write(want[i : i+step]); n != step || err != nil {
				t.Fatalf("Write = %d, %v", n, err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if _, err := w.Write(want[:2]); err == nil {
			t.Fatal("Write after Close succeeded")
		}
		raw, _ := os.ReadFile(path)
		if len(raw) != 44+2*len(want) {
			t.Fatalf("file is %d bytes, want %d", len(raw), 44+2*len(want))
		}
		if got := binary.LittleEndian.Uint32(raw[40:]); got != uint32(2*len(want)) {
			t.Fatalf("data size in header %d", got)
		}
		if got := binary.LittleEndian.Uint32(raw[4:]); got != uint32(36+2*len(want)) {
			t.Fatalf("RIFF size in header %d", got)
		}
		got, gf, err := ReadAll(path)
		if err != nil {
			t.Fatal(err)
		}
		if gf != f || !slices.Equal(got, want) {
			t.Fatalf("%+v: read back %d samples in %+v, want %d in %+v", f, len(got), gf, len(want), f)
		}
	}
}

func TestSourceEOFAndLoop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.wav")
	writeWAV(t, path, audio.Format{Rate: 16000, Channels: 2}, []int16{1, 2, 3, 4, 5, 6})

	s, err := Open(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if s.Format() != (audio.Format{Rate: 16000, Channels: 2}) || s.Frames() != 3 {
		t.Fatalf("format %+v frames %d", s.Format(), s.Frames())
	}
	p := make([]int16, 5) // odd: only whole frames (4 samples) may be filled
	if n, err := s.Read(p); n != 4 || err != nil || !slices.Equal(p[:4], []int16{1, 2, 3, 4}) {
		t.Fatalf("Read = %d %v %v", n, err, p)
	}
	if n, err := s.Read(p); n != 2 || err != nil || !slices.Equal(p[:2], []int16{5, 6}) {
		t.Fatalf("second Read = %d %v %v", n, err, p)
	}
	if n, err := s.Read(p); n != 0 || err != io.EOF {
		t.Fatalf("Read at end = %d %v, want 0 EOF", n, err)
	}
	s.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	l, err := Open(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p = make([]int16, 14)
	if n, err := l.Read(p); n != 14 || err != nil {
		t.Fatalf("looping Read = %d %v", n, err)
	}
	want := []int16{1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1, 2}
	if !slices.Equal(p, want) {
		t.Fatalf("looping read %v, want %v", p, want)
	}
}

// wav assembles a file from raw chunks after the RIFF/WAVE header.
func wav(chunks ...[]byte) []byte {
	body := append([]byte("WAVE"), bytes.Join(chunks, nil)...)
	out := append([]byte("RIFF"), le32(uint32(len(body)))...)
	return append(out, body...)
}

func chunk(id string, data []byte) []byte {
	c := append([]byte(id), le32(uint32(len(data)))...)
	c = append(c, data...)
	if len(data)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

func fmtChunk(tag, channels uint16, rate uint32, bits uint16) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint16(b[0:], tag)
	binary.LittleEndian.PutUint16(b[2:], channels)
	binary.LittleEndian.PutUint32(b[4:], rate)
	binary.LittleEndian.PutUint32(b[8:], rate*uint32(channels)*uint32(bits)/8)
	binary.LittleEndian.PutUint16(b[12:], channels*bits/8)
	binary.LittleEndian.PutUint16(b[14:], bits)
	return chunk("fmt ", b)
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func samples(v ...int16) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint16(b, uint16(x))
	}
	return b
}

func writeWAV(t *testing.T, path string, f audio.Format, s []int16) {
	t.Helper()
	w, err := Create(path, f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(s); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOddLayoutsAccepted(t *testing.T) {
	ext := make([]byte, 40)
	copy(ext, fmtChunk(formatExtensible, 1, 8000, 16)[8:])
	binary.LittleEndian.PutUint16(ext[16:], 22)
	binary.LittleEndian.PutUint16(ext[24:], formatPCM) // SubFormat GUID starts with the tag
	cases := map[string]struct {
		file []byte
		want []int16
	}{
		// A LIST chunk of odd length (padded) before data must be skipped.
		"list chunk": {wav(fmtChunk(1, 1, 8000, 16), chunk("LIST", []byte("abc")), chunk("data", samples(7, -7))), []int16{7, -7}},
		"extensible": {wav(chunk("fmt ", ext), chunk("data", samples(3))), []int16{3}},
		// Streaming writers leave data size 0 or 0xFFFFFFFF: read to EOF.
		"size unset": {wav(fmtChunk(1, 1, 8000, 16), append([]byte("data\xff\xff\xff\xff"), samples(1, 2, 3)...)), []int16{1, 2, 3}},
		// A data size past the end of a truncated file is clamped.
		"truncated": {wav(fmtChunk(1, 2, 8000, 16), append([]byte("data\x00\x01\x00\x00"), samples(1, 2, 3)...)), []int16{1, 2}},
	}
	for name, c := range cases {
		path := filepath.Join(t.TempDir(), "x.wav")
		os.WriteFile(path, c.file, 0o600)
		got, _, err := ReadAll(path)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v %v, want %v", name, got, err, c.want)
		}
	}
}

func TestMalformedRejected(t *testing.T) {
	data := chunk("data", samples(1, 2))
	cases := map[string]struct {
		file []byte
		want string
	}{
		"empty":         {nil, "too short"},
		"not riff":      {[]byte("RIFX\x00\x00\x00\x00WAVEfmt "), "not a RIFF/WAVE"},
		"8-bit":         {wav(fmtChunk(1, 1, 8000, 8), data), "8-bit"},
		"24-bit":        {wav(fmtChunk(1, 2, 48000, 24), data), "24-bit"},
		"float":         {wav(fmtChunk(3, 1, 48000, 32), data), "format tag 0x3"},
		"mu-law":        {wav(fmtChunk(7, 1, 8000, 8), data), "format tag 0x7"},
		"3 channels":    {wav(fmtChunk(1, 3, 8000, 16), data), "3 channels"},
		"0 channels":    {wav(fmtChunk(1, 0, 8000, 16), data), "0 channels"},
		"rate 0":        {wav(fmtChunk(1, 1, 0, 16), data), "sample rate 0"},
		"no fmt":        {wav(data), "data chunk before fmt"},
		"no data":       {wav(fmtChunk(1, 1, 8000, 16)), "no data chunk"},
		"short fmt":     {wav(chunk("fmt ", make([]byte, 10)), data), "fmt chunk is 10 bytes"},
		"huge chunk":    {wav(fmtChunk(1, 1, 8000, 16), []byte("JUNK\xf0\xff\xff\x7f")), "runs past the end"},
		"cut in fmt":    {wav(fmtChunk(1, 1, 8000, 16))[:30], "fmt chunk truncated"},
		"no chunks":     {wav(), "no fmt chunk"},
		"ext too short": {wav(fmtChunk(formatExtensible, 1, 8000, 16), data), "extensible"},
	}
	for name, c := range cases {
		path := filepath.Join(t.TempDir(), "bad.wav")
		os.WriteFile(path, c.file, 0o600)
		s, err := Open(path, false)
		if err == nil {
			s.Close()
			t.Errorf("%s: Open succeeded", name)
			continue
		}
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q, want ErrFormat naming the file and %q", name, err, c.want)
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.wav"), false); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestCreateRejectsBadFormat(t *testing.T) {
	if _, err := Create(filepath.Join(t.TempDir(), "x.wav"), audio.Format{Rate: 0, Channels: 1}); err == nil {
		t.Fatal("Create accepted rate 0")
	}
}

func FuzzOpen(f *testing.F) {
	f.Add(wav(fmtChunk(1, 1, 8000, 16), chunk("data", samples(1, 2, 3))))
	f.Add(wav(fmtChunk(1, 2, 44100, 16), chunk("LIST", []byte("x")), chunk("data", samples(1, 2, 3, 4))))
	f.Add(wav(fmtChunk(3, 1, 8000, 32), chunk("data", nil)))
	f.Add([]byte("RIFF"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "fuzz.wav")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, loop := range []bool{false, true} {
			s, err := Open(path, loop)
			if err != nil {
				continue
			}
			fm := s.Format()
			if fm.Channels < 1 || fm.Channels > 2 || fm.Rate < 1 {
				t.Fatalf("accepted format %+v", fm)
			}
			if s.Frames()*int64(2*fm.Channels) > int64(len(b)) {
				t.Fatalf("claims %d frames from a %d-byte file", s.Frames(), len(b))
			}
			p := make([]int16, 64)
			total := 0
			for i := 0; i < len(b)+4; i++ { // bounded: a finite file must end
				n, err := s.Read(p)
				if n%fm.Channels != 0 || n > len(p) {
					t.Fatalf("Read returned %d samples", n)
				}
				total += n
				if err != nil {
					break
				}
			}
			if !loop && int64(total) != s.Frames()*int64(fm.Channels) {
				t.Fatalf("read %d samples, header promised %d frames", total, s.Frames())
			}
			s.Close()
		}
	})
}
