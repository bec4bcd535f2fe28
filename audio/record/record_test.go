package record_test

import (
	"errors"
	"io/fs"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"switchboard/audio"
	"switchboard/audio/record"
	"switchboard/audio/tone"
	"switchboard/audio/wavfile"
)

// split returns the left and right channels of interleaved stereo.
func split(s []int16) (l, r []int16) {
	for i := 0; i+1 < len(s); i += 2 {
		l, r = append(l, s[i]), append(r, s[i+1])
	}
	return l, r
}

func dominant(t *testing.T, who string, s []int16, rate int, hz float64) {
	t.Helper()
	got, share := audio.DominantFrequency(s, rate, 100, float64(rate)/2-100, 10)
	if got < hz-20 || got > hz+20 || share < 0.5 {
		t.Fatalf("%s: %.0f Hz (share %.2f), want %.0f Hz", who, got, share, hz)
	}
}

// feed plays src into put every 20 ms, like a media loop, for d.
func feed(wg *sync.WaitGroup, put func([]int16, audio.Format), src audio.Source, d time.Duration) {
	defer wg.Done()
	f := src.Format()
	buf := make([]int16, f.SamplesPer(20))
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for end := time.Now().Add(d); time.Now().Before(end); <-t.C {
		_, _ = src.Read(buf)
		put(buf, f)
	}
}

func TestStereoChannels(t *testing.T) {
	for _, f := range []audio.Format{audio.Mono8k, audio.Mono48k} {
		path := filepath.Join(t.TempDir(), "call.wav")
		r, err := record.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Add(2)
		go feed(&wg, r.Local, tone.NewSine(f, 700, 0.5), time.Second)
		go feed(&wg, r.Remote, tone.NewSine(f, 1300, 0.5), time.Second)
		wg.Wait()
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		s, wf, err := wavfile.ReadAll(path)
		if err != nil {
			t.Fatal(err)
		}
		if wf != (audio.Format{Rate: f.Rate, Channels: 2}) {
			t.Fatalf("format %+v", wf)
		}
		if secs := float64(len(s)/2) / float64(f.Rate); secs < 0.8 || secs > 1.2 {
			t.Fatalf("%.2f s recorded, want about 1", secs)
		}
		l, rt := split(s)
		dominant(t, "left", l, f.Rate, 700)
		dominant(t, "right", rt, f.Rate, 1300)
		if r.Dropped() != 0 {
			t.Fatalf("dropped %d", r.Dropped())
		}
	}
}

// TestOneSided: when the far end sends nothing (hold) the left channel is
// still recorded and the right is silent.
func TestOneSided(t *testing.T) {
	path := filepath.Join(t.TempDir(), "held.wav")
	r, err := record.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	feed(&wg, r.Local, tone.NewSine(audio.Mono8k, 700, 0.5), 600*time.Millisecond)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	s, _, err := wavfile.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	l, rt := split(s)
	if len(l) < 4000 {
		t.Fatalf("only %d frames", len(l))
	}
	dominant(t, "left", l, 8000, 700)
	if lv := audio.DBFS(audio.RMS(rt)); lv > -90 {
		t.Fatalf("right channel %.1f dBFS, want silence", lv)
	}
}

func TestEmptyExistingAndWrongFormat(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "empty.wav")
	r, err := record.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := record.Create(path); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second Create: %v, want ErrExist", err)
	}
	r.Local(make([]int16, 160), audio.Mono8k)
	r.Remote(make([]int16, 320), audio.Mono16k) // wrong rate: counted
	if got := r.Dropped(); got != 320 {
		t.Fatalf("Dropped = %d, want 320", got)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r.Local(make([]int16, 160), audio.Mono8k) // after Close: ignored
	s, f, err := wavfile.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Channels != 2 || len(s) != 320 {
		t.Fatalf("format %+v, %d samples; want stereo, 320", f, len(s))
	}
}

// TestNoAllocs: the real-time side never allocates.
func TestNoAllocs(t *testing.T) {
	r, err := record.Create(filepath.Join(t.TempDir(), "a.wav"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf := make([]int16, 160)
	if n := testing.AllocsPerRun(100, func() { r.Local(buf, audio.Mono8k); r.Remote(buf, audio.Mono8k) }); n != 0 {
		t.Fatalf("%v allocations per frame", n)
	}
}
